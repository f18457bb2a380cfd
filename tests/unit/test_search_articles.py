"""Deep pagination cursors, the article listing and look-alike queries, and export lines."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from search.export import EXPORT_FIELDS, csv_lines, jsonl_lines, spreadsheet_safe
from search.queries import CURSOR_SORTS, article_listing, similar_articles
from web.articles import InvalidCursor, decode_cursor, encode_cursor


@pytest.mark.parametrize(("sort", "values"), [("relevance", [3.25, 1764547200000, "a1"]),
                                              ("newest", [1764547200000, "zz-9"])])
def test_a_cursor_round_trips(sort: str, values: list[object]) -> None:
    cursor = encode_cursor(sort, values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string
    assert decode_cursor(cursor, sort) == values


def test_a_cursor_is_refused_for_another_order_or_when_forged() -> None:
    with pytest.raises(InvalidCursor, match="sort='newest'"):
        decode_cursor(encode_cursor("newest", [1, "a"]), "relevance")
    for forged in ["", "not base64!", encode_cursor("newest", [1]), encode_cursor("newest", [{"x": 1}, "a"]),
                   encode_cursor("newest", [True, "a"]), "WzEsMl0"]:
        with pytest.raises(InvalidCursor):
            decode_cursor(forged, "newest")


def test_every_cursor_order_ends_in_the_unique_id() -> None:
    for order in CURSOR_SORTS.values():
        assert order[-1] == {"id": "asc"}


def test_the_listing_continues_after_the_cursor_and_keeps_every_filter() -> None:
    first = article_listing("Turla", {"victim": ["DK"]}, since="2026-01-01", sort="newest", size=50)
    assert "search_after" not in first and "collapse" not in first and "aggs" not in first
    assert first["sort"] == CURSOR_SORTS["newest"]
    later = article_listing("Turla", {"victim": ["DK"]}, since="2026-01-01", sort="newest", size=50,
                            after=[1764547200000, "a1"], highlight=False)
    assert later["search_after"] == [1764547200000, "a1"] and "highlight" not in later
    filters = later["query"]["bool"]["filter"]
    assert {"terms": {"victim_countries": ["DK"]}} in filters
    assert any("range" in clause for clause in filters)
    assert later["query"]["bool"]["must_not"] == [{"exists": {"field": "duplicate_of"}}]
    assert article_listing("", {}, include_duplicates=True)["query"]["bool"]["must_not"] == []


def test_similar_articles_asks_for_originals_like_the_article() -> None:
    body = similar_articles("a1", size=5)
    assert body["size"] == 5
    like = body["query"]["bool"]["must"][0]["more_like_this"]
    assert like["like"] == [{"_id": "a1"}] and set(like["fields"]) == {"title", "body"}


@pytest.mark.parametrize(("text", "safe"), [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1", "'+1"),
                                            ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("APT28 = Fancy Bear",
                                                                                  "APT28 = Fancy Bear")])
def test_spreadsheet_formulas_stay_text(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe


ARTICLES: list[dict[str, Any]] = [
    {"id": "a1", "title": "=cmd|' /C calc'!A0", "source": "wire", "actors": ["G0007", "G0010"],
     "lead": "Line one,\nline \"two\"", "relevance": 0.9},
    {"id": "a2", "title": "Plain", "source": "blog"},
]


def test_csv_has_a_header_then_one_row_per_article() -> None:
    lines = list(csv_lines(ARTICLES))
    assert len(lines) == 3
    rows = list(csv.reader(io.StringIO("".join(lines))))
    assert rows[0] == list(EXPORT_FIELDS)
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["title"] == "'=cmd|' /C calc'!A0"
    assert first["actors"] == "G0007; G0010" and first["lead"] == "Line one,\nline \"two\""
    assert first["relevance"] == "0.9" and first["story_id"] == ""


def test_json_lines_keep_types_and_only_export_fields() -> None:
    lines = list(jsonl_lines([{**ARTICLES[0], "cluster_terms": ["x"]}, ARTICLES[1]]))
    assert all(line.endswith("\n") for line in lines)
    first = json.loads(lines[0])
    assert first["actors"] == ["G0007", "G0010"] and first["relevance"] == 0.9
    assert first["title"] == ARTICLES[0]["title"]  # JSON is not a spreadsheet: text unchanged
    assert "cluster_terms" not in first
