"""The typed claim of workers/attribution: its eight fields, claimant kinds and stances."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ClaimantKind(StrEnum):
    GOVERNMENT = "government"
    VENDOR = "vendor"
    RESEARCHERS = "researchers"
    MEDIA = "media"
    UNNAMED_OFFICIALS = "unnamed_officials"
    VICTIM = "victim"
    ACCUSED = "accused"
    OTHER = "other"


class Stance(StrEnum):
    ATTRIBUTES = "attributes"
    SUSPECTS = "suspects"
    CONFIRMS = "confirms"
    DECLINES_TO_CONFIRM = "declines_to_confirm"
    DENIES = "denies"
    DISPUTES = "disputes"


# Kinds whose claimant has a country (ISO alpha-2) in the claim.
KINDS_WITH_COUNTRY = frozenset({ClaimantKind.GOVERNMENT, ClaimantKind.UNNAMED_OFFICIALS, ClaimantKind.ACCUSED})
CLAIM_FIELDS = ("claimant", "claimant_kind", "claimant_country", "stance", "subject", "subject_state", "victim",
                "evidence")
EVIDENCE_CHARS = 300


@dataclass(frozen=True)
class AttributedClaim:
    claimant: str
    claimant_kind: ClaimantKind
    claimant_country: str | None
    stance: Stance
    subject: str | None
    subject_state: str | None
    victim: str | None
    evidence: str

    def to_dict(self) -> dict[str, str | None]:
        """The eight fields as the dev set and the export write them."""
        return {"claimant": self.claimant, "claimant_kind": self.claimant_kind.value,
                "claimant_country": self.claimant_country, "stance": self.stance.value, "subject": self.subject,
                "subject_state": self.subject_state, "victim": self.victim, "evidence": self.evidence}
