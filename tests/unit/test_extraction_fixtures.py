"""Recorded pages in the shapes real outlets use, with the article we expect."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawlers.extraction import ExtractionError, decode_page, extract_article
from workers.evaluation import token_f1

PAGES = Path(__file__).parent.parent / "fixtures" / "pages"
NAMES = sorted(path.name.removesuffix(".html.gz") for path in PAGES.glob("*.html.gz"))


@pytest.mark.parametrize("name", NAMES)
def test_recorded_page(name: str) -> None:
    expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    raw = gzip.decompress((PAGES / f"{name}.html.gz").read_bytes())
    if "error" in expected:
        with pytest.raises(ExtractionError) as failure:
            extract_article(decode_page(raw), expected["url"])
        assert type(failure.value).__name__ == expected["error"]
        return
    page = extract_article(decode_page(raw, b"text/html; charset=utf-8"), expected["url"])
    assert token_f1(expected["body"], page.body) >= 0.95, page.body
    for field in ("title", "canonical_url", "language", "authors", "published_at", "modified_at", "section"):
        if field in expected:
            assert page.to_json()[field] == (
                expected[field] if "_at" not in field else page.to_json()[field]), field
    for field in ("published_at", "modified_at"):
        if field in expected:
            got = getattr(page, field)
            assert got is not None and got.isoformat() == expected[field].replace("Z", "+00:00"), field
