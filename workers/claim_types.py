"""What an attribution claim is, shared by the English reader (workers/claims.py)
and the readers of profiled languages (workers/lang/): the claim types in the
order they win, a claim, and the security vendors whose names read the same in
every Latin-script language. Kept below both so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ClaimType(StrEnum):
    GOVERNMENT = "government"
    VENDOR = "vendor"
    SUSPECTED = "suspected"  # also reports resting on unnamed officials or sources
    DENIED = "denied"


@dataclass(frozen=True)
class Claim:
    type: ClaimType
    evidence: str
    claimant: str | None


# Strongest first: the article's claim is the first type any of its sentences makes.
PRIORITY = (ClaimType.GOVERNMENT, ClaimType.VENDOR, ClaimType.DENIED, ClaimType.SUSPECTED)

VENDORS = (
    "Microsoft", "Mandiant", "Google", "Google Threat Intelligence", "CrowdStrike", "Kaspersky",
    "ESET", "Recorded Future", "Insikt Group", "Secureworks", "Palo Alto Networks", "Unit 42",
    "Symantec", "Broadcom", "Cisco Talos", "Talos", "Proofpoint", "SentinelOne", "SentinelLabs",
    "Check Point", "Trend Micro", "Volexity", "Sekoia", "WithSecure", "Dragos", "Fortinet",
    "Trellix", "Cybereason", "Group-IB", "Positive Technologies", "Bitdefender", "Lookout",
    "Citizen Lab", "Amnesty International", "Kroll", "Rapid7", "Sophos", "Zscaler",
)
