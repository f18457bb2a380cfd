"""Run a real Scrapy crawl of some sources in this process and report per source."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess

from coverwatch.settings import Settings
from crawlers.settings import scrapy_settings
from crawlers.sources import Source
from crawlers.spiders import SPIDERS


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


def _report(source: Source, crawler: Crawler) -> SourceReport:
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    prefix = f"coverwatch/{source.name}/"
    report = SourceReport(source=source.name,
                          finish_reason=str(stats.get("finish_reason", "")),
                          batch_ids=list(stats.get("coverwatch/batch_ids", [])),
                          handed_off=int(stats.get("coverwatch/articles_handed_off", 0)))
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


def run_crawl(sources: list[Source], settings: Settings) -> list[SourceReport]:
    """Crawl every source once, concurrently, in one Scrapy process. Only one
    call per process: Twisted's reactor cannot be restarted."""
    # The CLI configures logging once; Scrapy's own root handler would print twice.
    process = CrawlerProcess({**scrapy_settings(settings), "LOG_INSTALL_ROOT_HANDLER": False})
    crawlers: list[tuple[Source, Crawler]] = []
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        process.crawl(crawler, source=source)
        crawlers.append((source, crawler))
    process.start()
    return [_report(source, crawler) for source, crawler in crawlers]


def reports_json(reports: list[SourceReport]) -> str:
    return json.dumps([asdict(report) for report in reports])
