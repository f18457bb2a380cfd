"""Turn one article page into article fields.

crawlers.body_choice finds the main text (readability-lxml, rescued by
trafilatura); page metadata (JSON-LD, OpenGraph, meta tags) supplies the
canonical link, the publication time to the minute, authors, section and tags.
Pure: HTML in, fields out. The extractors and the language model are imported
on first use, so a command that never extracts does not pay for them.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from coverwatch.urls import InvalidURL, canonicalize_url
from crawlers.body_choice import Candidates, choose, prose_paragraphs, readability_text, trafilatura_text, visible_chars
from crawlers.body_lead import page_lead, with_lead
from crawlers.body_pruning import prune_boilerplate
from crawlers.body_text import strip_invisible
from crawlers.dates import parse_stamp, publication_time
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
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode_page(body: bytes, content_type: bytes | None = None) -> str:
    """Strict UTF-8 when the bytes are valid UTF-8, else the first declared charset that decodes
    cleanly, else cp1252. Pages and servers often declare a legacy charset for UTF-8 bytes, while
    text in a legacy charset almost never happens to be valid UTF-8 (beyond plain ASCII, which
    reads the same either way)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            try:
                return body[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    for pattern, source in ((_HEADER_CHARSET, content_type or b""), (_META_CHARSET, body[:4096])):
        match = pattern.search(source)
        if match:
            candidates.append(match.group(1).decode("ascii", "ignore").lower())
    for encoding in dict.fromkeys([*candidates, "cp1252"]):
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", errors="replace")


# --- metadata ------------------------------------------------------------------------------

_ARTICLE_TYPES = {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "BlogPosting",
                  "LiveBlogPosting", "OpinionNewsArticle", "TechArticle"}


def json_ld_nodes(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    """Every schema.org object on the page, @graph members included, in page order."""
    nodes: list[dict[str, Any]] = []
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
            graph = node.get("@graph", [])
            queue.extend(graph if isinstance(graph, list) else [graph])
            nodes.append(node)
    return nodes


def _json_ld(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    """The first schema.org article object on the page, if any."""
    for node in nodes:
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


_BYLINE = ('//*[@rel="author" or @itemprop="author" or contains(concat(" ", normalize-space(@class), " "), " author ")'
           ' or contains(concat(" ", normalize-space(@class), " "), " byline ")]')
_BY = re.compile(r"^(?:by|von|par|por|door|av)\s+", re.IGNORECASE)


def _byline_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """Names from the first short byline element, for pages whose metadata names nobody.
    Long texts under such classes are author bios or comment threads, not bylines."""
    for element in tree.xpath(_BYLINE):
        text = _BY.sub("", " ".join(element.text_content().split()))
        if 0 < len(text) <= 80 and len(text.split()) <= 8:
            return _split_authors(text)
    return []


def _canonical_link(tree: lxml_html.HtmlElement, url: str) -> str:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for candidate in tree.xpath(xpath):
            try:
                return canonicalize_url(urljoin(url, str(candidate)))
            except InvalidURL:
                continue
    return canonicalize_url(url)


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
    body_from_ld: str = ""  # JSON-LD articleBody, whitespace tidied


def _ld_text(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    return value if isinstance(value, str) and value.strip() else None


def _image_url(candidate: str | None, page_url: str) -> str | None:
    """An absolute http(s) image URL or None: a page may name ``javascript:`` or
    ``data:`` here, and whatever shows the image would load it."""
    if not candidate:
        return None
    try:
        absolute = urljoin(page_url, candidate.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    return absolute if parts.scheme in {"http", "https"} and parts.hostname else None


def read_metadata(tree: lxml_html.HtmlElement, url: str) -> PageMetadata:
    nodes = json_ld_nodes(tree)
    ld = _json_ld(nodes)
    tags = _meta_tags(tree)
    image = ld.get("image")
    image = image.get("url") if isinstance(image, dict) else image[0] if isinstance(image, list) and image else image
    keywords = ld.get("keywords") or _meta(tags, "keywords", "news_keywords") or ""
    # JSON-LD keywords come as one comma-separated string or a list (of strings, or of whatever a CMS nests).
    topics = [t.strip() for t in (keywords if isinstance(keywords, list) else str(keywords).split(","))
              if isinstance(t, str) and t.strip()]
    language = (tree.get("lang") or "").split("-")[0].lower()
    return PageMetadata(
        title=" ".join((_ld_text(ld, "headline") or _meta(tags, "og:title") or "").split()),
        description=" ".join((_ld_text(ld, "description") or _meta(tags, "og:description", "description")
                              or "").split()),
        body_from_ld=_ld_body(ld),
        authors=_ld_names(ld.get("author")) or _split_authors(_meta(tags, "author", "article:author"))
        or _byline_authors(tree),
        canonical_url=_canonical_link(tree, url),
        published_at=publication_time(tree, ld, nodes, tags),
        modified_at=parse_stamp(ld.get("dateModified")) or parse_stamp(_meta(tags, "article:modified_time")),
        image=_image_url(image if isinstance(image, str) else _meta(tags, "og:image"), url),
        section=_ld_text(ld, "articleSection") or _meta(tags, "article:section"),
        tags=topics,
        language=language if len(language) == 2 else None,
    )


def _main_text(tree: lxml_html.HtmlElement, url: str, overrides: Extraction, description: str) -> tuple[str, str]:
    """The article text and its lead when the page sets one apart: a source's own XPath when it has
    one (and no lead), else the chooser's pick."""
    override = _overridden_body(tree, overrides)
    if override is not None:
        return override.strip(), ""
    prune_boilerplate(tree)
    lead = page_lead(tree, description)
    page_chars = visible_chars(tree)
    prose = prose_paragraphs(tree)
    candidates = Candidates(readability=readability_text(tree), page_chars=page_chars, prose=prose)
    if candidates.second_opinion_wanted:
        candidates = replace(candidates, trafilatura=strip_invisible(trafilatura_text(tree, url)))
    return choose(candidates).strip(), lead


def _ld_body(ld: dict[str, Any]) -> str:
    """JSON-LD articleBody: few pages carry it, but on a script-built page it may be the only text."""
    body = ld.get("articleBody")
    return "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip()) \
        if isinstance(body, str) else ""


def page_headings(tree: lxml_html.HtmlElement) -> list[str]:
    """The page's own headline candidates, best first: an <h1> that opens the <title> (the title
    without the site's name), the <title>, then the other <h1>s. Read before the extractors prune."""
    titles = [" ".join(element.text_content().split()) for element in tree.xpath("//title")]
    headings = [" ".join(element.text_content().split()) for element in tree.xpath("//h1")]
    title = next((text for text in titles if text), "")
    opening = [text for text in headings if text and title.startswith(text)]
    return list(dict.fromkeys(text for text in [*opening, title, *headings] if text))


def fallback_title(headings: list[str], body: str) -> str:
    """A title for a page without headline metadata: its heading, else the body's first line,
    so a readable article is never dropped for want of a headline."""
    if headings:
        return headings[0]
    first_line = body.split("\n", 1)[0]
    return first_line if len(first_line) <= _TITLE_FROM_BODY_CHARS else \
        first_line[:_TITLE_FROM_BODY_CHARS].rsplit(" ", 1)[0] + "…"


_TITLE_FROM_BODY_CHARS = 120


def _language(body: str) -> str | None:
    import py3langid

    language = py3langid.classify(body[:2000])[0]
    return language if isinstance(language, str) else None


_RUNAWAY_TITLE = re.compile(r"(<title[^>]*>[^<]*)(?=<)", re.IGNORECASE)
# XHTML pages open with an XML declaration naming their encoding; lxml refuses one in text
# already decoded, and the page would be lost as unparseable.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _swallowed_by_title(tree: lxml_html.HtmlElement) -> bool:
    """An unclosed <title> (or one whose close a broken comment hid) turns the whole page into
    title text, since a title's content is never parsed as markup; the page then looks empty."""
    title = tree.find(".//title")
    text = str(title.text or "") if title is not None else ""
    return len(text) > 1000 and "<body" in text.lower()


def extract_article(page: str | bytes, url: str, overrides: Extraction = DEFAULT_EXTRACTION) -> ExtractedPage:
    if isinstance(page, bytes):
        page = decode_page(page)
    if not page.strip():
        raise NoArticleBody("empty page")
    page = _XML_DECLARATION.sub("", page, count=1)
    try:
        tree = lxml_html.fromstring(page)
        if _swallowed_by_title(tree):
            page = _RUNAWAY_TITLE.sub(r"\1</title>", page, count=1)
            tree = lxml_html.fromstring(page)
    except (ValueError, etree.ParserError) as failure:
        raise ExtractionError(f"unparseable HTML: {failure}") from failure
    meta = read_metadata(tree, url)
    ld_body = meta.body_from_ld
    headings = page_headings(tree)
    main, lead = _main_text(tree, url, overrides, meta.description)
    body = main if len(main) >= overrides.min_body_chars or len(ld_body) <= len(main) else ld_body
    title = meta.title
    first_line, _, rest = body.partition("\n")
    if rest and first_line.strip() in {title, *headings}:
        body = rest.strip()  # the headline often sits inside the article element
    if body:
        body = with_lead(body, lead)
    if len(body) < overrides.min_body_chars:
        if _PAYWALL.search(page):
            raise PaywallStub(f"paywalled: {len(body)} characters readable")
        raise NoArticleBody(f"main text is {len(body)} characters (< {overrides.min_body_chars})")
    title = title or fallback_title(headings, body)
    return ExtractedPage(
        url=url, canonical_url=meta.canonical_url, title=title, body=body,
        lead=meta.description or body.split("\n", 1)[0], authors=meta.authors,
        published_at=meta.published_at, modified_at=meta.modified_at,
        language=meta.language or _language(body),
        image=meta.image, section=meta.section,
        tags=meta.tags,
    )
