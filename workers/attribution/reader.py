"""Reading claims sentence by sentence (see workers/attribution/__init__.py).

Per sentence: the subjects (taxonomy actors by their aliases, states beside
threat words, state agencies, tracking names), the speakers (government bodies,
vendors, outlets, anonymous officials, a spokesperson or an organisation that
speaks), and the stance (a denial, a refusal, a doubt, a hedge, else firm; with
no subject, a confirmation of the incident). A sentence with a subject but no
speaker is said by the last vendor or government the article quoted when it
reports speech ("the company said", quotes, "attributed to"), else by the
outlet itself. Claims are kept once per (claimant, stance, subject) per article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coverwatch.taxonomy import Actor
from workers.attribution import cues
from workers.attribution.model import EVIDENCE_CHARS, KINDS_WITH_COUNTRY, AttributedClaim, ClaimantKind, Stance
from workers.phrases import split_sentences

_ACCUSABLE = frozenset({"CN", "RU", "KP", "IR"})


@dataclass(frozen=True)
class _Subject:
    name: str
    state: str | None
    key: str  # an actor's id, "state:XX" or the name: what makes two mentions one subject
    start: int = 0  # where the sentence names it


@dataclass(frozen=True)
class _Speaker:
    name: str
    kind: ClaimantKind
    country: str | None
    start: int


def _has_word(sentence: str, word: str) -> int:
    """The start of ``word`` as a whole word in ``sentence``, else -1."""
    start = sentence.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not sentence[start - 1].isalnum()) and (end == len(sentence)
                                                                   or not sentence[end].isalnum()):
            return start
        start = sentence.find(word, start + 1)
    return -1


def _aliases(actors: Sequence[Actor]) -> list[tuple[str, Actor]]:
    names = [(alias, actor) for actor in actors for alias in actor.names
             if alias.isascii() and len(alias) > 2]
    return sorted(names, key=lambda entry: -len(entry[0]))


def _state_of(words: str) -> list[str]:
    return list(dict.fromkeys(cues.STATE_WORDS[found.group(0)] for found in cues.STATE_IN_LIST.finditer(words)))


def _subjects(sentence: str, aliases: list[tuple[str, Actor]], known: dict[str, str]) -> list[_Subject]:
    """The culprits a sentence names; ``known`` holds the states the article gave tracking names."""
    found: dict[str, _Subject] = {}
    taken: list[tuple[int, int]] = []
    for alias, actor in aliases:
        start = _has_word(sentence, alias)
        if start < 0 or any(s <= start < e for s, e in taken):
            continue
        taken.append((start, start + len(alias)))
        found.setdefault(actor.id, _Subject(alias, actor.state, actor.id, start))
    for match in cues.TRACKING_NAME.finditer(sentence):
        if not any(s <= match.start() < e for s, e in taken):
            taken.append(match.span())
            name = match.group(0)
            found.setdefault(name, _Subject(name, known.get(name), name, match.start()))
    states: dict[str, tuple[str, int]] = {}  # state -> (as named, where)
    for match in cues.STATE_CULPRIT.finditer(sentence):
        words = next(group for group in match.groups() if group)
        for code in _state_of(words):
            states.setdefault(code, (match.group(0), match.start()))
    for match in cues.STATE_ACCUSED.finditer(sentence):
        for code in _state_of(match.group(1)):
            states.setdefault(code, (match.group(1), match.start(1)))
    for match in cues.AGENCY.finditer(sentence):
        states.setdefault(cues.STATE_AGENCIES[match.group(1)], (match.group(1), match.start()))
    named_states = {subject.state for subject in found.values()}
    untied = [key for key, subject in found.items() if subject.state is None]
    for code, (name, start) in states.items():
        if code in named_states:
            continue
        if untied:  # "the Chinese threat actor UNC5221": the name takes the state
            key = untied.pop(0)
            found[key] = _Subject(found[key].name, code, key, found[key].start)
            known[key] = code
            continue
        found[f"state:{code}"] = _Subject(name, code, f"state:{code}", start)
    # A tracking name no state is given for is a claim only alone ("APT15 and UNC5174": one group).
    stated = any(subject.state for subject in found.values())
    return sorted((subject for subject in found.values() if subject.state or not stated),
                  key=lambda subject: subject.start)


def _country(words: str) -> str | None:
    for match in cues.COUNTRY_WORD.finditer(words):
        code = cues.STATE_WORDS.get(match.group(0)) or cues.EXTRA_COUNTRIES.get(match.group(0))
        if code:
            return code
    return None


def _speaks_near(sentence: str, start: int, end: int) -> bool:
    return (cues.SPEAKER_VERB.match(sentence, end) is not None
            or cues.SPEAKER_BEFORE.search(sentence[max(0, start - 20):start]) is not None)


def _speakers(sentence: str) -> list[_Speaker]:
    speakers: list[_Speaker] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, kind: ClaimantKind, country: str | None, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        speakers.append(_Speaker(name.strip(), kind, country, start))

    for match in cues.UNNAMED.finditer(sentence):
        window = sentence[max(0, match.start() - 25):match.end()]
        add(match.group(0), ClaimantKind.UNNAMED_OFFICIALS, _country(window), match.start(), match.end())
    for match in cues.COUNTRY_GOVERNMENT.finditer(sentence):
        if match.group(2):  # "authorities in the U.S., Canada, and Australia": one per government
            for country in cues.COUNTRY_WORD.finditer(match.group(2)):
                code = _country(country.group(0))
                add(f"authorities in {country.group(0)}", ClaimantKind.GOVERNMENT, code,
                    match.start(2) + country.start(), match.start(2) + country.end())
            taken.append(match.span())
        else:
            add(match.group(1), ClaimantKind.GOVERNMENT, _country(match.group(1)) or None, *match.span())
    for match in cues.GOVERNMENT_BODY.finditer(sentence):
        code = cues.GOVERNMENT_BODIES[match.group(0)] or None
        add(match.group(0), ClaimantKind.GOVERNMENT, code, *match.span())
    for match in cues.RESEARCHERS.finditer(sentence):
        add(match.group(0), ClaimantKind.RESEARCHERS, None, *match.span())
    for match in cues.VENDOR_APPOSITIVE.finditer(sentence):
        add(match.group(1), ClaimantKind.VENDOR, None, *match.span(1))
    for match in cues.VENDOR.finditer(sentence):
        add(match.group(0), ClaimantKind.VENDOR, None, *match.span())
    for match in cues.OUTLET.finditer(sentence):
        add(match.group(0), ClaimantKind.MEDIA, None, *match.span())
    speaking = [speaker for speaker in speakers
                if speaker.kind is ClaimantKind.UNNAMED_OFFICIALS
                or _speaks_near(sentence, speaker.start, speaker.start + len(speaker.name))]
    return sorted(speaking, key=lambda speaker: speaker.start)


_JOINED = re.compile(r"\s*(?:,|and|,\s*and)?\s*(?:the\s+)?(?:[A-Z][\w.]*(?:['’]s)?\s+){0,2}")


def _joint(sentence: str, speakers: list[_Speaker]) -> list[_Speaker]:
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


def _stance(sentence: str, has_subject: bool) -> Stance | None:
    if cues.DENIES.search(sentence):
        return Stance.DENIES
    refusal = cues.DECLINES.search(sentence)
    # "did not make any attribution, but found evidence that links it to APT28": the link stands.
    if refusal and not (has_subject and re.search(r"\bbut\b", sentence[refusal.end():])):
        return Stance.DECLINES_TO_CONFIRM
    if has_subject:
        if cues.DISPUTES.search(sentence):
            return Stance.DISPUTES
        if cues.SUSPECTS.search(sentence) and not cues.HIGH_CONFIDENCE.search(sentence):
            return Stance.SUSPECTS
        return Stance.ATTRIBUTES
    if cues.CONFIRMS.search(sentence) and cues.INCIDENT.search(sentence):
        return Stance.CONFIRMS
    return None


def _organisation(sentence: str) -> _Speaker | None:
    """Who speaks about their own incident: "A Viasat spokesperson", "Ivanti confirmed"."""
    match = cues.SPOKESPERSON.search(sentence) or cues.ORGANISATION_SPEAKS.search(sentence)
    if not match:
        return None
    name = match.group(1).strip()
    if name.split()[0] in {"The", "A", "An", "This", "That", "It", "He", "She", "They", "We", "In", "However", "But"}:
        name = " ".join(name.split()[1:]) or name
    return _Speaker(name, ClaimantKind.VICTIM, None, match.start(1))


_VICTIM = re.compile(r"\b(?:against|targeting|targeted|breach(?:ed|ing)?|hack(?:ed|ing)|compromis(?:ed|ing)|"
                     r"into|at)\s+((?:the\s+)?(?:[A-Z][\w&.\-’']*\s*){1,5})")


def _victim(sentence: str) -> str | None:
    match = _VICTIM.search(sentence)
    return match.group(1).strip() if match else None


def _claimant_key(name: str) -> str:
    folded = re.sub(r"^(?:the|a|an)\s+|\s*\([^)]*\)", "", name.casefold()).replace("u.s. ", "").replace("us ", "")
    return cues.CLAIMANT_KEYS.get(folded, folded)


def extract_claims(title: str, body: str, *, outlet: str, actors: Sequence[Actor] = (),
                   language: str = "en") -> list[AttributedClaim]:
    """Every attribution claim the article reports, in the order first said."""
    if language != "en":
        return []
    aliases = _aliases(actors)
    known: dict[str, str] = {}
    claims: dict[tuple[str, Stance, str | None], AttributedClaim] = {}
    last: _Speaker | None = None
    for sentence in split_sentences(body):
        subjects = _subjects(sentence, aliases, known)
        speakers = _speakers(sentence)
        stance = _stance(sentence, bool(subjects))
        named = _joint(sentence, speakers)
        current = named[0] if named and named[0].kind in (ClaimantKind.VENDOR, ClaimantKind.GOVERNMENT) else None
        if stance is None:
            last = current or last
            continue
        if not named:
            if subjects and last and cues.CARRIES.search(sentence):
                named = [last]
            elif subjects:
                named = [_Speaker(outlet, ClaimantKind.MEDIA, None, -1)]
            else:
                organisation = _organisation(sentence)
                named = [organisation] if organisation else []
        last = current or last
        victim = _victim(sentence)
        firm = stance in (Stance.ATTRIBUTES, Stance.SUSPECTS, Stance.DISPUTES)
        for speaker in named:
            kind, country = speaker.kind, speaker.country
            about: list[_Subject | None] = list(subjects) if firm else [None]
            if stance is Stance.DENIES and kind is ClaimantKind.GOVERNMENT and country in _ACCUSABLE:
                kind = ClaimantKind.ACCUSED
                about = [_Subject(speaker.name, country, f"state:{country}")]
            if stance is Stance.DENIES and kind is ClaimantKind.MEDIA:
                continue
            for subject in about:
                if firm and subject is not None and subject.state is None and subject.key == subject.name:
                    continue  # a tracking name nobody ties to a state
                claimant = _claimant_key(speaker.name)
                if subject is not None and subject.state and (
                        (claimant, stance, f"state:{subject.state}") in claims
                        or (subject.key.startswith("state:") and any(
                            key[0] == claimant and key[1] is stance and claim.subject_state == subject.state
                            for key, claim in claims.items()))):
                    continue  # "Chinese state hackers" after "Salt Typhoon", by the same claimant
                subject_key = subject.key if subject else None
                if kind is ClaimantKind.MEDIA and subject is not None and subject.state:
                    subject_key = f"state:{subject.state}"  # the outlet's own voice: once per state and stance
                key = (claimant, stance, subject_key)
                if key in claims:
                    continue
                claims[key] = AttributedClaim(
                    claimant=speaker.name, claimant_kind=kind,
                    claimant_country=country if kind in KINDS_WITH_COUNTRY else None, stance=stance,
                    subject=subject.name if subject else None, subject_state=subject.state if subject else None,
                    victim=victim, evidence=sentence[:EVIDENCE_CHARS])
    return list(claims.values())
