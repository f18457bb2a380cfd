"""Indicators and techniques through the real enrich stage and engine (issue 23,
parts 1-2): an article's indicators are found by their facet and by value, its
techniques by theirs, and the story page shows the indicators defanged."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search.documents import index_articles
from search.engine import SearchEngine
from search.indexes import STORIES, refresh
from workers.enrichment import enrich
from workers.entities import default_matcher

pytestmark = pytest.mark.integration
STORY = "indicators-story"
# Written for this test: a defanged C2 domain and address, a hash, a technique, the outlet's own link.
BODY = ("Researchers said the Fancy Bear implant beaconed to the C2 domain zorbitrack-update[.]net and to "
        "185.220.77[.]41, and dropped a loader (SHA-256 "
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8) through a spearphishing attachment. "
        "Our earlier report is at https://www.zorbitrack-news.example/2026/first.")


@pytest.fixture(scope="module")
def article(settings: Settings, engine: SearchEngine) -> Article:
    from workers.stories import refresh_story_documents

    enriched = enrich(Article(url="https://www.zorbitrack-news.example/2026/zorbitrack", source="zorbitrack-news",
                              title="Zorbitrack: Fancy Bear's new implant", body=BODY),
                      default_taxonomy(), default_matcher())
    enriched.story_id = STORY
    index_articles(engine, settings, [enriched.to_document()], refresh=True)
    refresh_story_documents([STORY], engine, settings)
    refresh(engine, settings, STORIES)
    return enriched


def _facet(page: dict[str, Any], name: str) -> dict[str, int]:
    facet: dict[str, Any] = next((f for f in page["facets"] if f["name"] == name), {"values": []})
    return {value["value"]: value["count"] for value in facet["values"]}


def test_the_enrich_stage_fills_the_fields(article: Article) -> None:
    assert article.indicators == [
        {"type": "domain", "value": "zorbitrack-update.net"}, {"type": "ipv4", "value": "185.220.77.41"},
        {"type": "sha256", "value": "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"}]
    assert article.techniques == ["T1566.001"] and article.tactics == ["initial-access"]


def test_found_by_indicator_type_and_value_and_by_technique(api: httpx.Client, article: Article) -> None:
    page = api.get("/api/v1/search", params={"q": "Zorbitrack"}).json()
    assert [hit["article"]["id"] for hit in page["hits"]] == [article.id]
    assert _facet(page, "indicator_type") == {"domain": 1, "ipv4": 1, "sha256": 1}
    assert _facet(page, "technique") == {"T1566.001": 1} and _facet(page, "tactic") == {"initial-access": 1}

    by_type = api.get("/api/v1/search", params={"q": "Zorbitrack", "indicator_type": "ipv4"}).json()
    assert [hit["article"]["id"] for hit in by_type["hits"]] == [article.id]
    assert api.get("/api/v1/search", params={"q": "Zorbitrack", "indicator_type": "md5"}).json()["hits"] == []
    # Refanged in the index: the value as an analyst pastes it finds the article.
    by_value = api.get("/api/v1/search", params={"q": 'indicators.value:"zorbitrack-update.net"'}).json()
    assert [hit["article"]["id"] for hit in by_value["hits"]] == [article.id]
    by_technique = api.get("/api/v1/search", params={"q": "Zorbitrack", "technique": "T1566.001"}).json()
    assert [hit["article"]["id"] for hit in by_technique["hits"]] == [article.id]


def test_the_story_page_shows_them_defanged(api: httpx.Client, article: Article) -> None:
    page = api.get(f"/stories/{STORY}")
    assert page.status_code == 200, page.text[:300]
    assert "zorbitrack-update[.]net" in page.text and "185.220.77[.]41" in page.text
    assert "zorbitrack-update.net" not in page.text and "185.220.77.41" not in page.text
    assert "T1566.001" in page.text
