"""Who says who did it: classify an article's attribution claim.

Types, strongest first: a government formally attributes (``government``), a
security vendor assesses (``vendor``), it is suspected or told by unnamed
officials or sources (``suspected``), or the accused denies it (``denied``).
The evidence is the sentence that carries the claim and, where the sentence
names one, the claimant.

A sentence carries a claim when it names a culprit (an actor, a state next to
a threat word, an intelligence agency) and someone stands behind it: the kind
of that someone (government body, vendor, anonymous source) decides the type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coverwatch.taxonomy import Actor
from workers.claim_types import PRIORITY, VENDORS, Claim, ClaimType
from workers.lang import profile
from workers.lang.claims import native_claim
from workers.phrases import split_sentences

_STATE_NAMES = ("Russia", "Russian", "China", "Chinese", "North Korea", "North Korean", "Iran", "Iranian", "Vietnam",
                "Vietnamese", "Pakistan", "Pakistani", "India", "Indian", "Israel", "Israeli", "Belarus", "Belarusian",
                "US", "American", "Ukrainian", "Moscow", "Beijing", "Pyongyang", "Tehran", "Kremlin", "Minsk", "Hanoi",
                "Islamabad")
_STATE_WORDS = "(?:" + "|".join(_STATE_NAMES) + ")"
# A culprit named well enough to count as an attribution.
_NAMED_CULPRIT = re.compile(
    rf"\b{_STATE_WORDS}(?:['’]s)?(?:[- ](?:linked|backed|based|nexus|affiliated|sponsored))?\s+"
    r"(?:[\w\-]+\s+){0,3}?(?i:hack\w*|spies|spy\w*|group|actor|intrusion set|operators?|crew|unit|services?|"
    r"intelligence|military|government|state|agents?|officers|operatives|IT workers|nationals|cyber\w*|attacks?)\b|"
    rf"\b{_STATE_WORDS}\s+(?:\w+\s+)?officials\s+(?i:behind|who)\b|"
    rf"\b(?i:for|to|by|possibly|on behalf of|accused|accuses|blamed|blames)\s+{_STATE_WORDS}\b|"
    r"\b(?:group|actor|cluster) (?:it|they|researchers) (?:calls?|call|tracks? as|named?|dubbed) [A-Z]|"
    rf"\b{_STATE_WORDS}\s+(?:was|were|had|has|is)\s+(?:\w+\s+)?(?i:behind|responsible|waging|interfered)|"
    rf"\b{_STATE_WORDS}-(?i:linked|backed|nexus|affiliated|sponsored|based)\b|"
    r"\b(?:APT ?-?\d+|UNC\d+|TA\d{3}|Storm-\d+|UAC-\d+|DEV-\d+|GRU|FSB|SVR|MSS|IRGC|MOIS|RGB|NSA|"
    r"Revolutionary Guard|National Security Agency|Ministry of State Security|Lazarus|Equation Group|"
    r"Sandworm|Turla|Gamaredon|Kimsuky|"
    r"Winnti|Fancy Bear|Cozy Bear|MirrorFace|TraderTraitor|CyberAv3ngers|HAFNIUM|OceanLotus|"
    r"[A-Z][a-z]+ (?:Typhoon|Blizzard|Sandstorm|Sleet|Tempest|Panda|Bear|Kitten|Chollima|Taurus|Ursa|"
    r"Pisces|Spider|Sparrow|Tribe|Lusca|Hound))\b")
_GENERIC_CULPRIT = re.compile(
    r"\b(?:hack\w*|spies|spy\w*|espionage|intelligence service|threat actor|state actor|foreign (?:state|government)|"
    r"state[- ](?:sponsored|backed|affiliated)|nation[- ]state|intruders)\b", re.IGNORECASE)

_GOVERNMENT_BODY = (
    r"(?:government|foreign (?:ministry|minister|office|affairs)|prime minister|president|"
    r"minister|ministry|State Department|White House|Justice Department|Department of Justice|"
    r"DOJ|Treasury|NCSC|CISA|FBI|NSA|GCHQ|ASD|CCCS|BSI|ANSSI|CERT-UA|CERT|SBU|MIVD|AIVD|GCSB|SUPO|FSB|"
    r"European Union|EU|NATO|Council of the EU|Five Eyes|(?i:prosecutors)|agency|agencies|authorities|"
    r"security service|intelligence service|security police|(?i:police)|parliament|law enforcement|"
    r"computer emergency response team|Cyber Command|Cyber Directorate|army|military intelligence|"
    r"defence ministry|signals intelligence agency)")
_COUNTRY_SUBJECT = (r"(?:the\s+)?(?:United States|US|U\.S\.|UK|Britain|United Kingdom|Germany|France|Australia|"
                    r"Canada|New Zealand|Japan|Norway|Sweden|Poland|Netherlands|Belgium|Czech Republic|Albania|"
                    r"Estonia|Latvia|Lithuania|Denmark|Finland|Italy|Spain|Israel|Ukraine|Taiwan|South Korea|"
                    r"Singapore|Moldova|Romania|Iran|China|Russia|Canada|Washington|London|Berlin|Paris|Canberra|Ottawa|"
                    r"Tokyo|Seoul|Kyiv)")
_FORMAL_ACT = (r"(?:formally attribut\w*|officially attribut\w*|publicly attribut\w*|jointly attribut\w*|attribut\w*|"
               r"blame[sd]?|accuse[sd]?|condemn\w*|sanction\w*|indict\w*|charged|summon\w*|imposed sanctions|"
               r"offered a reward|linked|tied|dismantled|disrupted|took down|seized|cut diplomatic ties)")
_SAY = r"(?:said|says|say|warned|concluded|announced|stated|told|found|confirmed|revealed|named|accused)"
_GOVERNMENT_SUBJECT = rf"(?:{_COUNTRY_SUBJECT}\b(?:['’]s?)?|\b{_GOVERNMENT_BODY}\b)(?!-)"
# Subject and verb in one clause; "X, joined by Y and Z, attributed" keeps its aside.
_CLAUSE_GAP = r"(?:[^,;]{0,60}?|[^,;]{0,20},\s+(?:joined|backed|supported) by [^,]{0,40},\s*)"
_GOVERNMENT_CLAIM = re.compile(
    rf"{_GOVERNMENT_SUBJECT}{_CLAUSE_GAP}\b(?:{_FORMAL_ACT}|{_SAY})\b|"
    rf"\b{_FORMAL_ACT}\b.{{0,60}}\bby (?:the )?{_GOVERNMENT_SUBJECT}|"
    rf"\b(?:joint advisory|named in the advisory)\b")
_GOVERNMENT_NAME = re.compile(
    rf"((?:[A-Z][a-z]+(?:['’]s?)?\s+){{0,2}}(?:\w+\s+){{0,2}}?{_GOVERNMENT_BODY}\b(?:\s+[A-Z][\w\-]+)?|"
    rf"{_COUNTRY_SUBJECT}\b)")
_VENDOR_NAME = r"(?:" + "|".join(re.escape(v) for v in sorted(VENDORS, key=len, reverse=True)) + r")"
_VENDOR_SUBJECT = rf"(?:\b{_VENDOR_NAME}\b|\b(?i:security (?:firm|company|vendor|researchers)s?|researchers|analysts))"
_VENDOR_ACT = (r"(?i:assess\w*|attribut\w*|linked|tied|ties|believe[sd]?|concluded|confident|confidence|"
               r"said|says|found|observed|hallmarks?|overlaps?|described|report(?:ed)?)")
_VENDOR_CLAIM = re.compile(rf"{_VENDOR_SUBJECT}.{{0,80}}?\b{_VENDOR_ACT}\b|"
                           rf"\b(?i:according to|a report (?:from|by))\b.{{0,40}}{_VENDOR_SUBJECT}")
# Naming is not a claim: "which Microsoft tracks as ...", "a group it calls ...".
_NAMING_CLAUSE = re.compile(
    rf"\b(?:which|that|it|they|a group|the group|an? \w+ group)\s+(?:other\s+)?(?:{_VENDOR_NAME}|vendors?|researchers)?"
    r"\s*(?:also\s+)?(?:tracks?|calls?|call|dubs?|names?|refers? to)\s+(?:as\s+)?[A-Z][\w\-]*(?:\s+[A-Z][\w\-]*)?")
_FORMAL = re.compile(rf"\b{_FORMAL_ACT}\b")
_VENDOR_MENTION = re.compile(rf"\b({_VENDOR_NAME})\b")
_NEGATED = re.compile(r"\b(?:no evidence|no sign|not say who|declin\w+ to say who)\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b(?:suspect\w*|believed|thought to|likely|possibly|work of|behind|allegedly|reportedly|"
                    r"declined to name|unnamed|anonymity|familiar with|briefed on)\b",
                    re.IGNORECASE)
_UNNAMED = re.compile(
    r"\b(?:condition of anonymity|familiar with|briefed on|sources?|people close|unnamed|a person|"
    r"(?:two|three|several|senior|some)\s+(?:\w+\s+)?officials?|investigators|officials (?:said|say)|"
    r"officials in [A-Z]\w+ (?:said|say)|"
    r"American officials|US officials|Western officials|media reported|newspaper|reported|reportedly|"
    r"allegedly|suspected?|believed to|thought to|likely|possibly|appear\w* to|hallmarks?)\b", re.IGNORECASE)
_DENIAL = re.compile(
    r"\b(?:denied|denies|deny|rejected|rejects|dismissed|dismisses|baseless|unfounded|groundless|"
    r"Russophobia|slander\w*|smear|fabricat\w+|politically motivated)\b", re.IGNORECASE)
_DENIAL_CLAIMANT = re.compile(
    r"\b((?:Russia|China|North Korea|Iran|Vietnam|Moscow|Beijing|Pyongyang|Tehran|Hanoi|the Kremlin|Kremlin)"
    r"(?:'s|’s)?(?:\s+(?:foreign ministry|embassy|government|spokes\w+|ambassador|mission))?|"
    r"(?:Russian|Chinese|North Korean|Iranian|Vietnamese) (?:embassy|foreign ministry|government|officials))",
    re.IGNORECASE)
_DENIAL_TOPIC = re.compile(r"\b(?:hack\w*|cyber\w*|accusation\w*|allegation\w*|charges|claims?|report|involvement|"
                           r"role|behind|attack\w*|espionage|spy\w*)\b", re.IGNORECASE)


def _shortest(literals: tuple[str, ...]) -> tuple[str, ...]:
    """Without literals that contain another: the text has the shorter whenever it has the longer."""
    return tuple(dict.fromkeys(word for word in literals
                               if not any(other != word and other in word for other in literals)))


# Plain substrings, one of which is in every match of the pattern beside it: a sentence
# without any is skipped without running the pattern (most sentences of most articles).
# Edit a pattern and its literals together; tests/unit/test_claims_screen.py checks them.
_NAMED_LITERALS = (
    *_STATE_NAMES, *(f"{noun} {subject} " for noun in ("group", "actor", "cluster")
                     for subject in ("it", "they", "researchers")),
    "APT", "UNC", "TA", "Storm-", "UAC-", "DEV-", "GRU", "FSB", "SVR", "MSS", "IRGC", "MOIS", "RGB", "NSA",
    "Revolutionary Guard", "National Security Agency", "Ministry of State Security", "Lazarus", "Equation Group",
    "Sandworm", "Turla", "Gamaredon", "Kimsuky", "Winnti", "Fancy Bear", "Cozy Bear", "MirrorFace", "TraderTraitor",
    "CyberAv3ngers", "HAFNIUM", "OceanLotus",
    *(f" {family}" for family in ("Typhoon", "Blizzard", "Sandstorm", "Sleet", "Tempest", "Panda", "Bear", "Kitten",
                                  "Chollima", "Taurus", "Ursa", "Pisces", "Spider", "Sparrow", "Tribe", "Lusca",
                                  "Hound")))

# Case-insensitive patterns: their literals are looked for in folded text (see _fold).
_GENERIC_LITERALS = ("hack", "spies", "spy", "espionage", "intelligence service", "threat actor", "state actor",
                     "foreign state", "foreign government", "intruders",
                     *(f"{head}{gap}{tail}" for head, tails in (("state", ("sponsored", "backed", "affiliated")),
                                                                ("nation", ("state",)))
                       for gap in "- " for tail in tails))
_DENIAL_LITERALS = ("denied", "denies", "deny", "reject", "dismissed", "dismisses", "baseless", "unfounded",
                    "groundless", "russophobia", "slander", "smear", "fabricat", "politically motivated")

_NAMED_SHORTEST, _GENERIC_SHORTEST, _DENIAL_SHORTEST = map(_shortest, (_NAMED_LITERALS, _GENERIC_LITERALS,
                                                                       _DENIAL_LITERALS))


def _fold(text: str) -> str:
    """Case-folded so that every case-insensitive regex match of an ASCII literal
    is a plain substring: the regex also lets the Turkish dotted and dotless i
    match "i", which casefold alone does not."""
    return text.replace("\u0130", "i").replace("\u0131", "i").casefold()


@dataclass(frozen=True)
class _Screen:
    """Which literals of the costly patterns a text contains at all. Found once per
    article, so each sentence is then tested only for the few literals present."""

    named: tuple[str, ...]
    generic: tuple[str, ...]
    denial: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Screen:
        folded = _fold(text)
        return cls(tuple(word for word in _NAMED_SHORTEST if word in text),
                   tuple(word for word in _GENERIC_SHORTEST if word in folded),
                   tuple(word for word in _DENIAL_SHORTEST if word in folded))


_JOINED = re.compile(r"\s*(?:,|,?\s*and)\s*(?:the\s+)?")
_SPEAKS = re.compile(rf"[^,;]{{0,25}}?\b(?:{_FORMAL_ACT}|{_SAY})\b")


def _culprit(sentence: str, screen: _Screen, folded: str) -> str | None:
    """"named", "generic" or None: how well the sentence names who did it."""
    if any(word in sentence for word in screen.named) and _NAMED_CULPRIT.search(sentence):
        return "named"
    if any(word in folded for word in screen.generic) and _GENERIC_CULPRIT.search(sentence):
        return "generic"
    return None


def _government(sentence: str) -> str | None:
    match = _GOVERNMENT_CLAIM.search(sentence)
    if not match:
        return None
    names = list(_GOVERNMENT_NAME.finditer(sentence))
    # The name that is the subject of a verb of saying or attributing, else the first.
    if not names:
        return "government"
    speaking = [index for index, name in enumerate(names) if _SPEAKS.match(sentence, name.end())]
    index = speaking[0] if speaking else 0
    # "Britain and the United States accused": the first of joined subjects.
    while index and _JOINED.fullmatch(sentence, names[index - 1].end(), names[index].start()):
        index -= 1
    return names[index].group(1).strip()


def _vendor(sentence: str) -> str | None:
    cleared = _NAMING_CLAUSE.sub(" ", sentence)
    if not _VENDOR_CLAIM.search(cleared):
        return None
    match = _VENDOR_MENTION.search(cleared)
    return match.group(1) if match else "security researchers"


def sentence_claims(sentence: str) -> list[Claim]:
    return _screened_claims(sentence, _Screen.of(sentence))


def _screened_claims(sentence: str, screen: _Screen) -> list[Claim]:
    """The claims of one sentence; ``screen`` is of a text that contains it."""
    claims: list[Claim] = []
    folded = _fold(sentence) if screen.generic or screen.denial else ""
    if (any(word in folded for word in screen.denial) and _DENIAL.search(sentence)
            and _DENIAL_TOPIC.search(sentence)):
        denier = _DENIAL_CLAIMANT.search(sentence)
        if denier:
            claims.append(Claim(ClaimType.DENIED, sentence, denier.group(1)))
    culprit = _culprit(sentence, screen, folded)
    if culprit is None or _NEGATED.search(sentence):
        return claims
    unnamed = _UNNAMED.search(sentence) is not None
    government = _government(sentence)
    formal = _FORMAL.search(sentence) is not None
    # "two officials said", "officials familiar with": a government source, but not a government claim.
    hedged = unnamed and not formal and not _GOVERNMENT_BODY_NAMED.search(sentence)
    if government and culprit == "named" and not hedged:
        claims.append(Claim(ClaimType.GOVERNMENT, sentence, government))
        return claims
    vendor = _vendor(sentence)
    if vendor and culprit == "named":
        claims.append(Claim(ClaimType.VENDOR, sentence, vendor))
        return claims
    if (unnamed or government or vendor) and (culprit == "named" or _HEDGE.search(sentence)):
        claims.append(Claim(ClaimType.SUSPECTED, sentence, None))
    return claims


# A body named precisely enough that "officials said" style hedges do not demote it.
_GOVERNMENT_BODY_NAMED = re.compile(
    r"\b(?:FBI|CISA|NSA|NCSC|GCHQ|ANSSI|CERT-UA|SBU|MIVD|GCSB|SUPO|Justice Department|State Department|Treasury|"
    r"White House|prosecutors|police|Cyber Command)\b|\b(?:government|ministry|minister|agency|authorities)\s+said\b")

def classify_claim(title: str, body: str, language: str = "en", actors: Sequence[Actor] = ()) -> Claim | None:
    """The article's claim: a denial in the headline makes the article a denial
    story; otherwise the strongest claim anywhere in it, the body's first.
    ``actors`` (the taxonomy actors found in it) name culprits in languages read
    through a profile (workers/lang), whose names the patterns here do not list."""
    native = profile(language)
    if native is not None:
        return native_claim(title, body, actors, native)
    screen = _Screen.of(f"{title}\n{body}")
    if not (screen.named or screen.generic or screen.denial):
        return None  # no sentence can name a culprit or deny one: most articles
    headline = _screened_claims(title, screen) if title else []
    denial = next((c for c in headline if c.type is ClaimType.DENIED), None)
    if denial:
        return denial
    # The body before the headline: it names the claimant in full ("The Danish
    # government"), where the headline shortens it ("Denmark blames").
    claims = [claim for sentence in split_sentences(body) for claim in _screened_claims(sentence, screen)] + headline
    for claim_type in PRIORITY:
        found = next((claim for claim in claims if claim.type is claim_type), None)
        if found:
            return found
    return None
