"""Sentences and word look-ups shared by the entity, claim and relevance stages:
sentence splitting (cached per text and per paragraph) and PhraseIndex, which
finds listed names by word n-grams. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import compress
from typing import Generic, TypeVar

V = TypeVar("V")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")


@lru_cache(maxsize=16)
def split_sentences(text: str) -> tuple[str, ...]:
    """Cached: actors, countries and claims each read the sentences of one article."""
    sentences: list[str] = []
    for paragraph in text.splitlines():
        sentences.extend(_paragraph_sentences(paragraph))
    return tuple(sentences)


@lru_cache(maxsize=1024)
def _paragraph_sentences(paragraph: str) -> tuple[str, ...]:
    """Cached per paragraph: the stages split the whole text, the lead and body, and
    each part alone, which share paragraphs but not strings."""
    return tuple(part.strip() for part in _SENTENCE_END.split(paragraph) if part.strip())


def forget_texts() -> None:
    """Empty the per-text caches (for benchmarks that time reading texts afresh)."""
    for cache in (split_sentences, _paragraph_sentences, _word_keys, _word_spans):
        cache.cache_clear()


_WORD = re.compile(r"[^\W_]+(?:[\-.@&][^\W_]+)*")
_NOT_ALNUM = re.compile(r"[\W_]+")
MAX_PHRASE_TOKENS = 6


class PhraseIndex(Generic[V]):
    """Names looked up by word n-grams, keyed by their letters and digits only, so
    "APT 28", "APT-28" and "APT28" meet. A set of key prefixes stops each look-up
    as soon as no name can match, so the cost is about one probe per word."""

    def __init__(self, entries: Iterable[tuple[str, V]]) -> None:
        self._values: dict[str, V] = {}
        self._prefixes: set[str] = set()
        for name, value in entries:
            key = _key(name)
            if not key or len(_WORD.findall(name)) > MAX_PHRASE_TOKENS:
                continue
            self._values[key] = value
            self._prefixes.update(key[:cut] for cut in range(1, len(key) + 1))

    def find(self, sentence: str) -> list[tuple[V, int, int]]:
        """Longest match at each position, left to right: (value, start, end)."""
        matches = self._matches(_word_keys(sentence))
        if not matches:
            return []
        spans = _word_spans(sentence)
        return [(value, spans[first][0], spans[first + words - 1][1]) for value, first, words in matches]

    def values(self, text: str) -> list[V]:
        """The values ``find`` would give, without where they are: the words'
        positions are then never worked out (for a whole article, most of the cost)."""
        return [value for value, _, _ in self._matches(_word_keys(text))]

    def _matches(self, keys: tuple[str, ...]) -> list[tuple[V, int, int]]:
        """(value, first word, number of words) of the longest match at each position."""
        found: list[tuple[V, int, int]] = []
        prefixes, values, total = self._prefixes, self._values, len(keys)
        resume = 0  # the first word after the last match
        # Words no name starts with are passed over in C (compress); of the rest, most
        # ("a", "in": they begin names) are no name and begin none with the next word.
        for position in compress(range(total), map(prefixes.__contains__, keys)):
            if position < resume:
                continue
            first = keys[position]
            if first not in values and (position + 1 == total or first + keys[position + 1] not in prefixes):
                continue
            best = 0
            joined = ""
            for length, key in enumerate(keys[position:position + MAX_PHRASE_TOKENS], start=1):
                joined += key
                if joined not in prefixes:
                    break
                if joined in values:
                    best, best_key = length, joined
            if best:
                found.append((values[best_key], position, best))
                resume = position + best
        return found


@lru_cache(maxsize=1 << 16)
def _key(alias: str) -> str:
    return _NOT_ALNUM.sub("", alias.casefold())


# Punctuation common in news that is neither a letter, a digit nor a joiner of _WORD:
# a space in its place leaves the words as they were, and the text often plain ASCII.
_TYPOGRAPHIC = ("\u2019", "\u201c", "\u201d", "\u2014", "\u2013", "\xa0", "\u2018", "\u2026", "\u2022")
# In ASCII text a word's key is its letters and digits, lower-cased: joiners between
# two of them go (as _key drops them), and what is left splits into the keys.
# (The joiner first, then the look back: a pattern that starts with a character class is
# searched for far faster than one that starts with a look-behind.)
_ASCII_JOINER = re.compile(r"[\-.@&](?<=[a-z0-9][\-.@&])(?=[a-z0-9])")
_ASCII_KEY = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=4096)
def _word_keys(sentence: str) -> tuple[str, ...]:
    """The look-up key of each word (see PhraseIndex); cached because every phrase
    index reads the same sentences."""
    plain = sentence
    for mark in _TYPOGRAPHIC:
        if mark in plain:
            plain = plain.replace(mark, " ")
    if plain.isascii():
        return tuple(_ASCII_KEY.findall(_ASCII_JOINER.sub("", plain.lower())))
    return tuple(_key(match.group(0)) for match in _WORD.finditer(sentence))


def word_keys(sentence: str) -> tuple[str, ...]:
    """The look-up keys of a sentence's words, lower case, letters and digits (cached, and
    shared with every PhraseIndex that read the sentence)."""
    return _word_keys(sentence)


@lru_cache(maxsize=256)
def _word_spans(sentence: str) -> tuple[tuple[int, int], ...]:
    """Where each word of ``_word_keys`` is; needed only where a name was found."""
    return tuple(match.span() for match in _WORD.finditer(sentence))
