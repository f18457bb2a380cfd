"""normalise_body drops accents by translating the marks present; the result is
that of testing every character, as it was first written."""

from __future__ import annotations

import re
import unicodedata

import pytest

from workers.dedupe import normalise_body


def _char_by_char(body: str) -> str:
    folded = unicodedata.normalize("NFKD", body).casefold()
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    return re.sub(r"[^\w]+", " ", folded).strip()


@pytest.mark.parametrize("body", [
    "Café naïve Ångström façade — “quoted” İstanbul ﬁne Σίσυφος ＡＢＣ１２３",
    "e\u0301\u0302x and a lone mark \u0301",
    "Łódź, Škoda, Düsseldorf: Ārvis’ ŉ ǰ",
    "日本語のテキスト、APT28が侵入。 한국어 텍스트",
    "plain ascii text, no marks",
])
def test_marks_are_dropped_as_before(body: str) -> None:
    assert normalise_body(body) == _char_by_char(body)
