"""Claims in a profiled language (workers/lang: Japanese, Chinese, Korean, German,
Russian), with the profile's words: the government that speaks, and how firmly.

Narrower than the English reader: per sentence, a government that will not
confirm (the profile's ``declines``), a denial (``denial``: by the accused state
when the speaker is one, with the state as its subject), or a government's formal
attribution (``formal``, a culprit the profile's cues name, no unnamed source,
no negation or hedge). The speaker is the last government word before the
stance word, with the country form or government word joined to it before
("中国外務省の報道官") and the speakers joined to it ("日本政府と米政府は": one
claim each); with no country there, the profile's ``home_country`` ("防衛相" in
a Japanese paper is Japan's, "外交部" in a Chinese one China's). Claims are kept once per
(claimant, stance, subject).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coverwatch.taxonomy import Actor
from workers.attribution.model import EVIDENCE_CHARS, KINDS_WITH_COUNTRY, AttributedClaim, ClaimantKind, Stance
from workers.lang import ACCUSED_STATES, LanguageProfile, Words, split_sentences
from workers.lang.cues import native_sentence_cues
from workers.lang.places import country_spans

# What may stand between two parts of one speaker's name: "の", "・", a space.
_JOIN = re.compile(r"[の・\s]?")
# What joins two speakers of one statement: "日本政府と米政府", "防衛省、外務省".
_AND = re.compile(r"\s?(?:と|、|及び|および|和|与|및|와|과|,)\s?")


def _named_at(sentence: str, found: list[re.Match[str]], countries: list[tuple[str, int, int]], start: int,
              end: int, home: str | None) -> tuple[str, str | None, int]:
    """The speaker whose last government word spans (start, end): its name, country and start,
    the government words and the country form joined to it before it taken in."""
    country: str | None = None
    while True:
        inside = next(((code, begin) for code, begin, stop in countries if begin <= start < stop), None)
        if inside is not None:  # a country form holding the word: "米政府"
            country, start = inside
            break
        joined = next((match for match in reversed(found) if match.end() <= start
                       and _JOIN.fullmatch(sentence[match.end():start])), None)
        if joined is not None:
            start = joined.start()
            continue
        before = next(((code, begin) for code, begin, stop in countries if stop <= start
                       and _JOIN.fullmatch(sentence[stop:start])), None)
        if before is not None:
            country, start = before
        break
    return sentence[start:end], country or home, start


def _speakers(sentence: str, governments: Words, before: int,
              language: LanguageProfile) -> list[tuple[str, str | None]]:
    """The governments speaking before position ``before`` (the last one and those joined
    to it: "日本政府と米政府は"), as (name, country)."""
    found = [match for match in governments.pattern.finditer(sentence) if match.end() <= before]
    if not found:
        return []
    countries = country_spans(sentence, language)
    name, country, start = _named_at(sentence, found, countries, *found[-1].span(), language.home_country)
    speakers = [(name, country)]
    while True:
        previous = next((match for match in reversed(found) if match.end() <= start
                         and _AND.fullmatch(sentence[match.end():start])), None)
        if previous is None:
            return speakers[::-1]
        name, country, start = _named_at(sentence, found, countries, *previous.span(), language.home_country)
        speakers.append((name, country))


def _accused(sentence: str, language: LanguageProfile) -> tuple[str, str | None] | None:
    """An accused state the sentence names, as named: the denier when no government word speaks."""
    named = language.claims["deniers"].found(sentence)
    for code, start, end in country_spans(sentence, language):
        if code in ACCUSED_STATES:
            return (named[0] if named else sentence[start:end]), code
    return None


def _culprits(sentence: str, actors: Sequence[Actor], language: LanguageProfile) -> list[tuple[str, str]]:
    """(as named, state) of each culprit with a state: actors by their aliases, else states."""
    named = [(alias, actor.state) for actor in actors if actor.state
             for alias in actor.names if alias and alias in sentence][:1]
    if named:
        return [(name, state) for name, state in named if state]
    states = [(sentence[start:end], code) for code, start, end in country_spans(sentence, language)
              if code in ACCUSED_STATES]
    agencies = [(match.group(0), code) for code, pattern in language.agencies for match in pattern.finditer(sentence)]
    return (agencies or states)[:1]


def native_claims(body: str, actors: Sequence[Actor], language: LanguageProfile) -> list[AttributedClaim]:
    """Every government refusal, denial and formal attribution the article reports."""
    words = language.claims
    declines = words.get("declines")
    claims: dict[tuple[str, Stance, str | None], AttributedClaim] = {}

    def add(claimant: str, kind: ClaimantKind, country: str | None, stance: Stance,
            subject: tuple[str, str] | None, sentence: str) -> None:
        key = (claimant, stance, subject[1] if subject else None)
        claims.setdefault(key, AttributedClaim(
            claimant=claimant, claimant_kind=kind,
            claimant_country=country if kind in KINDS_WITH_COUNTRY else None, stance=stance,
            subject=subject[0] if subject else None, subject_state=subject[1] if subject else None,
            victim=None, evidence=sentence[:EVIDENCE_CHARS]))

    for sentence in split_sentences(body, language.code):
        denial = words["denial"].pattern.search(sentence)
        refusal = declines.pattern.search(sentence) if declines is not None else None
        cue = denial or refusal
        if cue is not None:
            speakers = _speakers(sentence, words["government"], cue.start(), language)
            if denial is not None and not speakers:
                accused = _accused(sentence, language)
                speakers = [accused] if accused is not None else []
            for name, country in speakers:
                if denial is None:
                    add(name, ClaimantKind.GOVERNMENT, country, Stance.DECLINES_TO_CONFIRM, None, sentence)
                elif country in ACCUSED_STATES:
                    add(name, ClaimantKind.ACCUSED, country, Stance.DENIES, (name, str(country)), sentence)
                else:
                    add(name, ClaimantKind.GOVERNMENT, country, Stance.DENIES, None, sentence)
            continue
        formal = words["formal"].pattern.search(sentence)
        if formal is None or words["unnamed"].search(sentence):
            continue
        cues = native_sentence_cues(sentence, actors, language)
        if not (cues.state or cues.implied_state) or cues.negated or cues.hypothetical:
            continue
        for name, country in _speakers(sentence, words["government"], formal.start(), language):
            for subject in _culprits(sentence, actors, language):
                add(name, ClaimantKind.GOVERNMENT, country, Stance.ATTRIBUTES, subject, sentence)
    return list(claims.values())
