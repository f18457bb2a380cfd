"""Item pipeline: buffer crawled articles and hand them to the workers in batches."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawlers.items import ArticleItem
from crawlers.seen import SeenUrls, Validators
from workers.handoff import submit_batch

log = logging.getLogger(__name__)

# Sent by the long-lived crawler when one source's run ends, so that source's
# articles go to the workers now, not when the process stops.
SOURCE_FINISHED = object()


class HandOffPipeline:
    """One buffer per source: a crawl of one source (``coverwatch crawl``) and a
    long-lived crawler running many sources at once share this pipeline."""

    def __init__(self, batch_size: int, crawler: Crawler) -> None:
        self.batch_size = batch_size
        self.crawler = crawler
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.seen_as: dict[str, list[str]] = {}
        self.submitted: list[str] = []
        self._seen: SeenUrls | None = None
        self.failed: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HandOffPipeline:
        batch_size = crawler.settings.getint("COVERWATCH_BATCH_SIZE", 50)
        if batch_size < 1:
            raise NotConfigured("COVERWATCH_BATCH_SIZE must be positive")
        pipeline = cls(batch_size, crawler)
        crawler.signals.connect(pipeline.source_finished, signal=SOURCE_FINISHED)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: ArticleItem) -> ArticleItem:
        name = str(item.get("source", ""))
        self.buffers.setdefault(name, []).append(dict(item))
        self.seen_as.setdefault(name, []).extend(item.seen_as)
        if len(self.buffers[name]) >= self.batch_size:
            self._flush(name)
        return item

    def source_finished(self, source_name: str, reason: str = "finished") -> None:
        self._flush(source_name)
        self._vouch(source_name, reason)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """The end of a one-source crawl: close_spider has flushed every buffer by now."""
        source = getattr(spider, "source", None)
        if source is not None:
            self._vouch(source.name, reason)

    def _vouch(self, source_name: str, reason: str) -> None:
        """Commit the run's feed validators only when it ran to its end and every
        article it found was handed over; otherwise the next run fetches the
        feeds again instead of being told nothing changed."""
        if reason != "finished" or source_name in self.failed:
            return
        self._validators().commit(source_name)

    def close_spider(self) -> None:
        for name in list(self.buffers):
            self._flush(name)
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("coverwatch/batch_ids", list(self.submitted))

    def _keeps_off_topic(self, source_name: str) -> bool:
        spider = self.crawler.spider
        named = getattr(spider, "source_named", None)
        source = named(source_name) if callable(named) else getattr(spider, "source", None)
        return bool(getattr(source, "keep_off_topic", False))

    def _seen_urls(self) -> SeenUrls:
        spider_seen = getattr(self.crawler.spider, "seen", None)
        if isinstance(spider_seen, SeenUrls):
            return spider_seen
        if self._seen is None:
            from coverwatch.settings import get_settings
            from workers.runtime.resources import redis_client

            self._seen = SeenUrls(redis_client(), get_settings())
        return self._seen

    def _validators(self) -> Validators:
        from coverwatch.settings import get_settings
        from workers.runtime.resources import redis_client

        return Validators(redis_client(), get_settings())

    def _flush(self, source_name: str) -> None:
        batch = self.buffers.pop(source_name, [])
        seen_as = self.seen_as.pop(source_name, [])
        if not batch:
            return
        try:
            batch_id = submit_batch(batch, keep_off_topic=self._keeps_off_topic(source_name))
        except Exception:
            self.failed.add(source_name)
            raise
        self.submitted.append(batch_id)
        # Seen only once handed over: a crawl that dies before this point fetches
        # these pages again next time instead of skipping articles nobody stored.
        self._seen_urls().add(*seen_as)
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("coverwatch/articles_handed_off", len(batch))
            stats.inc_value(f"coverwatch/{source_name}/articles_handed_off", len(batch))
            per_source = f"coverwatch/{source_name}/batch_ids"
            stats.set_value(per_source, [*(stats.get_value(per_source) or []), batch_id])
        log.info("source %s: handed %d articles to the workers", source_name, len(batch))
