"""Turn one article page into article fields.

trafilatura does the main-text work; this module adds the canonical link and
maps its metadata onto our field names. Pure: HTML in, fields out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import trafilatura
from lxml import html as lxml_html

from coverwatch.urls import InvalidURL, canonicalize_url

MIN_BODY_CHARS = 200


class ExtractionError(ValueError):
    """The page has no usable article in it."""


class NoArticleBody(ExtractionError):
    """No main text (empty page, script shell, or a stub too short to be an article)."""


@dataclass
class ExtractedPage:
    url: str
    canonical_url: str
    title: str
    body: str
    lead: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    language: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)


def _canonical_link(tree: lxml_html.HtmlElement, url: str) -> str:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for candidate in tree.xpath(xpath):
            try:
                return canonicalize_url(urljoin(url, str(candidate)))
            except InvalidURL:
                continue
    return canonicalize_url(url)


_PUBLISHED_XPATHS = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//meta[@name="pubdate" or @name="publishdate" or @name="date" or @name="DC.date.issued"]/@content',
    '//*[@itemprop="datePublished"]/@datetime',
    '//article//time/@datetime',
    '//time[contains(@class, "publish")]/@datetime',
)
_JSON_LD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _published_timestamp(tree: lxml_html.HtmlElement) -> datetime | None:
    """A publication time with its hour, from page metadata. The date library
    often keeps only the day, and the hour decides which outlet broke a story."""
    candidates: list[str] = []
    for xpath in _PUBLISHED_XPATHS:
        candidates.extend(str(value) for value in tree.xpath(xpath))
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        candidates.extend(_JSON_LD_PUBLISHED.findall(str(script)))
    for candidate in candidates:
        if "T" in candidate or ":" in candidate:
            parsed = _parse_date(candidate)
            if parsed is not None:
                return parsed
    return None


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name.strip() for name in value.replace(" and ", ";").split(";") if name.strip()]


def extract_article(page: str | bytes, url: str) -> ExtractedPage:
    if isinstance(page, bytes):
        page = page.decode("utf-8", errors="replace")
    if not page.strip():
        raise NoArticleBody("empty page")
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError) as failure:
        raise ExtractionError(f"unparseable HTML: {failure}") from failure
    document = trafilatura.bare_extraction(
        page, url=url, with_metadata=True, include_comments=False, include_tables=False,
        favor_precision=True,
    )
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if len(body) < MIN_BODY_CHARS:
        raise NoArticleBody(f"main text is {len(body)} characters (< {MIN_BODY_CHARS})")
    title = (getattr(document, "title", None) or "").strip()
    if not title:
        raise ExtractionError("no title")
    # The headline often sits inside the article element; it is not body text.
    first_line, _, rest = body.partition("\n")
    if rest and first_line.strip() == title:
        body = rest.strip()
    description = (getattr(document, "description", None) or "").strip()
    lead = description or body.split("\n", 1)[0]
    return ExtractedPage(
        url=url,
        canonical_url=_canonical_link(tree, url),
        title=title,
        body=body,
        lead=lead,
        authors=_split_authors(getattr(document, "author", None)),
        published_at=_published_timestamp(tree) or _parse_date(getattr(document, "date", None)),
        language=getattr(document, "language", None),
        image=getattr(document, "image", None),
        tags=[tag for tag in (getattr(document, "tags", None) or []) if tag],
    )
