"""Item pipeline: buffer crawled articles and hand them to the workers in batches."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.items import ArticleItem
from workers.handoff import submit_batch

log = logging.getLogger(__name__)


class HandOffPipeline:
    def __init__(self, batch_size: int, crawler: Crawler) -> None:
        self.batch_size = batch_size
        self.crawler = crawler
        self.buffer: list[dict[str, Any]] = []
        self.seen_as: list[str] = []
        self.submitted: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandOffPipeline:
        batch_size = crawler.settings.getint("COVERWATCH_BATCH_SIZE", 50)
        if batch_size < 1:
            raise NotConfigured("COVERWATCH_BATCH_SIZE must be positive")
        return cls(batch_size, crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.buffer.append(dict(item))
        self.seen_as.extend(item.seen_as)
        if len(self.buffer) >= self.batch_size:
            self._flush()
        return item

    def close_spider(self) -> None:
        self._flush()
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("coverwatch/batch_ids", list(self.submitted))

    def _flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        seen_as, self.seen_as = self.seen_as, []
        spider = self.crawler.spider
        keep = bool(getattr(getattr(spider, "source", None), "keep_off_topic", False))
        self.submitted.append(submit_batch(batch, keep_off_topic=keep))
        # Seen only once handed over: a crawl that dies before this point fetches
        # these pages again next time instead of skipping articles nobody stored.
        seen = getattr(spider, "seen", None)
        if seen is not None:
            seen.add(*seen_as)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("coverwatch/articles_handed_off", len(batch))
        log.info("handed %d articles to the workers", len(batch))
