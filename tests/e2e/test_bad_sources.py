"""A broken source is logged and counted; the crawl of the others goes on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from coverwatch.settings import Settings
from crawlers.demo_site.server import Page, SiteServer
from search.engine import SearchEngine
from search.service import run_search
from tests.e2e.conftest import run_crawl_process
from tests.e2e.pages import article_page, rss

SURVIVOR = [
    "Badsrc survivor: a joint advisory says a state-sponsored group hid in utility networks "
    "by abusing small office routers that their makers no longer patch.",
    "Operators are urged to replace end-of-life equipment and review administrator accounts.",
]
SECOND = [
    "Badsrc second: researchers describe how the group relayed its traffic through hundreds "
    "of compromised home routers to look like local users of each victim network.",
    "The routers were taken offline after a court-authorised operation this week.",
]

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_malformed_and_failing_sources(settings: Settings, engine: SearchEngine,
                                                   worker: None, tmp_path: Path) -> None:
    with SiteServer({}) as site:
        base = site.base_url
        site.pages.update({
            "/good/feed.xml": rss(base, [("ok", "/good/badsrc-survivor.html")]),
            "/good/badsrc-survivor.html": article_page(
                "Badsrc survivor: Volt Typhoon advisory", SURVIVOR),
            "/broken/feed.xml": Page(b"<rss><channel><item><title>half a feed",
                                     "application/rss+xml"),
            "/mixed/feed.xml": rss(base, [("fails", "/mixed/error.html"),
                                          ("works", "/mixed/badsrc-second.html")]),
            "/mixed/error.html": Page(b"<h1>Internal Server Error</h1>", status=500),
            "/mixed/badsrc-second.html": article_page(
                "Badsrc second: Volt Typhoon and the routers", SECOND),
        })
        sources = (
            "sources:\n"
            f"  - name: unreachable\n    urls: http://127.0.0.1:{_closed_port()}/feed.xml\n"
            f"  - name: malformed\n    urls: {base}/broken/feed.xml\n"
            f"  - name: mixed\n    urls: {base}/mixed/feed.xml\n"
            f"  - name: good\n    urls: {base}/good/feed.xml\n"
        )
        outcome = run_crawl_process(sources, tmp_path)

    reports = {report["source"]: report for report in outcome["sources"]}
    assert set(reports["unreachable"]["errors"]) == {"feed_unreachable"}
    assert reports["unreachable"]["articles"] == 0
    assert reports["malformed"]["rejected"] == {"feed_malformed": 1}
    assert reports["mixed"]["errors"] == {"article_http_500": 1}
    assert reports["mixed"]["articles"] == 1
    assert reports["good"]["articles"] == 1 and reports["good"]["errors"] == {}
    assert outcome["workers"]["batches_failed"] == 0

    titles = {hit.title for hit in run_search(engine, settings, "Badsrc").hits}
    assert titles == {"Badsrc survivor: Volt Typhoon advisory",
                      "Badsrc second: Volt Typhoon and the routers"}
