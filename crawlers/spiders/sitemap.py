"""News sitemaps and sitemap indexes: newest article URLs first, loops cut off."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from lxml import etree
from scrapy.http import Response

from coverwatch.models import parse_timestamp
from crawlers.spiders.base import SourceSpider

log = logging.getLogger(__name__)
MAX_SITEMAP_DEPTH = 3
_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
       "news": "http://www.google.com/schemas/sitemap-news/0.9"}


class MalformedSitemap(ValueError):
    """Not a sitemap or sitemap index."""


def parse_sitemap(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """("index", child sitemaps) or ("urlset", article links), newest first."""
    try:
        root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                             huge_tree=False, recover=False))
    except etree.XMLSyntaxError as failure:
        raise MalformedSitemap(f"not XML: {failure}") from failure
    kind = etree.QName(root).localname
    if kind == "sitemapindex":
        children = [{"url": loc.strip(), "published_at": parse_timestamp(sm.findtext("sm:lastmod", None, _NS))}
                    for sm in root.findall("sm:sitemap", _NS) if (loc := sm.findtext("sm:loc", None, _NS))]
        return "index", children
    if kind != "urlset":
        raise MalformedSitemap(f"root element is <{kind}>, not <urlset> or <sitemapindex>")
    links = []
    for entry in root.findall("sm:url", _NS):
        loc = entry.findtext("sm:loc", None, _NS)
        if not loc:
            continue
        published = parse_timestamp(entry.findtext("news:news/news:publication_date", None, _NS)) or parse_timestamp(
            entry.findtext("sm:lastmod", None, _NS))
        links.append({"url": loc.strip(), "published_at": published,
                      "title": entry.findtext("news:news/news:title", "", _NS)})
    links.sort(key=lambda link: link["published_at"] or datetime.min.replace(tzinfo=UTC), reverse=True)
    return "urlset", links


class SitemapSpider(SourceSpider):
    name = "sitemap"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.visited_sitemaps: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            self.visited_sitemaps.add(url)
            yield self.index_request(url, self.parse_sitemap, depth=0)

    def parse_sitemap(self, response: Response, role: str) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        try:
            kind, entries = parse_sitemap(response.body)
        except MalformedSitemap as failure:
            self.count("rejected/sitemap_malformed")
            log.error("source %s: sitemap %s rejected: %s", self.source.name, response.url, failure)
            return
        self.count("sitemaps_ok")
        if kind == "urlset":
            self.count("entries", len(entries))
            yield from self.article_requests(entries)
            return
        depth = int(response.meta.get("depth_in_index", 0)) + 1
        for child in entries:
            if child["url"] in self.visited_sitemaps:
                self.count("rejected/sitemap_loop")
                continue
            if depth > MAX_SITEMAP_DEPTH:
                self.count("rejected/sitemap_too_deep")
                continue
            self.visited_sitemaps.add(child["url"])
            yield self.index_request(child["url"], self.parse_sitemap, depth_in_index=depth)
