"""Turn one article page into article fields.

trafilatura finds the main text; page metadata (JSON-LD, OpenGraph, meta tags)
supplies the fields it reads poorly: the canonical link, the publication time
to the minute, authors, section and tags. Pure: HTML in, fields out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import py3langid
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from coverwatch.models import parse_timestamp
from coverwatch.urls import InvalidURL, canonicalize_url
from crawlers.sources import Extraction

DEFAULT_EXTRACTION = Extraction()


class ExtractionError(ValueError):
    """The page has no usable article in it."""


class NoArticleBody(ExtractionError):
    """No main text (empty page, script shell, or a stub too short to be an article)."""


class PaywallStub(ExtractionError):
    """Only a teaser is readable; the article is behind a paywall."""


@dataclass
class ExtractedPage:
    url: str
    canonical_url: str
    title: str
    body: str
    lead: str = ""
    authors: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    modified_at: datetime | None = None
    language: str | None = None
    image: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "canonical_url": self.canonical_url, "title": self.title, "lead": self.lead,
                "body": self.body, "authors": self.authors,
                "published_at": self.published_at.isoformat() if self.published_at else None,
                "modified_at": self.modified_at.isoformat() if self.modified_at else None,
                "language": self.language, "image": self.image, "section": self.section, "tags": self.tags}


# --- decoding ------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(rb"charset=([A-Za-z0-9_\-]+)", re.IGNORECASE)


def decode_page(body: bytes, content_type: bytes | None = None) -> str:
    """Decode with the first declared charset that decodes cleanly: servers often
    label pages utf-8 when they are not, and pages often lie in their meta tag."""
    candidates: list[str] = []
    for pattern, source in ((_HEADER_CHARSET, content_type or b""), (_META_CHARSET, body[:4096])):
        match = pattern.search(source)
        if match:
            candidates.append(match.group(1).decode("ascii", "ignore").lower())
    candidates += ["utf-8", "cp1252"]
    for encoding in dict.fromkeys(candidates):
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", errors="replace")


# --- metadata ------------------------------------------------------------------------------

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
                  "LiveBlogPosting", "OpinionNewsArticle", "TechArticle"}


def _json_ld(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    """The first schema.org article object on the page, if any."""
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            document = json.loads(str(script))
        except json.JSONDecodeError:
            continue
        queue = document if isinstance(document, list) else [document]
        while queue:
            node = queue.pop(0)
            if not isinstance(node, dict):
                continue
            queue.extend(node.get("@graph", []))
            kinds = node.get("@type")
            kinds = set(kinds) if isinstance(kinds, list) else {kinds}
            if kinds & _ARTICLE_TYPES:
                return node
    return {}


def _meta_tags(tree: lxml_html.HtmlElement) -> dict[str, str]:
    """Every <meta> content by its property, name or itemprop, read in one pass (first wins)."""
    tags: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = (element.get("content") or "").strip()
        for attribute in ("property", "name", "itemprop"):
            key = element.get(attribute)
            if key and content and key not in tags:
                tags[key] = content
    return tags


def _meta(tags: dict[str, str], *names: str) -> str | None:
    return next((tags[name] for name in names if name in tags), None)


def _ld_names(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def _split_authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name.strip() for name in re.split(r";|,| and ", value) if name.strip()]


def _canonical_link(tree: lxml_html.HtmlElement, url: str) -> str:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for candidate in tree.xpath(xpath):
            try:
                return canonicalize_url(urljoin(url, str(candidate)))
            except InvalidURL:
                continue
    return canonicalize_url(url)


def _published(tree: lxml_html.HtmlElement, ld: dict[str, Any], tags: dict[str, str]) -> datetime | None:
    """A publication time with its hour: the hour decides which outlet broke a story."""
    candidates = [ld.get("datePublished"), _meta(tags, "article:published_time", "datePublished", "pubdate",
                                                 "publishdate", "date", "DC.date.issued")]
    times = tree.xpath('//article//time/@datetime | //time[contains(@class,"publish")]/@datetime')
    candidates += [str(value) for value in times]
    for candidate in candidates:
        parsed = parse_timestamp(candidate)
        if parsed is not None and ("T" in str(candidate) or ":" in str(candidate)):
            return parsed
    return next((d for d in map(parse_timestamp, candidates) if d is not None), None)


_PAYWALL = re.compile(r"\b(subscribe to (?:continue|read)|to continue reading|this article is for subscribers|"
                      r"already a subscriber|subscribers only|sign in to read)\b", re.IGNORECASE)


# --- the extractor -------------------------------------------------------------------------

def _overridden_body(tree: lxml_html.HtmlElement, overrides: Extraction) -> str | None:
    if not overrides.body_xpath:
        return None
    nodes = tree.xpath(overrides.body_xpath)
    if not nodes:
        return None
    node = nodes[0]
    for xpath in overrides.drop_xpaths:
        for unwanted in node.xpath(xpath):
            unwanted.getparent().remove(unwanted)
    paragraphs = [" ".join(p.text_content().split()) for p in node.xpath(".//p | .//li")]
    return "\n".join(p for p in paragraphs if p) or " ".join(node.text_content().split())


@dataclass
class PageMetadata:
    """What the page says about itself, read before the text extractor prunes the tree."""

    title: str
    description: str
    authors: list[str]
    canonical_url: str
    published_at: datetime | None
    modified_at: datetime | None
    image: str | None
    section: str | None
    tags: list[str]
    language: str | None


def _ld_text(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    return value if isinstance(value, str) and value.strip() else None


def read_metadata(tree: lxml_html.HtmlElement, url: str) -> PageMetadata:
    ld = _json_ld(tree)
    tags = _meta_tags(tree)
    image = ld.get("image")
    image = image.get("url") if isinstance(image, dict) else image[0] if isinstance(image, list) and image else image
    keywords = ld.get("keywords") or _meta(tags, "keywords", "news_keywords") or ""
    topics = [t.strip() for t in (keywords if isinstance(keywords, list) else str(keywords).split(",")) if t.strip()]
    language = (tree.get("lang") or "").split("-")[0].lower()
    return PageMetadata(
        title=" ".join((_ld_text(ld, "headline") or _meta(tags, "og:title") or "").split()),
        description=" ".join((_ld_text(ld, "description") or _meta(tags, "og:description", "description")
                              or "").split()),
        authors=_ld_names(ld.get("author")) or _split_authors(_meta(tags, "author", "article:author")),
        canonical_url=_canonical_link(tree, url),
        published_at=_published(tree, ld, tags),
        modified_at=parse_timestamp(ld.get("dateModified")) or parse_timestamp(_meta(tags, "article:modified_time")),
        image=image if isinstance(image, str) else _meta(tags, "og:image"),
        section=_ld_text(ld, "articleSection") or _meta(tags, "article:section"),
        tags=topics,
        language=language if len(language) == 2 else None,
    )


def _main_text(tree: lxml_html.HtmlElement, page: str, url: str, overrides: Extraction) -> tuple[str, Any]:
    """The article text and trafilatura's document (for metadata the page lacks).
    The parsed tree is handed over, so the page is parsed once on the usual path."""
    override = _overridden_body(tree, overrides)
    document = trafilatura.bare_extraction(page if override is not None else tree, url=url, with_metadata=True,
                                           include_comments=False, include_tables=False)
    if override is None and (document is None or len(getattr(document, "text", None) or "")
                             < overrides.min_body_chars):
        # Short pages and unusual layouts: a second pass that keeps more of the page.
        document = trafilatura.bare_extraction(page, url=url, with_metadata=True, include_comments=False,
                                               include_tables=False, favor_recall=True) or document
    text = override if override is not None else (getattr(document, "text", None) or "") if document else ""
    return text.strip(), document


def extract_article(page: str | bytes, url: str, overrides: Extraction = DEFAULT_EXTRACTION) -> ExtractedPage:
    if isinstance(page, bytes):
        page = decode_page(page)
    if not page.strip():
        raise NoArticleBody("empty page")
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, etree.ParserError) as failure:
        raise ExtractionError(f"unparseable HTML: {failure}") from failure
    meta = read_metadata(tree, url)
    body, document = _main_text(tree, page, url, overrides)
    title = meta.title or " ".join((getattr(document, "title", None) or "").split())
    first_line, _, rest = body.partition("\n")
    if rest and first_line.strip() == title:
        body = rest.strip()  # the headline often sits inside the article element
    if len(body) < overrides.min_body_chars:
        if _PAYWALL.search(page):
            raise PaywallStub(f"paywalled: {len(body)} characters readable")
        raise NoArticleBody(f"main text is {len(body)} characters (< {overrides.min_body_chars})")
    if not title:
        raise ExtractionError("no title")
    description = meta.description or " ".join((getattr(document, "description", None) or "").split())
    return ExtractedPage(
        url=url, canonical_url=meta.canonical_url, title=title, body=body,
        lead=description or body.split("\n", 1)[0],
        authors=meta.authors or _split_authors(getattr(document, "author", None)),
        published_at=meta.published_at, modified_at=meta.modified_at,
        language=meta.language or py3langid.classify(body[:2000])[0],
        image=meta.image, section=meta.section,
        tags=meta.tags or [t for t in (getattr(document, "tags", None) or []) if t],
    )
