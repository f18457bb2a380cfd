"""Who says who did it, sentence by sentence: every attribution claim an article
reports (issue 22), in the form of ../shared/claims-dev (eight fields per claim).

``extract_claims(title, body, outlet=..., actors=...)`` reads the body of an
English article sentence by sentence and returns one :class:`AttributedClaim` per
(claimant, stance, subject): who speaks (a government body and its state, a
security vendor, anonymous officials, the victim, the accused state, another
outlet, or the outlet itself when it asserts in its own voice), how firmly
(attributes, suspects, confirms, declines_to_confirm, denies, disputes) and about
whom (a taxonomy actor with its state, a state beside threat words, a state
agency, a tracking name). Joint statements give one claim per government and a
sentence naming several groups one claim per group. Pure; the words are in
workers/attribution/cues.py, the reading in reader.py, subjects.py and speakers.py.
Articles in a profiled language (workers/lang) are read by native.py: government
refusals, denials and formal attributions, with the profile's words.

The article's single ``claim_type`` (workers/claims.py) stays as it was: it is
the summary rules, facets and exports use, and keeps its measured accuracy.
"""

from __future__ import annotations

from workers.attribution.model import (
    CLAIM_FIELDS,
    EVIDENCE_CHARS,
    KINDS_WITH_COUNTRY,
    AttributedClaim,
    ClaimantKind,
    Stance,
)
from workers.attribution.reader import extract_claims

__all__ = ["CLAIM_FIELDS", "EVIDENCE_CHARS", "KINDS_WITH_COUNTRY", "AttributedClaim", "ClaimantKind", "Stance",
           "extract_claims"]
