"""Celery beat, generated from sources.yml, crawls a short-interval source again
and again through the real workers and a long-lived crawler process (beat's
dispatch queues due sources, the crawler runs them); an edit to the file takes
effect live."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from coverwatch.settings import PROJECT_ROOT, Settings
from crawlers.demo_site.server import SiteServer
from crawlers.health import SourceStates
from search.engine import SearchEngine
from search.service import run_search
from tests.conftest import SOURCES_FILE
from tests.e2e.crawler_process import crawler_process
from tests.e2e.pages import article_page, rss

pytestmark = pytest.mark.e2e


def _eventually(check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


STORIES = {
    "one": ["Beat check one: officials said a state-sponsored espionage group breached a ministry network.",
            "Responders found an implant on a logistics server and removed it after several weeks.",
            "The ministry said it informed its allies and replaced a contractor's remote access system."],
    "two": ["Beat check two: a second intrusion hit the port authority's cargo scheduling systems in March.",
            "Investigators linked a web shell on the booking portal to the same state-backed espionage group.",
            "Shipping companies were told to rotate passwords for the customs data exchange."],
    "late": ["Beat check late: hackers working for a foreign intelligence service stole satellite designs.",
             "The indictment says the intruders exfiltrated files from an engineer's laptop over eighteen months.",
             "The company said it had cooperated fully and tightened access to its design vault."],
}


def _paragraphs(topic: str) -> list[str]:
    return STORIES[topic]


def test_beat_crawls_sources_on_schedule(settings: Settings, engine: SearchEngine, worker: None,
                                         redis_client: redis.Redis, tmp_path: Path) -> None:
    states = SourceStates(redis_client, settings)
    with SiteServer({}) as site, crawler_process(tmp_path / "crawler.log", redis_client, settings, 60):
        base = site.base_url
        site.pages.update({
            "/beat/feed.xml": rss(base, [("one", "/beat/one.html")]),
            "/beat/one.html": article_page("Beat check one: ministry breach", _paragraphs("one")),
        })
        Path(SOURCES_FILE).write_text(
            f"sources:\n  - name: beat-news\n    urls: {base}/beat/feed.xml\n    schedule: every 10s\n")
        beat_log = (tmp_path / "beat.log").open("wb")
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "beat-schedule")],
            env={**os.environ, "COVERWATCH_DISPATCH_SECONDS": "2"}, cwd=PROJECT_ROOT,
            stdout=beat_log, stderr=subprocess.STDOUT)
        try:
            _eventually(lambda: states.get("beat-news").last_success is not None)
            first = states.get("beat-news")
            assert first.status == "ok" and first.new_items == 1 and first.next_run

            # The outlet publishes again; the next scheduled run picks it up.
            site.pages["/beat/feed.xml"] = rss(base, [("two", "/beat/two.html"), ("one", "/beat/one.html")])
            site.pages["/beat/two.html"] = article_page("Beat check two: second breach", _paragraphs("two"))
            _eventually(lambda: states.get("beat-news").last_run != first.last_run
                        and states.get("beat-news").new_items == 1)

            # A source added to the file is crawled without any restart.
            site.pages["/late/feed.xml"] = rss(base, [("late", "/late/one.html")])
            site.pages["/late/one.html"] = article_page("Beat check late: added source", _paragraphs("late"))
            Path(SOURCES_FILE).write_text(
                f"sources:\n  - name: beat-news\n    urls: {base}/beat/feed.xml\n    schedule: every 10s\n"
                f"  - name: late-news\n    urls: {base}/late/feed.xml\n    schedule: every 1h\n")
            _eventually(lambda: states.get("late-news").last_success is not None)
        finally:
            beat.terminate()
            beat.wait(timeout=20)
            beat_log.close()
            Path(SOURCES_FILE).write_text("sources: []\n")

    def indexed() -> set[str]:
        return {hit.title for hit in run_search(engine, settings, '"Beat check"').hits}

    _eventually(lambda: len(indexed()) == 3, timeout=60)
    assert indexed() == {"Beat check one: ministry breach", "Beat check two: second breach",
                         "Beat check late: added source"}
