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
from functools import lru_cache
from itertools import compress
from operator import itemgetter

from coverwatch.taxonomy import Actor
from workers.attribution import cues
from workers.attribution.model import EVIDENCE_CHARS, KINDS_WITH_COUNTRY, AttributedClaim, ClaimantKind, Stance
from workers.phrases import PhraseIndex, split_sentences, word_keys

_ACCUSABLE = frozenset({"CN", "RU", "KP", "IR"})


@dataclass(frozen=True)
class _Subject:
    name: str
    state: str | None
    key: str  # an actor's id, "state:XX" or the name: what makes two mentions one subject
    start: int = 0  # where the sentence names it
    state_at: int = -1  # where the sentence ties it to its state, when elsewhere ("UNC5221 ... China-nexus")


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


def _state_subjects(sentence: str) -> dict[str, tuple[str, int]]:
    """States named as culprits, beside threat words, as the accused or by their agencies:
    state -> (as named, where)."""
    states: dict[str, tuple[str, int]] = {}
    covered = 0
    # Tried only where a state word begins (every alternative of the pattern begins with one).
    for word in cues.STATE_LITERAL.finditer(sentence):
        if word.start() < covered:
            continue
        match = cues.STATE_CULPRIT.match(sentence, word.start())
        if match is None:
            continue
        covered = match.end()
        words = next(group for group in match.groups() if group)
        for code in _state_of(words):
            states.setdefault(code, (match.group(0), match.start()))
    if _screened(sentence, "accused"):
        for match in cues.STATE_ACCUSED.finditer(sentence):
            for code in _state_of(match.group(1)):
                states.setdefault(code, (match.group(1), match.start(1)))
    for match in cues.AGENCY.finditer(sentence):
        states.setdefault(cues.STATE_AGENCIES[match.group(1)], (match.group(1), match.start()))
    return states


def _subjects(sentence: str, screen: _Screen, known: dict[str, str]) -> list[_Subject]:
    """The culprits a sentence names; ``known`` holds the states the article gave tracking names."""
    found: dict[str, _Subject] = {}
    taken: list[tuple[int, int]] = []
    for alias, actor in screen.aliases:
        start = _has_word(sentence, alias) if alias in sentence else -1
        if start < 0 or any(s <= start < e for s, e in taken):
            continue
        taken.append((start, start + len(alias)))
        found.setdefault(actor.id, _Subject(alias, actor.state, actor.id, start))
    for match in cues.TRACKING_NAME.finditer(sentence) if screen.tracking else ():
        if not any(s <= match.start() < e for s, e in taken):
            taken.append(match.span())
            name = match.group(0)
            found.setdefault(name, _Subject(name, known.get(name), name, match.start()))
    states = _state_subjects(sentence) if screen.states and cues.STATE_LITERAL.search(sentence) else {}
    named_states = {subject.state for subject in found.values()}
    untied = [key for key, subject in found.items() if subject.state is None]
    for code, (name, start) in states.items():
        if code in named_states:
            continue
        if untied:  # "the Chinese threat actor UNC5221": the name takes the state
            key = untied.pop(0)
            found[key] = _Subject(found[key].name, code, key, found[key].start, start)
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


_FIRST_THREE, _FIRST_FOUR = itemgetter(slice(0, 3)), itemgetter(slice(0, 4))


@lru_cache(maxsize=8)
def _word_stems(sentence: str) -> frozenset[str]:
    """The first three and four letters of each word of a sentence (see cues.SCREEN_STEMS)."""
    keys = word_keys(sentence)
    return frozenset(map(_FIRST_FOUR, keys)).union(map(_FIRST_THREE, keys))


def _screened(sentence: str, screen: str) -> bool:
    return not cues.SCREEN_STEMS[screen].isdisjoint(_word_stems(sentence))


def _speakers(sentence: str) -> list[_Speaker]:
    speakers: list[_Speaker] = []
    taken: list[tuple[int, int]] = []
    folded = sentence.casefold()

    def add(name: str, kind: ClaimantKind, country: str | None, start: int, end: int) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        speakers.append(_Speaker(name.strip(), kind, country, start))

    if _screened(sentence, "unnamed"):
        for match in _near_anchors(cues.UNNAMED, cues.UNNAMED_ANCHOR, folded):
            window = sentence[max(0, match.start() - 25):match.end()]
            add(sentence[match.start():match.end()], ClaimantKind.UNNAMED_OFFICIALS, _country(window),
                match.start(), match.end())
    if _screened(sentence, "country_government"):
        for match in _country_governments(sentence):
            if match.group(2):  # "authorities in the U.S., Canada, and Australia": one per government
                for country in cues.COUNTRY_WORD.finditer(match.group(2)):
                    code = _country(country.group(0))
                    add(f"authorities in {country.group(0)}", ClaimantKind.GOVERNMENT, code,
                        match.start(2) + country.start(), match.start(2) + country.end())
                taken.append(match.span())
            else:
                add(match.group(1), ClaimantKind.GOVERNMENT, _country(match.group(1)) or None, *match.span())
    named = [(value, start, end) for value, start, end in _names().find(sentence)
             if sentence[start:end] == value[0]]  # as listed: "Meta", not "meta"; "AP", not "ap"
    for (name, kind, state), start, end in named:
        if kind is ClaimantKind.GOVERNMENT:
            add(name, kind, state, start, end)
    if _screened(sentence, "other"):
        for match in cues.OTHER_SOURCES.finditer(sentence):
            add(match.group(0), ClaimantKind.OTHER, None, *match.span())
    if _screened(sentence, "researchers"):
        for match in cues.RESEARCHERS.finditer(sentence):
            add(match.group(0), ClaimantKind.RESEARCHERS, None, *match.span())
    if _screened(sentence, "appositive"):
        for match in cues.VENDOR_APPOSITIVE.finditer(sentence):
            add(match.group(1), ClaimantKind.VENDOR, None, *match.span(1))
    for (name, kind, state), start, end in named:
        if kind is not ClaimantKind.GOVERNMENT:
            add(name, kind, state, start, end)
    speaking = [speaker for speaker in speakers
                if speaker.kind in (ClaimantKind.UNNAMED_OFFICIALS, ClaimantKind.OTHER)
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
    folded = sentence.casefold()
    if _screened(sentence, "denies") and cues.DENIES.search(folded):
        return Stance.DENIES
    refusal = cues.DECLINES.search(folded) if _screened(sentence, "declines") else None
    # "did not make any attribution, but found evidence that links it to APT28": the link stands.
    if refusal and not (has_subject and cues.TAKEN_BACK.search(folded, refusal.end())):
        return Stance.DECLINES_TO_CONFIRM
    if has_subject:
        if _screened(sentence, "disputes") and cues.DISPUTES.search(folded):
            return Stance.DISPUTES
        return Stance.ATTRIBUTES
    if ((_screened(sentence, "confirms") or (_screened(sentence, "confirms_said") and _screened(sentence, "incident")))
            and cues.CONFIRMS.search(folded) and cues.INCIDENT.search(folded)):
        return Stance.CONFIRMS
    return None


def _may_take_a_stance(sentence: str) -> bool:
    """Whether a sentence naming no culprit can deny, decline or confirm at all."""
    words = word_keys(sentence)
    return not (cues.STANCE_WORDS.isdisjoint(words)
                and (cues.SAID_WORDS.isdisjoint(words) or cues.INCIDENT_WORDS.isdisjoint(words)))


def _hedged(sentence: str, folded: str, subject: _Subject) -> bool:
    """Said with a hedge about this subject: before it, or just after it in its clause
    ("UNC5174 is believed to"), not about another named beside it ("X, an adversary believed ...")."""
    if not _screened(sentence, "suspects") or (_screened(sentence, "high_confidence")
                                             and cues.HIGH_CONFIDENCE.search(folded)):
        return False
    end = subject.start + len(subject.name)
    after = folded[end:end + 60].split(",")[0]
    tie = folded[subject.state_at:subject.state_at + 60].split(",")[0] if subject.state_at >= 0 else ""
    return any(cues.SUSPECTS.search(part) for part in (folded[:end], after, tie))


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


def _lead_speaker(sentence: str) -> _Speaker | None:
    """The vendor or government body a sentence quotes first, if any."""
    named = _joint(sentence, _speakers(sentence))
    return named[0] if named and named[0].kind in (ClaimantKind.VENDOR, ClaimantKind.GOVERNMENT) else None


@dataclass(frozen=True)
class _Screen:
    """What an article contains at all, found once: each sentence is then tested only
    for these (most sentences of most articles name no culprit and state no stance)."""

    aliases: tuple[tuple[str, Actor], ...]
    states: bool  # a state word or agency
    tracking: bool

    @classmethod
    def of(cls, text: str, aliases: list[tuple[str, Actor]]) -> _Screen:
        return cls(tuple(compress(aliases, map(text.__contains__, (alias for alias, _ in aliases)))),
                   cues.STATE_LITERAL.search(text) is not None,
                   cues.TRACKING_SCREEN.search(text) is not None)

    def may_name_culprit(self, sentence: str) -> bool:
        return (any(alias in sentence for alias, _ in self.aliases)
                or (self.states and cues.STATE_LITERAL.search(sentence) is not None)
                or (self.tracking and cues.TRACKING_SCREEN.search(sentence) is not None))


def extract_claims(title: str, body: str, *, outlet: str, actors: Sequence[Actor] = (),
                   language: str = "en") -> list[AttributedClaim]:
    """Every attribution claim the article reports, in the order first said."""
    if language != "en":
        return []
    sentences = split_sentences(body)
    screen = _Screen.of(body, _aliases(actors))
    known: dict[str, str] = {}
    claims: dict[tuple[str, Stance, str | None], AttributedClaim] = {}
    leads: dict[int, _Speaker | None] = {}

    def last_before(index: int) -> _Speaker | None:
        """The vendor or government the article quoted last before sentence ``index``."""
        for previous in range(index - 1, -1, -1):
            if previous not in leads:
                leads[previous] = _lead_speaker(sentences[previous])
            if leads[previous] is not None:
                return leads[previous]
        return None

    for index, sentence in enumerate(sentences):
        if sentence.startswith("#"):
            continue  # a heading: what the text under it says is read there
        culprit = screen.may_name_culprit(sentence)
        if not culprit and not _may_take_a_stance(sentence):
            continue
        folded = sentence.casefold()
        subjects = _subjects(sentence, screen, known) if culprit else []
        stance = _stance(sentence, bool(subjects))
        if stance is None:
            continue
        named = _joint(sentence, _speakers(sentence))
        if not named:
            if subjects and cues.CARRIES.search(sentence) and (last := last_before(index)):
                named = [last]
            elif subjects:
                named = [_Speaker(outlet, ClaimantKind.MEDIA, None, -1)]
            else:
                organisation = _organisation(sentence)
                last = last_before(index) if organisation is None and stance is not Stance.CONFIRMS else None
                named = [organisation] if organisation else ([last] if last else [])
        victim = _victim(sentence)
        firm = stance in (Stance.ATTRIBUTES, Stance.SUSPECTS, Stance.DISPUTES)
        for speaker in named:
            kind, country = speaker.kind, speaker.country
            about: list[_Subject | None] = list(subjects) if firm else [None]
            if stance is Stance.DENIES and kind is ClaimantKind.GOVERNMENT and country in _ACCUSABLE:
                kind = ClaimantKind.ACCUSED
                about = [_Subject(speaker.name, country, f"state:{country}")]
            if (kind is ClaimantKind.VENDOR and stance in (Stance.CONFIRMS, Stance.DENIES)
                    and cues.OWN.search(sentence)):
                kind = ClaimantKind.VICTIM  # "FireEye disclosed it had detected a breach"
            if kind is ClaimantKind.MEDIA and stance in (Stance.DENIES, Stance.DECLINES_TO_CONFIRM):
                continue  # an outlet reports refusals and denials; it makes none
            for subject in about:
                if stance is Stance.ATTRIBUTES and subject is not None and _hedged(sentence, folded, subject):
                    stance_here = Stance.SUSPECTS
                else:
                    stance_here = stance
                if firm and subject is not None and subject.state is None and subject.key == subject.name:
                    continue  # a tracking name nobody ties to a state
                claimant = _claimant_key(speaker.name)
                if subject is not None and subject.state and (
                        (claimant, stance_here, f"state:{subject.state}") in claims
                        or (subject.key.startswith("state:") and any(
                            key[0] == claimant and key[1] is stance_here and claim.subject_state == subject.state
                            for key, claim in claims.items()))):
                    continue  # "Chinese state hackers" after "Salt Typhoon", by the same claimant
                subject_key = subject.key if subject else None
                if kind is ClaimantKind.MEDIA and subject is not None and subject.state:
                    subject_key = f"state:{subject.state}"  # the outlet's own voice: once per state and stance
                key = (claimant, stance_here, subject_key)
                if key in claims:
                    continue
                claims[key] = AttributedClaim(
                    claimant=speaker.name, claimant_kind=kind,
                    claimant_country=country if kind in KINDS_WITH_COUNTRY else None, stance=stance_here,
                    subject=subject.name if subject else None, subject_state=subject.state if subject else None,
                    victim=victim, evidence=sentence[:EVIDENCE_CHARS])
    return list(claims.values())
