"""Indicators of compromise and ATT&CK techniques with their tactics (issue 23):
the fields the threat-intel exchange (STIX, MISP, TAXII, feeds) reads. The
extractors are workers/indicators/ and workers/techniques.py."""

from __future__ import annotations

from workers.enrichers import EnrichmentContext, enricher
from workers.techniques import tactics_of


@enricher("indicators")
def indicators_named(context: EnrichmentContext) -> list[dict[str, str]]:
    return [indicator.to_dict() for indicator in context.indicators]


@enricher("techniques")
def techniques_named(context: EnrichmentContext) -> list[str]:
    return list(context.techniques)


@enricher("tactics")
def tactics_served(context: EnrichmentContext) -> list[str]:
    return tactics_of(context.techniques)
