"""Relevance cues of one sentence in a profiled language: the same cues the
English sentence reader raises (``workers.relevance_cues``), from the profile's
vocabulary, so the one shipped relevance model weighs every language alike.

A country alone raises nothing, as in English: it counts as the actor only with a
threat word right after it ("中国のハッカー", "russische Hacker").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coverwatch.taxonomy import Actor
from workers.lang import LanguageProfile, spaced
from workers.lang.places import country_spans, threat_follows
from workers.relevance_cues import SentenceCues

_NOT_ALNUM = re.compile(r"[\W_]+")
_APT = re.compile(r"\bAPT ?\d+\b")


def native_sentence_cues(sentence: str, actors: Sequence[Actor], language: LanguageProfile) -> SentenceCues:
    cues = SentenceCues()
    if actors:
        squeezed = _NOT_ALNUM.sub("", sentence.casefold())
        for actor in actors:
            alias = next((name for name in actor.names if _NOT_ALNUM.sub("", name.casefold()) in squeezed), None)
            if alias is not None:
                (cues.state if actor.state else cues.unlinked_actor).append(alias)
    cue = language.cue
    cues.state += cue("state").found(sentence)
    cues.state += [match.group(0) for _, pattern in language.agencies for match in pattern.finditer(sentence)]
    cues.implied_state = [sentence[start:end] for _, start, end in country_spans(sentence, language)
                          if threat_follows(sentence, end, language)]
    cues.espionage = cue("espionage").found(sentence) + _APT.findall(spaced(sentence))
    cues.operation = cue("operation").found(sentence)
    cues.crime = cue("crime").found(sentence)
    cues.patch = cue("patch").found(sentence)
    if cues.any_state or cues.espionage:
        cues.firm = cue("firm").search(sentence)
        cues.negated = cue("negation").search(sentence)
        cues.hypothetical = not cues.firm and cue("hypothetical").search(sentence)
    return cues
