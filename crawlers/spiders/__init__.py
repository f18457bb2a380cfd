"""One generic spider per source kind; a new kind is one class and one entry here."""

from __future__ import annotations

from crawlers.sources import SourceKind
from crawlers.spiders.base import SourceSpider
from crawlers.spiders.feed import FeedSpider
from crawlers.spiders.listing import ListingSpider
from crawlers.spiders.sitemap import SitemapSpider

SPIDERS: dict[SourceKind, type[SourceSpider]] = {
    SourceKind.FEED: FeedSpider,
    SourceKind.SITEMAP: SitemapSpider,
    SourceKind.LISTING: ListingSpider,
}
