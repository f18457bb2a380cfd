"""HTML index pages: article links chosen by the source's allow/deny patterns."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response, TextResponse

from crawlers.spiders.base import SourceSpider


def listing_links(response: TextResponse, allow: tuple[str, ...], deny: tuple[str, ...]) -> list[dict[str, Any]]:
    allowed = [re.compile(pattern) for pattern in allow]
    denied = [re.compile(pattern) for pattern in deny]
    links: dict[str, dict[str, Any]] = {}
    for anchor in response.css("a[href]"):
        url = response.urljoin(anchor.attrib["href"]).split("#", 1)[0]
        if not url.startswith(("http://", "https://")):
            continue
        if any(p.search(url) for p in allowed) and not any(p.search(url) for p in denied):
            text = " ".join(anchor.css("::text").getall()).strip()
            links.setdefault(url, {"url": url, "title": text, "published_at": None})
    return list(links.values())


class ListingSpider(SourceSpider):
    name = "listing"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield self.index_request(url, self.parse_listing)

    def parse_listing(self, response: Response, role: str) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        if not isinstance(response, TextResponse):
            self.count("rejected/listing_not_html")
            return
        links = listing_links(response, self.source.allow, self.source.deny)
        self.count("entries", len(links))
        if not links:
            self.count("empty_listings")
        yield from self.article_requests(links)
