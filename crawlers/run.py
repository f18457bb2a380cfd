"""Run a real Scrapy crawl of some sources in this process and report per source."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.exceptions import LockError
from scrapy.crawler import Crawler, CrawlerProcess

from coverwatch.settings import Settings
from crawlers.health import break_lock
from crawlers.settings import scrapy_settings
from crawlers.sources import Source
from crawlers.spiders import SPIDERS

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    source: str
    entries: int = 0
    articles: int = 0
    handed_off: int = 0
    already_seen: int = 0
    not_modified: int = 0
    short_bodies: int = 0
    body_chars: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    batch_ids: list[str] = field(default_factory=list)
    finish_reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.rejected.get("feed_malformed")


def report_from_stats(source_name: str, stats: dict[str, Any], finish_reason: str = "") -> SourceReport:
    """One source's figures from crawler stats, where every count is kept under
    ``coverwatch/<source>/``: a crawler running many sources has them side by side."""
    prefix = f"coverwatch/{source_name}/"
    report = SourceReport(source=source_name, finish_reason=finish_reason,
                          batch_ids=list(stats.get(f"{prefix}batch_ids", [])),
                          handed_off=int(stats.get(f"{prefix}articles_handed_off", 0)))
    for key, value in stats.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if name.startswith("rejected/"):
            report.rejected[name.split("/", 1)[1]] = int(value)
        elif name.startswith("errors/"):
            report.errors[name.split("/", 1)[1]] = int(value)
        elif name == "articles_extracted":
            report.articles = int(value)
        elif name in {"entries", "already_seen", "not_modified", "short_bodies", "body_chars"}:
            setattr(report, name, int(value))
    return report


def _crawler_report(source: Source, crawler: Crawler) -> SourceReport:
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    return report_from_stats(source.name, stats, str(stats.get("finish_reason", "")))


SKIPPED_RUNNING = "skipped: already running"


def lock_holder() -> str:
    return f"cli:{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str, host: str | None = None) -> bool:
    """Was the lock taken by a ``coverwatch crawl`` on this host whose process
    has exited (killed, or the machine restarted)? Holders elsewhere, and live
    processes, are left to the lock's expiry."""
    kind, _, rest = holder.partition(":")
    holder_host, _, pid = rest.rpartition(":")
    if kind != "cli" or holder_host != (host or socket.gethostname()) or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _take(lock: Any, states: Any) -> bool:
    if lock.acquire(token=lock_holder()):
        return True
    holder = states.lock_holder(lock)
    if holder is None or not holder_is_gone(holder):
        return False
    log.warning("crawl lock %s was held by %s, which has exited: taken over", lock.name, holder)
    break_lock(lock, holder)
    return bool(lock.acquire(token=lock_holder()))


def run_crawl(sources: list[Source], settings: Settings) -> list[SourceReport]:
    """Crawl every source once, concurrently, in one Scrapy process. Only one
    call per process: Twisted's reactor cannot be restarted. A source another
    process is crawling right now is skipped (its report says so)."""
    from crawlers.health import SourceStates
    from workers.runtime.resources import redis_client

    states = SourceStates(redis_client(), settings)
    # The time limit in seconds is how long one source's crawl may take: the lock
    # outlives it a little, so a killed crawl's lock expires on its own (at once,
    # when the killed crawl ran on this host: see holder_is_gone).
    locks = {source.name: states.crawl_lock(source.name, settings.crawl_time_limit + 60) for source in sources}
    held = {name for name, lock in locks.items() if _take(lock, states)}
    # The CLI configures logging once; Scrapy's own root handler would print twice.
    process = CrawlerProcess({**scrapy_settings(settings), "LOG_INSTALL_ROOT_HANDLER": False,
                              "CLOSESPIDER_TIMEOUT": settings.crawl_time_limit})
    crawlers: list[tuple[Source, Crawler]] = []
    for source in sources:
        if source.name not in held:
            continue
        crawler = process.create_crawler(SPIDERS[source.kind])
        process.crawl(crawler, source=source)
        crawlers.append((source, crawler))
    try:
        if crawlers:
            process.start()
    finally:
        for name in held:
            with contextlib.suppress(LockError):
                locks[name].release()
    reports = {source.name: _crawler_report(source, crawler) for source, crawler in crawlers}
    return [reports.get(source.name) or SourceReport(source=source.name, finish_reason=SKIPPED_RUNNING)
            for source in sources]


def reports_json(reports: list[SourceReport]) -> str:
    return json.dumps([asdict(report) for report in reports])
