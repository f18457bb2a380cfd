"""What every source spider shares: counting, the seen-set, page decoding and
turning an article page into an Article item."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from coverwatch.models import Article
from coverwatch.settings import get_settings
from coverwatch.urls import InvalidURL, canonicalize_url
from crawlers.dates import plausible_publication
from crawlers.extraction import ExtractionError, decode_page, extract_article
from crawlers.failures import failure_kind
from crawlers.items import ArticleItem
from crawlers.middlewares import RequestRefused
from crawlers.seen import SeenUrls
from crawlers.sources import Source

log = logging.getLogger(__name__)
HTML_TYPES = (b"text/html", b"application/xhtml+xml")


def more_precise(page_date: datetime | None, listed_date: datetime | None) -> datetime | None:
    """The page's date, unless it is a bare day and the feed gives a time that day."""
    if page_date is None:
        return listed_date
    if (listed_date is not None and page_date.time() == datetime.min.time()
            and listed_date.date() == page_date.date()):
        return listed_date
    return page_date


class SourceSpider(scrapy.Spider):
    """Base for one spider per source kind; subclasses find article links."""

    def __init__(self, source: Source, **kwargs: Any) -> None:
        super().__init__(name=f"{source.kind.value}:{source.name}", **kwargs)
        self.source = source
        from workers.runtime.resources import redis_client

        # One connection pool per process: a long-lived crawler makes a spider
        # object per source run, thousands an hour.
        self.seen = SeenUrls(redis_client(), get_settings())
        self.scheduled = 0
        self.requested: set[str] = set()

    def source_named(self, name: str) -> Source | None:
        """The source an item of ``name`` came from (the pipeline asks)."""
        return self.source if name == self.source.name else None

    def count(self, key: str, amount: int = 1) -> None:
        stats = self.crawler.stats
        if stats is not None and amount:
            stats.inc_value(f"coverwatch/{self.source.name}/{key}", amount)
            stats.inc_value(f"coverwatch/{key}", amount)

    def index_request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        """A feed, sitemap or listing page: fetched conditionally, 304 allowed."""
        return scrapy.Request(url, callback=callback, errback=self.fetch_failed, dont_filter=True,
                              cb_kwargs={"role": self.source.kind.value},
                              meta={"conditional": True, "handle_httpstatus_list": [304],
                                    "coverwatch_source": self.source.name, **meta})

    def not_modified(self, response: Response) -> bool:
        if response.status == 304:
            self.count("not_modified")
            return True
        return False

    def article_requests(self, links: list[dict[str, Any]]) -> Iterator[scrapy.Request]:
        """Requests for links not fetched before (by any crawl), up to the source's cap."""
        canonical: list[str] = []
        usable: list[dict[str, Any]] = []
        for link in links:
            try:
                canonical.append(canonicalize_url(link["url"]))
                usable.append(link)
            except InvalidURL:
                self.count("rejected/bad_link")
        fresh = self.seen.unseen(canonical)
        self.count("already_seen", sum(1 for flag in fresh if not flag))
        for link, canonical_url, is_new in zip(usable, canonical, fresh, strict=True):
            if not is_new or canonical_url in self.requested:
                continue
            self.requested.add(canonical_url)
            if self.scheduled >= self.source.max_items:
                self.count("skipped/max_items")
                continue
            self.scheduled += 1
            # dont_filter: duplicates are handled above; a redirect loop then ends at
            # REDIRECT_MAX_TIMES as a counted error instead of vanishing in the dupefilter.
            yield scrapy.Request(link["url"], callback=self.parse_article, errback=self.fetch_failed,
                                 dont_filter=True,
                                 cb_kwargs={"role": "article", "listed": link,
                                            "link_canonical": canonical_url})

    def parse_article(self, response: Response, role: str, listed: dict[str, Any],
                      link_canonical: str) -> Iterator[ArticleItem]:
        content_type = (response.headers.get("Content-Type") or b"").split(b";")[0].strip().lower()
        if content_type and content_type not in HTML_TYPES:
            self.count("rejected/not_html")
            log.warning("source %s: %s is %s, not HTML", self.source.name, response.url,
                        content_type.decode("latin-1"))
            return
        text = decode_page(response.body, response.headers.get("Content-Type"))
        try:
            page = extract_article(text, response.url, self.source.extraction)
        except ExtractionError as failure:
            self.count(f"rejected/{type(failure).__name__}")
            log.warning("source %s: no article at %s: %s", self.source.name, response.url, failure)
            return
        article = Article(
            url=response.url, canonical_url=page.canonical_url, title=page.title, body=page.body,
            lead=page.lead, source=self.source.name,
            language=page.language or self.source.language, country=self.source.country,
            published_at=more_precise(self.plausible_date(page.published_at, "page", response.url),
                                      self.plausible_date(listed.get("published_at"), "listed", response.url)),
            modified_at=page.modified_at, authors=page.authors or listed.get("authors", []),
            tags=page.tags, image=page.image,
        )
        self.count("articles_extracted")
        self.count("body_chars", len(page.body))
        if len(page.body) < 500:
            self.count("short_bodies")
        yield ArticleItem.from_article(article, seen_as=(link_canonical, page.canonical_url))

    def plausible_date(self, published: datetime | None, where: str, url: str) -> datetime | None:
        """The date, or None when it cannot be a publication date (later than this crawl, before
        1995): the article is kept without it, and the drop counted and logged."""
        kept, reason = plausible_publication(published, datetime.now(UTC))
        if reason is not None:
            self.count(f"rejected_date/{reason}")
            log.warning("source %s: %s date %s of %s dropped: %s", self.source.name, where,
                        published.isoformat() if published else None, url, reason)
        return kept

    def fetch_failed(self, failure: Failure) -> None:
        if isinstance(failure.value, RequestRefused):
            return  # counted as rejected/ssrf and logged by the middleware
        request = getattr(failure, "request", None)
        role = request.cb_kwargs.get("role", "page") if request is not None else "page"
        reason = failure_kind(failure.value) if failure.value is not None else "unknown"
        self.count(f"errors/{role}_{reason}")
        log.error("source %s: %s %s failed: %s", self.source.name, role,
                  request.url if request is not None else "?", failure.getErrorMessage())
