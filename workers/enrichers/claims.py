"""Every attribution claim an article reports (issue 22), as a list of objects
with the claims-dev fields (claimant, claimant_kind, claimant_country, stance,
subject, subject_state, victim, evidence). The extractor is workers/attribution/;
the article's single ``claim_type`` summary stays with workers/claims.py."""

from __future__ import annotations

from workers.attribution import extract_claims
from workers.enrichers import EnrichmentContext, enricher


@enricher("claims")
def claims_reported(context: EnrichmentContext) -> list[dict[str, str | None]]:
    # The outlet asserting in its own voice is named by its source.
    return [claim.to_dict() for claim in extract_claims(context.title, f"{context.lead}\n{context.body}",
                                                        outlet=context.source, actors=context.actors,
                                                        language=context.language)]
