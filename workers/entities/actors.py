"""Threat actors named in article text, alias-resolved against the taxonomy:
each alias is found by word n-grams (workers/phrases.py) or, for CJK names, as
a substring, and kept only where its surroundings say it is used as a name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from coverwatch.taxonomy import Actor, Taxonomy, default_taxonomy
from workers.actor_context import links_alias, part_of_longer_name, threat_near, vetoed
from workers.lang import has_cjk, spaced
from workers.lang import split_sentences as native_sentences
from workers.phrases import PhraseIndex


@dataclass(frozen=True)
class ActorMention:
    actor_id: str
    alias: str
    sentence: str


@dataclass(frozen=True)
class _Candidate:
    """One alias found in one sentence, and what its surroundings say about it."""

    actor: Actor
    surface: str
    sentence: str
    start: int
    end: int
    refused: bool  # not a name here whatever else the article says
    needs_context: bool  # a name only near threat words or beside an unambiguous mention
    threat_near: bool

    @classmethod
    def judge(cls, actor: Actor, alias: str, sentence: str, start: int, end: int) -> _Candidate:
        surface = sentence[start:end]
        word_like = not any(char.isdigit() for char in alias)
        refused = (
            (_shouted(alias) and surface.lower() == surface)  # "apt30" is not how anyone writes APT30
            or (word_like and surface.lower() == surface and alias.lower() != alias)  # "giant sandworm"
            or (word_like and alias[:1].isupper() and not surface[:1].isupper())
            or (word_like and part_of_longer_name(sentence, end))  # "Cozy Bear Lodge"
            or (word_like and vetoed(sentence, start, end)))  # "the Sandworm in the new Dune film"
        # "Midnight Blizzard" is a group; "Midnight blizzard" is weather.
        lowered_phrase = _is_phrase(surface) and not all(w[:1].isupper() for w in surface.split())
        return cls(actor, surface, sentence, start, end, refused,
                   actor.is_ambiguous(alias) or lowered_phrase,
                   threat_near(sentence, start, end) or _GROUP_WORD.search(surface) is not None)


_GROUP_WORD = re.compile(r"\b(?:group|team)$", re.IGNORECASE)  # "the Lazarus group"


def _drop_linked_aliases(accepted: list[_Candidate]) -> list[_Candidate]:
    """A name given as another name of the one before it ("APT41, also called
    Winnti") stands for that actor, even where the taxonomy keeps two entries."""
    kept: list[_Candidate] = []
    head: _Candidate | None = None
    previous: _Candidate | None = None
    for candidate in accepted:
        if previous is not None and links_alias(candidate.sentence[previous.end:candidate.start],
                                                in_alias_run=head is not None):
            head = head or previous
            if candidate.actor.id != head.actor.id:
                previous = candidate
                continue
        else:
            head = None
        kept.append(candidate)
        previous = candidate
    return kept


class ActorMatcher:
    """Every alias of every actor, found by word n-grams (see PhraseIndex)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._index = PhraseIndex((alias, (actor, alias)) for actor in taxonomy.actors for alias in actor.names
                                  if not has_cjk(alias))
        # CJK names have no word boundaries to look up by: they are found as substrings
        # (of the spaced text, where "61398部隊" is "61398 部隊"), longest first.
        self._native = sorted(((spaced(alias), actor, alias) for actor in taxonomy.actors for alias in actor.names
                               if has_cjk(alias)), key=lambda entry: -len(entry[0]))

    def _find(self, sentence: str) -> list[tuple[Actor, str, str]]:
        return [(actor, alias, sentence[start:end]) for (actor, alias), start, end in self._index.find(sentence)]

    def mentions(self, text: str, language: str = "en") -> list[ActorMention]:
        """Mentions used as names of threat actors, each alias run ("APT41, also
        called Winnti") reported as its first name's actor. In CJK text the
        Latin-script names are read from the spaced text (see workers.lang.spaced)."""
        candidates: list[list[_Candidate]] = []
        confirmed: set[str] = set()
        native = has_cjk(text)
        for sentence in native_sentences(spaced(text) if native else text, language):
            kept = [candidate for candidate in self._candidates(sentence) if not candidate.refused]
            if kept:  # most sentences name no actor
                confirmed.update(c.actor.id for c in kept if not c.needs_context)
                candidates.append(kept)
        found: list[ActorMention] = []
        for sentence_candidates in candidates:
            accepted = [c for c in sentence_candidates
                        if not c.needs_context or c.actor.id in confirmed or c.threat_near]
            found.extend(ActorMention(c.actor.id, c.surface, c.sentence) for c in _drop_linked_aliases(accepted))
        return found

    def _candidates(self, sentence: str) -> list[_Candidate]:
        found = [_Candidate.judge(actor, alias, sentence, start, end)
                 for (actor, alias), start, end in self._index.find(sentence)]
        if self._native and not sentence.isascii() and has_cjk(sentence):
            found = sorted([*found, *self._native_candidates(sentence)], key=lambda candidate: candidate.start)
        return found

    def _native_candidates(self, sentence: str) -> list[_Candidate]:
        taken: list[tuple[int, int]] = []
        found = []
        for key, actor, alias in self._native:
            start = sentence.find(key)
            while start >= 0:
                end = start + len(key)
                if not any(start < other_end and other_start < end for other_start, other_end in taken):
                    taken.append((start, end))
                    found.append(_Candidate.judge(actor, alias, sentence, start, end))
                start = sentence.find(key, end)
        return found

    def actor_ids(self, text: str, language: str = "en") -> list[str]:
        return list(dict.fromkeys(mention.actor_id for mention in self.mentions(text, language)))


def _shouted(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and any(c.isdigit() for c in alias)


def _is_phrase(surface: str) -> bool:
    words = surface.split()
    return len(words) > 1 and all(word.isalpha() for word in words)


@lru_cache(maxsize=1)
def default_matcher() -> ActorMatcher:
    return ActorMatcher(default_taxonomy())
