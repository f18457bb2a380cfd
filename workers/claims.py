"""Who says who did it: classify an article's attribution claim.

Types, strongest first: a government formally attributes (``government``), a
security vendor assesses (``vendor``), it is suspected or reported
(``suspected``), or the accused denies it (``denied``). The evidence is the
sentence that carries the claim and, where the sentence names one, the claimant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from workers.entities import split_sentences


class ClaimType(StrEnum):
    GOVERNMENT = "government"
    VENDOR = "vendor"
    SUSPECTED = "suspected"
    DENIED = "denied"


@dataclass(frozen=True)
class Claim:
    type: ClaimType
    evidence: str
    claimant: str | None


_GOVERNMENT_BODY = (
    r"(?:government|foreign (?:ministry|minister|office|affairs)|prime minister|president|"
    r"minister|ministry|State Department|White House|Justice Department|Department of Justice|"
    r"DOJ|Treasury|NCSC|CISA|FBI|NSA|GCHQ|ASD|CCCS|BSI|ANSSI|CERT-UA|European Union|EU|NATO|"
    r"Council of the EU|Five Eyes|prosecutors|agencies|authorities|security service|parliament|"
    r"law enforcement|CERT|computer emergency response team|cyber agency|police)")
_GOVERNMENT_ACT = (
    r"(?:formally attribut\w*|officially attribut\w*|publicly attribut\w*|attribut\w*|blame[sd]?|"
    r"accuse[sd]?|condemn\w*|sanction\w*|indict\w*|charged|summon\w*|"
    r"assess(?:es|ed)? with (?:high|moderate) confidence|was responsible|were responsible|"
    r"warned\b.{0,30}\bthat|joint advisory|disrupted|took down|seized|"
    r"said\b.{0,25}\b(?:that )?(?:the )?[\w\s,'’\-]{0,60}\b(?:group|unit|hackers|APT\d+))")
VENDORS = (
    "Microsoft", "Mandiant", "Google", "Google Threat Intelligence", "CrowdStrike", "Kaspersky",
    "ESET", "Recorded Future", "Insikt Group", "Secureworks", "Palo Alto Networks", "Unit 42",
    "Symantec", "Broadcom", "Cisco Talos", "Talos", "Proofpoint", "SentinelOne", "SentinelLabs",
    "Check Point", "Trend Micro", "Volexity", "Sekoia", "WithSecure", "Dragos", "Fortinet",
    "Trellix", "Cybereason", "Group-IB", "Positive Technologies", "Bitdefender", "Lookout",
    "Citizen Lab", "Amnesty International", "Kroll", "Rapid7", "Sophos", "Zscaler",
)
_VENDOR_NAME = r"(?:" + "|".join(re.escape(v) for v in sorted(VENDORS, key=len, reverse=True)) + r")"
_VENDOR_BODY = rf"(?:{_VENDOR_NAME}|security (?:firm|company|vendor|researchers)s?|researchers|vendors?|responders)"
# Naming ("which Microsoft tracks as ...") is not a claim; assessing and linking is.
_VENDOR_ACT = (r"(?:assess\w*|attribut\w*|linked|tied|believe[sd]?|"
               r"with (?:high|moderate|low) confidence|said the (?:group|campaign|activity)|"
               r"bears? the (?:marks|hallmarks)|hallmarks?|overlaps?)")
_DENIAL = re.compile(
    r"\b(?:denied|denies|deny|rejected|rejects|dismissed|dismisses|baseless|unfounded|groundless|"
    r"Russophobia|slander\w*|smear|fabricat\w+|politically motivated)\b", re.IGNORECASE)
_DENIAL_CLAIMANT = re.compile(
    r"\b((?:Russia|China|North Korea|Iran|Moscow|Beijing|Pyongyang|Tehran|the Kremlin|Kremlin)"
    r"(?:'s|’s)?(?:\s+(?:foreign ministry|embassy|government|spokes\w+|ambassador))?|"
    r"(?:Russian|Chinese|North Korean|Iranian) (?:embassy|foreign ministry|government|officials))",
    re.IGNORECASE)
_SUSPECTED = re.compile(
    r"\b(?:suspected|believed to|believe[sd]?|allegedly|reportedly|likely|linked to|tied to|"
    r"according to|officials said|bears? the (?:marks|hallmarks)|hallmarks?|appear\w* to|"
    r"thought to)\b", re.IGNORECASE)
_ATTRIBUTION_TOPIC = re.compile(
    r"\b(?:hack\w*|spies|spy\w*|intrusion|breach|attack\w*|campaign|group|operation|espionage|"
    r"intelligence|state[- ]sponsored|responsible|behind|involvement|accusation\w*|allegation\w*|"
    r"APT\w*|FSB|GRU|SVR|MSS|IRGC)\b", re.IGNORECASE)
_COUNTRY_BODY = re.compile(
    rf"\b((?:[A-Z][a-z]+(?:'s|’s)?\s+){{0,2}}{_GOVERNMENT_BODY}|{_GOVERNMENT_BODY}\s+of\s+[A-Z][a-z]+)")


_GOVERNMENT_HINT = re.compile(_GOVERNMENT_BODY)
# Plain substring tests: an IGNORECASE alternation of forty names costs far more
# per sentence than the rest of claim detection together.
_VENDOR_WORDS = tuple(dict.fromkeys(word.casefold() for word in (*VENDORS, "security", "researchers", "vendor",
                                                                 "responders")))


def _mentions_vendor(text: str) -> bool:
    folded = text.casefold()
    return any(word in folded for word in _VENDOR_WORDS)


def _government(sentence: str) -> str | None:
    if not _GOVERNMENT_HINT.search(sentence):
        return None  # cheap test first: the full pattern backtracks over the sentence
    if not re.search(rf"\b{_GOVERNMENT_BODY}\b.*\b{_GOVERNMENT_ACT}|\b{_GOVERNMENT_ACT}\b.*\bby (?:the )?"
                     rf"{_GOVERNMENT_BODY}", sentence):
        return None
    if re.search(r"\b(?:declined to (?:name|attribute)|did not (?:name|attribute)|no evidence)\b",
                 sentence, re.IGNORECASE):
        return None
    match = _COUNTRY_BODY.search(sentence)
    return match.group(1).strip() if match else "government"


def _vendor(sentence: str) -> str | None:
    if not _mentions_vendor(sentence):
        return None
    if not re.search(rf"\b{_VENDOR_BODY}\b.*\b{_VENDOR_ACT}|\b{_VENDOR_ACT}\b.*\b{_VENDOR_BODY}\b",
                     sentence, re.IGNORECASE):
        return None
    match = re.search(rf"\b({_VENDOR_NAME})\b", sentence)
    return match.group(1) if match else "security researchers"


def sentence_claims(sentence: str) -> list[Claim]:
    if not _ATTRIBUTION_TOPIC.search(sentence):
        return []
    claims: list[Claim] = []
    if _DENIAL.search(sentence):
        match = _DENIAL_CLAIMANT.search(sentence)
        claims.append(Claim(ClaimType.DENIED, sentence, match.group(1) if match else None))
    government = _government(sentence)
    if government:
        claims.append(Claim(ClaimType.GOVERNMENT, sentence, government))
    vendor = _vendor(sentence)
    if vendor:
        claims.append(Claim(ClaimType.VENDOR, sentence, vendor))
    if not claims and _SUSPECTED.search(sentence):
        claims.append(Claim(ClaimType.SUSPECTED, sentence, None))
    return claims


PRIORITY = (ClaimType.GOVERNMENT, ClaimType.VENDOR, ClaimType.DENIED, ClaimType.SUSPECTED)


def classify_claim(title: str, body: str) -> Claim | None:
    """The article's claim: a denial in the headline makes the article a denial
    story; otherwise the strongest claim anywhere in it."""
    headline = sentence_claims(title)
    denial = next((c for c in headline if c.type is ClaimType.DENIED), None)
    if denial:
        return denial
    claims = headline + [claim for sentence in split_sentences(body)
                         for claim in sentence_claims(sentence)]
    for claim_type in PRIORITY:
        found = next((claim for claim in claims if claim.type is claim_type), None)
        if found:
            return found
    return None
