"""Feed → real Scrapy crawl → real Celery worker → OpenSearch → API → SMTP inbox."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import httpx
import pytest

from alerts.rules import AlertRule, register_rule
from coverwatch.settings import Settings
from crawlers.demo_site.server import Page, SiteServer
from search.documents import count_articles
from search.engine import SearchEngine
from tests.conftest import SmtpSink
from tests.e2e.conftest import run_crawl_process
from tests.e2e.pages import TURLA, VOLT, article_page, rss

pytestmark = pytest.mark.e2e


def test_feed_to_index_to_inbox(settings: Settings, engine: SearchEngine, worker: None,
                                smtp_sink: SmtpSink, api_url: str, api_headers: dict[str, str],
                                tmp_path: Path) -> None:
    rules = {
        "e2e Turla": "Turla AND defence",
        "e2e Volt Typhoon": '"Volt Typhoon"',
        "e2e never": "Lazarus AND cryptocurrency",
    }
    for name, query in rules.items():
        register_rule(engine, settings, AlertRule(name=name, query_string=query,
                                                  subscribers=["desk@example.org"]))
    with SiteServer({}) as site:
        base = site.base_url
        site.pages.update({
            "/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain"),
            "/feed.xml": rss(base, [("Turla", "/news/turla.html?utm_source=rss"),
                                    ("Volt", "/news/volt.html"),
                                    ("Turla (reprint)", "/syndicated/turla-copy.html")]),
            "/news/turla.html": article_page("Turla inside the defence ministry", TURLA,
                                             canonical=f"{base}/news/turla.html"),
            "/news/volt.html": article_page("Volt Typhoon hides in water utilities", VOLT),
            # Same story, another URL, typographic differences only: a syndicated copy.
            "/syndicated/turla-copy.html": article_page(
                "Turla inside the defence ministry",
                [p.replace("'", "\u2019").upper() for p in TURLA],
                published="2026-11-19T10:00:00+00:00"),
        })
        before = len(smtp_sink.messages)
        outcome = run_crawl_process(
            f"sources:\n  - name: fixture-news\n    urls: {base}/feed.xml\n", tmp_path)

    source_report = outcome["sources"][0]
    assert source_report["articles"] == 3
    assert source_report["errors"] == {}
    assert outcome["workers"]["batches_failed"] == 0

    assert count_articles(engine, settings, duplicates=False, source="fixture-news") == 2
    assert count_articles(engine, settings, duplicates=True, source="fixture-news") == 1

    with httpx.Client(base_url=api_url, headers=api_headers, timeout=10) as api:
        _check_api(api, base)
        health = api.get("/api/health").json()
        assert health["healthy"] and set(health["pipeline"]["queued"]) >= {"ingest", "cluster", "alerts"}
    _check_inbox(smtp_sink.messages[before:], base)


def _check_api(api: httpx.Client, base: str) -> None:
    found = api.get("/api/search", params={"q": "Turla", "source": "fixture-news"}).json()
    assert found["total"] == 1
    assert found["hits"][0]["url"].startswith(f"{base}/news/turla.html")
    original_id = found["hits"][0]["id"]
    with_copies = api.get("/api/search", params={"q": "Turla", "duplicates": "true", "source": "fixture-news"}).json()
    copy = next(hit for hit in with_copies["hits"] if hit["id"] != original_id)
    assert copy["duplicate_of"] == original_id
    assert api.get("/api/search", params={"q": "water utilities", "source": "fixture-news"}).json()["total"] == 1


def _check_inbox(raw_messages: list[bytes], base: str) -> None:
    received = [message_from_bytes(raw) for raw in raw_messages]
    subjects = sorted(str(message["Subject"]) for message in received)
    assert subjects == [
        "[Coverwatch] e2e Turla: Turla inside the defence ministry",
        "[Coverwatch] e2e Volt Typhoon: Volt Typhoon hides in water utilities",
    ]
    turla_mail = next(m for m in received if "Turla" in str(m["Subject"]))
    text = next(part for part in turla_mail.walk() if part.get_content_type() == "text/plain")
    payload = text.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert f"{base}/news/turla.html" in payload.decode()
