"""terms() lowers a whole text at once; its words must be those of lowering
each word alone (the way it was written first)."""

from __future__ import annotations

import pytest

from workers.story_terms import _TOKEN, STOPWORDS, _normal, terms


def _word_by_word(text: str) -> list[str]:
    found = (_normal(token) for token in _TOKEN.findall(text))
    return [token for token in found if len(token) > 1 and token not in STOPWORDS]


@pytest.mark.parametrize("text", [
    "Russia’s GRU hackers breached Denmark's defence ministry, officials said.",
    "APT-28’S tools: X-Agent v2.1, CVE-2023-23397 and e-mail lures…",
    "Über-Hacker aus Moskau griffen das Bundesamt an; “Fancy Bear” sei schuld.",
    "ΟΔΟΣ:Α and ΟΔΟΣ. Σ‘Α",  # the capital sigma lowers by its neighbours
    "İstanbul’s İŞKUR portal was hit",  # the dotted capital I lowers to two characters
    "snake_case words_ and __init__ 's 's’s",
])
def test_whole_text_lowering_gives_the_same_words(text: str) -> None:
    assert terms(text) == _word_by_word(text)


def test_possessive_and_curly_apostrophe_fold() -> None:
    assert terms("Sandworm’s and Sandworm's wipers") == ["sandworm", "sandworm", "wipers"]
