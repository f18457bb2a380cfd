"""Word and character n-grams of an English article for the learned relevance
model. Pure; the trainer and the enrich stage call the same functions, so a
term means the same thing when the model learns it and when it scores.

An article is read in three fields, each its own block of terms: the headline,
as words, word pairs and the character n-grams of its words (which tie "China-
linked" to "Chinese" and "hackers" to "hacking"); the lead (the lead and the
first words of the body: what the piece is about), as words and word pairs;
and the whole body, as words. Character n-grams of the lead and word pairs of
the body cost more CPU than they told the model in cross-validation on the
tune split (the same F1 to three places), so they are left out.

A term's weight is ``(1 + log tf) * idf``, each block scaled to unit length
over the model's own vocabulary, so the weights do not depend on how long the
article is, and a term the model never learned changes nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import chain, pairwise

TITLE, LEAD, BODY = "t", "l", "b"
FIELDS = (TITLE, LEAD, BODY)
FIELD_NAMES = {TITLE: "headline", LEAD: "lead", BODY: "body"}
# The lead and the opening of the body: news puts the subject there.
LEAD_WORDS = 80
CHAR_SIZES = (3, 4, 5)
# Apostrophes and hyphens stay inside a word: "state-sponsored" is one term and its parts are two more.
FieldTerms = dict[str, dict[str, int]]  # field -> term -> count
FieldWeights = dict[str, dict[str, float]]  # field -> term -> weight
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
_DIGITS = re.compile(r"\d")
# 1 + ln(tf), looked up; a term is counted at most this often (far beyond any news article's words).
SUBLINEAR_SIZE = 4096
SUBLINEAR = [0.0, *(1.0 + math.log(count) for count in range(1, SUBLINEAR_SIZE))]


def words(text: str) -> list[str]:
    """Lower-case words in order; apostrophes and hyphens stay inside a word."""
    return _WORD.findall(text.casefold())


def _variants(word: str) -> list[str]:
    """More terms for one word: the parts of a hyphenated word ("state-sponsored"
    also counts as "state" and "sponsored"), and a word with digits in the shape
    with every digit 0, so "APT28" and an APT number never seen in training share
    "apt00", and every CVE id shares "cve-0000-00000"."""
    variants = [part for part in word.split("-") if len(part) > 1] if "-" in word else []
    if _DIGITS.search(word):
        variants.append(_DIGITS.sub("0", word))
    return variants


def _word_terms(tokens: list[str], pairs: bool = True) -> dict[str, int]:
    terms = Counter(tokens)
    for token, count in list(terms.items()):
        if "-" in token or _DIGITS.search(token):
            for variant in _variants(token):
                terms[variant] += count
    counted = {term: count for term, count in terms.items() if len(term) > 1}
    if pairs:
        counted.update({f"{first} {second}": count for (first, second), count in Counter(pairwise(tokens)).items()})
    return counted


@lru_cache(maxsize=131072)
def _char_grams(token: str) -> tuple[str, ...]:
    # Cached: news repeats its words, and the strings cost more to build than to count.
    padded = f" {token} "
    return tuple(f"#{padded[i:i + size]}" for size in CHAR_SIZES for i in range(len(padded) - size + 1))


def field_terms(title: str, lead: str, body: str) -> FieldTerms:
    """Raw term counts of each field, before weighting. Within a field a term is
    bare: a word, two words with a space, or a character n-gram after "#"."""
    title_words = words(title)
    body_words = words(body)
    lead_words = [*words(lead), *body_words][:LEAD_WORDS]
    headline = _word_terms(title_words)
    headline.update(Counter(chain.from_iterable(map(_char_grams, title_words))))
    return {TITLE: headline, LEAD: _word_terms(lead_words), BODY: _word_terms(body_words, pairs=False)}


def weighted_terms(counts: Mapping[str, Mapping[str, int]], idf: Mapping[str, Mapping[str, float]]) -> FieldWeights:
    """Sublinear tf times idf over the terms ``idf`` knows, each field unit length."""
    weighted: FieldWeights = {}
    for field in FIELDS:
        known_idf = idf.get(field, {})
        block = {term: SUBLINEAR[min(count, SUBLINEAR_SIZE - 1)] * known
                 for term, count in counts.get(field, {}).items() if (known := known_idf.get(term)) is not None}
        norm = math.sqrt(sum(value * value for value in block.values()))
        if norm:
            scale = 1.0 / norm
            weighted[field] = {term: value * scale for term, value in block.items()}
    return weighted


def term_name(field: str, term: str) -> str:
    """A term's name across fields, as the model file and the evidence spell it:
    "t:state-sponsored", "l:state hackers", "t#spon"."""
    return f"{field}{term}" if term.startswith("#") else f"{field}:{term}"


def split_name(name: str) -> tuple[str, str]:
    field, rest = name[0], name[1:]
    if field not in FIELDS or not rest or rest[0] not in ":#":
        raise ValueError(f"{name!r} is not a term name (field t, l or b, then ':' or '#')")
    return field, rest[1:] if rest[0] == ":" else rest


def document_frequencies(documents: Iterable[Mapping[str, Mapping[str, int]]]) -> Counter[str]:
    """How many documents hold each term, by name (the trainer's vocabulary and idf)."""
    frequencies: Counter[str] = Counter()
    for counts in documents:
        for field, field_counts in counts.items():
            frequencies.update(term_name(field, term) for term in field_counts)
    return frequencies


def smooth_idf(document_count: int, frequency: int) -> float:
    return math.log((1 + document_count) / (1 + frequency)) + 1.0


def readable(term: str) -> str:
    """'t:state-sponsored' -> '"state-sponsored" in the headline', for the evidence."""
    field, separator, text = term[0], term[1], term[2:]
    where = FIELD_NAMES.get(field, field)
    shown = f"…{text.strip()}…" if separator == "#" else text
    return f'"{shown}" in the {where}'
