"""RSS/Atom sources: read the feed, fetch each linked article, extract it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from coverwatch.models import Article
from crawlers.extraction import ExtractionError, extract_article
from crawlers.failures import failure_kind
from crawlers.items import ArticleItem
from crawlers.sources import Source

log = logging.getLogger(__name__)


class MalformedFeed(ValueError):
    """The response is not a feed we can read."""


def _entry_date(entry: Any) -> datetime | None:
    parsed: struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def feed_entries(body: bytes) -> list[dict[str, Any]]:
    """Links and metadata from an RSS/Atom document; raise on a broken feed."""
    parsed = feedparser.parse(body)
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        entries.append({"link": link, "title": entry.get("title", ""),
                        "published_at": _entry_date(entry),
                        "authors": [a.get("name") for a in entry.get("authors", []) if a.get("name")]})
    # feedparser is lenient: a slightly broken feed with usable links is kept,
    # one that yields nothing usable is an error worth an operator's attention.
    if parsed.bozo and not entries:
        raise MalformedFeed(f"unreadable feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not entries:
        raise MalformedFeed("not an RSS or Atom document")
    return entries


def more_precise(page_date: datetime | None, feed_date: datetime | None) -> datetime | None:
    """The page's date, unless it is a bare day and the feed gives a time that day."""
    if page_date is None:
        return feed_date
    if (feed_date is not None and page_date.time() == datetime.min.time()
            and feed_date.date() == page_date.date()):
        return feed_date
    return page_date


class FeedSpider(scrapy.Spider):
    name = "feed"

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(name=f"feed:{source.name}", **kwargs)
        self.source = source

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"coverwatch/{self.source.name}/{key}")
        self.crawler.stats.inc_value(f"coverwatch/{key}")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.fetch_failed,
                                 cb_kwargs={"role": "feed"}, dont_filter=True)

    def parse_feed(self, response: Response, role: str) -> Iterator[scrapy.Request]:
        try:
            entries = feed_entries(response.body)
        except MalformedFeed as failure:
            self._count("rejected/feed_malformed")
            log.error("source %s: feed %s rejected: %s", self.source.name, response.url, failure)
            return
        self._count("feeds_ok")
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"coverwatch/{self.source.name}/entries", len(entries))
        for entry in entries:
            yield response.follow(entry["link"], callback=self.parse_article,
                                  errback=self.fetch_failed,
                                  cb_kwargs={"role": "article", "entry": entry})

    def parse_article(self, response: Response, role: str,
                      entry: dict[str, Any]) -> Iterator[ArticleItem]:
        if not isinstance(response, scrapy.http.TextResponse):
            self._count("rejected/not_html")
            log.warning("source %s: %s is not HTML", self.source.name, response.url)
            return
        try:
            page = extract_article(response.text, response.url)
        except ExtractionError as failure:
            self._count(f"rejected/{type(failure).__name__}")
            log.warning("source %s: no article at %s: %s", self.source.name, response.url, failure)
            return
        article = Article(
            url=response.url, canonical_url=page.canonical_url, title=page.title, body=page.body,
            lead=page.lead, source=self.source.name,
            language=page.language or self.source.language, country=self.source.country,
            published_at=more_precise(page.published_at, entry.get("published_at")),
            authors=page.authors or entry.get("authors", []), tags=page.tags, image=page.image,
        )
        self._count("articles_extracted")
        yield ArticleItem.from_article(article)

    def fetch_failed(self, failure: Failure) -> None:
        request = failure.request if hasattr(failure, "request") else None
        role = request.cb_kwargs.get("role", "page") if request is not None else "page"
        reason = failure_kind(failure.value) if failure.value is not None else "unknown"
        self._count(f"errors/{role}_{reason}")
        log.error("source %s: %s %s failed: %s", self.source.name, role,
                  request.url if request is not None else "?", failure.getErrorMessage())
