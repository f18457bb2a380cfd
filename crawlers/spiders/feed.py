"""RSS/Atom sources: read the feed, fetch each new linked article, extract it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from html import unescape
from time import struct_time
from typing import Any

import feedparser
import scrapy
from lxml import etree
from scrapy.http import Response

from crawlers.spiders.base import SourceSpider

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]+>")


class MalformedFeed(ValueError):
    """The response is not a feed we can read."""


def _entry_date(entry: Any) -> datetime | None:
    parsed: struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def plain_title(title: str) -> str:
    """Feeds put HTML in titles; keep the words."""
    return " ".join(unescape(_TAG.sub(" ", title)).split())


def refuse_entity_declarations(body: bytes) -> None:
    """Raise on a document whose DTD declares entities: nested ones expand
    exponentially (billion laughs) and external ones read local files or the
    network (XXE). No real feed needs them. lxml reads the DTD here without
    expanding, loading or fetching anything."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True,
                             huge_tree=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return  # not XML at all: feedparser's lenient reader decides, with no DTD to expand
    dtd = root.getroottree().docinfo.internalDTD if root is not None else None
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise MalformedFeed("the feed declares XML entities (refused: entity expansion and external entities)")


def feed_entries(body: bytes) -> list[dict[str, Any]]:
    """Links and metadata from an RSS/Atom document; raise on a broken feed."""
    refuse_entity_declarations(body)
    parsed = feedparser.parse(body)
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        entries.append({"url": link, "title": plain_title(entry.get("title", "")),
                        "published_at": _entry_date(entry),
                        "authors": [a.get("name") for a in entry.get("authors", []) if a.get("name")]})
    # feedparser is lenient: a slightly broken feed with usable links is kept,
    # one that yields nothing usable is an error worth an operator's attention.
    if parsed.bozo and not entries:
        raise MalformedFeed(f"unreadable feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not entries:
        raise MalformedFeed("not an RSS or Atom document")
    return entries


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.source.start_urls:
            yield self.index_request(url, self.parse_feed)

    def parse_feed(self, response: Response, role: str) -> Iterator[scrapy.Request]:
        if self.not_modified(response):
            return
        try:
            entries = feed_entries(response.body)
        except MalformedFeed as failure:
            self.count("rejected/feed_malformed")
            log.error("source %s: feed %s rejected: %s", self.source.name, response.url, failure)
            return
        self.count("feeds_ok")
        self.count("entries", len(entries))
        if not entries:
            self.count("empty_feeds")
        yield from self.article_requests(entries)
