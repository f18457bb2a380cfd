"""Who speaks in a sentence: government bodies and their states, vendors, outlets,
anonymous officials, researchers, experts, an organisation speaking about its own
incident (see workers/attribution/__init__.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from workers.attribution import cues
from workers.attribution.cues import screened
from workers.attribution.model import ClaimantKind
from workers.phrases import PhraseIndex


@dataclass(frozen=True)
class Speaker:
    name: str
    kind: ClaimantKind
    country: str | None
    start: int


def country_of(words: str) -> str | None:
    for match in cues.COUNTRY_WORD.finditer(words):
        code = cues.STATE_WORDS.get(match.group(0)) or cues.EXTRA_COUNTRIES.get(match.group(0))
        if code:
            return code
    return None


def _speaks_near(sentence: str, start: int, end: int) -> bool:
    return (cues.SPEAKER_VERB.match(sentence, end) is not None
            or cues.SPEAKER_BEFORE.search(sentence[max(0, start - 40):start]) is not None)


@lru_cache(maxsize=1)
def _names() -> PhraseIndex[tuple[str, ClaimantKind, str | None]]:
    """Government bodies, vendors and outlets by name: looked up by words, not by a regex
    of some three hundred alternatives."""
    entries: list[tuple[str, tuple[str, ClaimantKind, str | None]]] = []
    entries += [(name, (name, ClaimantKind.MEDIA, None)) for name in cues.OUTLETS]
    entries += [(name, (name, ClaimantKind.VENDOR, None)) for name in cues.VENDOR_NAMES]
    entries += [(name, (name, ClaimantKind.GOVERNMENT, code or None)) for name, code in cues.GOVERNMENT_BODIES.items()]
    return PhraseIndex(entries)


def _near_anchors(pattern: re.Pattern[str], anchor: re.Pattern[str], sentence: str) -> list[re.Match[str]]:
    """``pattern``'s matches, searched for only within 60 characters of an anchor word."""
    found: list[re.Match[str]] = []
    searched = 0
    for word in anchor.finditer(sentence):
        start = max(searched, word.start() - 60)
        if start >= word.end():
            continue
        found.extend(match for match in pattern.finditer(sentence, start, word.end() + 30)
                     if not found or match.start() >= found[-1].end())
        searched = word.end() + 30
    return found


def _country_governments(sentence: str) -> list[re.Match[str]]:
    """COUNTRY_GOVERNMENT tried where a country word or "authorities" and its like begins."""
    found: list[re.Match[str]] = []
    starts = sorted({word.start() for word in cues.COUNTRY_LITERAL.finditer(sentence)}
                    | {word.start() for word in cues.GOVERNMENT_PLURAL.finditer(sentence)})
    for start in starts:
        if found and start < found[-1].end():
            continue
        match = cues.COUNTRY_GOVERNMENT.match(sentence, start)
        if match:
            found.append(match)
    return found


def speakers_in(sentence: str) -> list[Speaker]:
    speakers: list[Speaker] = []
    taken: list[tuple[int, int]] = []
    folded = sentence.casefold()

    def add(name: str, kind: ClaimantKind, country: str | None, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        speakers.append(Speaker(name.strip(), kind, country, start))

    if screened(sentence, "unnamed"):
        for match in _near_anchors(cues.UNNAMED, cues.UNNAMED_ANCHOR, folded):
            window = sentence[max(0, match.start() - 25):match.end()]
            add(sentence[match.start():match.end()], ClaimantKind.UNNAMED_OFFICIALS, country_of(window),
                match.start(), match.end())
    if screened(sentence, "country_government"):
        for match in _country_governments(sentence):
            if match.group(2):  # "authorities in the U.S., Canada, and Australia": one per government
                for country in cues.COUNTRY_WORD.finditer(match.group(2)):
                    code = country_of(country.group(0))
                    add(f"authorities in {country.group(0)}", ClaimantKind.GOVERNMENT, code,
                        match.start(2) + country.start(), match.start(2) + country.end())
                taken.append(match.span())
            else:
                add(match.group(1), ClaimantKind.GOVERNMENT, country_of(match.group(1)) or None, *match.span())
    named = [(value, start, end) for value, start, end in _names().find(sentence)
             if sentence[start:end] == value[0]]  # as listed: "Meta", not "meta"; "AP", not "ap"
    for (name, kind, state), start, end in named:
        if kind is ClaimantKind.GOVERNMENT:
            add(name, kind, state, start, end)
    if screened(sentence, "other"):
        for match in cues.OTHER_SOURCES.finditer(sentence):
            add(match.group(0), ClaimantKind.OTHER, None, *match.span())
    if screened(sentence, "researchers"):
        for match in cues.RESEARCHERS.finditer(sentence):
            add(match.group(0), ClaimantKind.RESEARCHERS, None, *match.span())
    if screened(sentence, "appositive"):
        for match in cues.VENDOR_APPOSITIVE.finditer(sentence):
            add(match.group(1), ClaimantKind.VENDOR, None, *match.span(1))
    for (name, kind, state), start, end in named:
        if kind is ClaimantKind.VENDOR and cues.PRODUCT_AFTER.match(sentence, end):
            continue  # "Microsoft Hyper-V", "Cisco AsyncOS": the company's product, not the company speaking
        if kind is not ClaimantKind.GOVERNMENT:
            add(name, kind, state, start, end)
    speaking = [speaker for speaker in speakers
                if not cues.RECIPIENT.search(sentence, max(0, speaker.start - 20), speaker.start)
                and (speaker.kind in (ClaimantKind.UNNAMED_OFFICIALS, ClaimantKind.OTHER)
                     or _speaks_near(sentence, speaker.start, speaker.start + len(speaker.name)))]
    return sorted(speaking, key=lambda speaker: speaker.start)


_JOINED = re.compile(r"\s*(?:,|and|,\s*and)?\s*(?:the\s+)?(?:[A-Z][\w.]*(?:['’]s)?\s+){0,2}")


def joint(sentence: str, speakers: list[Speaker]) -> list[Speaker]:
    """The first speaker and those joined to it ("the FBI, CISA and the NSA")."""
    if not speakers:
        return []
    joint = [speakers[0]]
    for speaker in speakers[1:]:
        previous = joint[-1]
        gap = sentence[previous.start + len(previous.name):speaker.start]
        if len(gap) > 24 or not _JOINED.fullmatch(gap):
            break
        joint.append(speaker)
    return joint


def organisation_in(sentence: str) -> Speaker | None:
    """Who speaks about their own incident: "A Viasat spokesperson", "Ivanti confirmed"."""
    match = cues.SPOKESPERSON.search(sentence) or cues.ORGANISATION_SPEAKS.search(sentence)
    if not match:
        return None
    name = match.group(1).strip()
    if name.split()[0] in {"The", "A", "An", "This", "That", "It", "He", "She", "They", "We", "In", "However", "But"}:
        name = " ".join(name.split()[1:]) or name
    return Speaker(name, ClaimantKind.VICTIM, None, match.start(1))


def lead_of(named: Sequence[Speaker]) -> Speaker | None:
    """The vendor or government body a sentence quotes first, if any, of those it
    names (``joint(sentence, speakers_in(sentence))``)."""
    return named[0] if named and named[0].kind in (ClaimantKind.VENDOR, ClaimantKind.GOVERNMENT) else None
