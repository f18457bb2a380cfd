"""The long-lived crawler on real Redis and workers: many sources in one
process, a slow host that does not hold up the others, a source's time limit,
and a crawler killed with kill -9 whose source another crawler takes over."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from coverwatch.settings import Settings
from crawlers.crawl_queue import GROUP, CrawlQueue
from crawlers.demo_site.server import Page, SiteServer
from crawlers.dispatch import dispatch_due
from crawlers.health import SourceStates
from tests.e2e.crawler_process import TIME_LIMIT, crawler_process, eventually
from tests.e2e.pages import TURLA, article_page, rss

pytestmark = pytest.mark.e2e


def _pending_by_consumer(redis_client: redis.Redis, settings: Settings) -> dict[str, int]:
    key = settings.redis_key("crawl-queue")
    if not redis_client.exists(key):
        return {}
    summary = cast(dict[str, Any], redis_client.xpending(key, GROUP))
    return {(c["name"].decode() if isinstance(c["name"], bytes) else c["name"]): int(c["pending"])
            for c in summary.get("consumers") or []}


def _feed_site(site: SiteServer, outlet: str, delay: float = 0.0) -> None:
    base = site.base_url
    feed = rss(base, [(f"{outlet} report", f"/{outlet}/story.html")])
    site.pages[f"/{outlet}/feed.xml"] = Page(feed.body, feed.content_type, delay=delay)
    site.pages[f"/{outlet}/story.html"] = article_page(
        f"Crawler service check {outlet}: Turla in a ministry network", TURLA)


def test_many_sources_in_one_crawler_and_a_slow_host_only_delays_itself(
        settings: Settings, worker: None, redis_client: redis.Redis, tmp_path: Path) -> None:
    states = SourceStates(redis_client, settings)
    outlets = [f"svc-fast-{n}" for n in range(12)]
    # Another address is another host for Scrapy's per-host slots, like another outlet.
    with SiteServer({}) as fast, SiteServer({}, host="127.0.0.2") as slow:
        for outlet in outlets:
            _feed_site(fast, outlet)
        _feed_site(slow, "svc-slow", delay=TIME_LIMIT * 3)
        entries = [f"  - name: {o}\n    urls: {fast.base_url}/{o}/feed.xml\n    schedule: every 1h\n"
                   for o in outlets]
        entries.append(f"  - name: svc-slow\n    urls: {slow.base_url}/svc-slow/feed.xml\n    schedule: every 1h\n")
        sources_file = tmp_path / "sources.yml"
        sources_file.write_text("sources:\n" + "".join(entries))
        with crawler_process(tmp_path / "crawler.log", redis_client, settings):
            started = time.monotonic()
            queued = dispatch_due(sources_file, redis_client, settings, datetime.now(UTC))
            assert sorted(queued) == sorted([*outlets, "svc-slow"])
            eventually(lambda: all(states.get(o).last_success for o in outlets), 60, "the fast sources")
            fast_done = time.monotonic() - started
            assert states.get("svc-slow").last_run is None, "the slow source should still be running"
            eventually(lambda: states.get("svc-slow").last_run is not None, 30, "the slow source's time limit")
            slow_done = time.monotonic() - started

    assert all(states.get(o).new_items == 1 for o in outlets)
    assert fast_done < slow_done
    slow_state = states.get("svc-slow")
    # Cut off at its time limit, not at the download timeout, and counted as a failed run.
    assert slow_done < TIME_LIMIT * 3
    assert slow_state.consecutive_failures == 1 and "time_limit" in (slow_state.last_error or "")
    assert not redis_client.exists(settings.redis_key("lock", "crawl", "svc-slow"))
    assert sum(_pending_by_consumer(redis_client, settings).values()) == 0
    # Due again only at their next run; nothing is queued twice meanwhile.
    assert dispatch_due(sources_file, redis_client, settings, datetime.now(UTC)) == []


def test_a_killed_crawlers_source_is_taken_over_by_another(
        settings: Settings, worker: None, redis_client: redis.Redis, tmp_path: Path) -> None:
    states = SourceStates(redis_client, settings)
    with SiteServer({}, host="127.0.0.3") as site:
        _feed_site(site, "svc-victim", delay=30)
        sources_file = tmp_path / "sources.yml"
        sources_file.write_text(f"sources:\n  - name: svc-victim\n    urls: {site.base_url}/svc-victim/feed.xml\n")
        with crawler_process(tmp_path / "first.log", redis_client, settings, 120) as first:
            assert dispatch_due(sources_file, redis_client, settings, datetime.now(UTC)) == ["svc-victim"]
            eventually(lambda: sum(_pending_by_consumer(redis_client, settings).values()) == 1, 30,
                        "the first crawler to take the source")
            victim = next(iter(_pending_by_consumer(redis_client, settings)))
            eventually(lambda: bool(redis_client.exists(settings.redis_key("lock", "crawl", "svc-victim"))), 10,
                        "the source's lock")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        site.pages["/svc-victim/feed.xml"] = rss(site.base_url, [("svc-victim report", "/svc-victim/story.html")])
        with crawler_process(tmp_path / "second.log", redis_client, settings, 120):
            # The dead crawler's heartbeat expires, then the next beat of this one reclaims.
            eventually(lambda: states.get("svc-victim").last_success is not None, 60, "the second crawler")

    state = states.get("svc-victim")
    assert state.new_items == 1 and state.consecutive_failures == 0
    assert victim not in _pending_by_consumer(redis_client, settings)
    assert sum(_pending_by_consumer(redis_client, settings).values()) == 0
    assert not redis_client.exists(settings.redis_key("lock", "crawl", "svc-victim"))
    assert CrawlQueue(redis_client, settings).depth() == 0
