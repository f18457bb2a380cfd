"""Recorded pages in the shapes real outlets use, with the article and metadata we expect
(Fundus style: the page as .html.gz, the expectation beside it as JSON)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from crawlers.extraction import ExtractionError, decode_page, extract_article
from workers.evaluation import token_f1

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
NAMES = sorted(path.name.removesuffix(".html.gz") for path in PAGES.glob("*.html.gz"))
ARTICLE_NAMES = [name for name in NAMES if "error" not in json.loads((PAGES / f"{name}.json").read_text("utf-8"))]
# Every article fixture states these, an empty list or null included, so a regression cannot hide.
REQUIRED_METADATA = ("title", "authors", "published_at")


def _recorded(name: str) -> tuple[dict[str, Any], bytes]:
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return expected, gzip.decompress((PAGES / f"{name}.html.gz").read_bytes())


@pytest.mark.parametrize("name", NAMES)
def test_recorded_page(name: str) -> None:
    expected, raw = _recorded(name)
    if "error" in expected:
        with pytest.raises(ExtractionError) as failure:
            extract_article(decode_page(raw), expected["url"])
        assert type(failure.value).__name__ == expected["error"]
        return
    page = extract_article(decode_page(raw, b"text/html; charset=utf-8"), expected["url"])
    assert token_f1(expected["body"], page.body) >= 0.95, page.body
    for field in ("canonical_url", "language", "section"):
        if field in expected:
            assert page.to_json()[field] == expected[field], field
    if "modified_at" in expected:
        assert page.modified_at is not None
        assert page.modified_at.isoformat() == expected["modified_at"].replace("Z", "+00:00")


@pytest.mark.parametrize("name", ARTICLE_NAMES)
def test_recorded_metadata(name: str) -> None:
    expected, raw = _recorded(name)
    assert set(REQUIRED_METADATA) <= set(expected), f"{name}.json lacks {set(REQUIRED_METADATA) - set(expected)}"
    page = extract_article(raw, expected["url"])
    assert page.title == expected["title"]
    assert page.authors == expected["authors"]
    published = expected["published_at"]
    assert (page.published_at.isoformat() if page.published_at else None) == (
        published.replace("Z", "+00:00") if published else None)
