"""Which extractor's text is the article body.

readability-lxml reads real news pages best of the extractors measured on the
dev set (bench/extraction_dev.py); trafilatura rescues the pages where it
comes out empty or has plainly kept too little. trafilatura runs only when
readability's text looks doubtful, so most pages pay for one extractor.

The thresholds were fitted on the dev set's tune split only (see the bench).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from crawlers.body_text import block_text

# Readability's text is doubted when shorter than this, or than this share of the page's visible text.
DOUBT_BELOW_CHARS = 500
DOUBT_BELOW_PAGE_SHARE = 0.3
# A candidate shorter than this holds no article; readability loses when it kept under this share of trafilatura.
USABLE_CHARS = 200
TOO_LITTLE_OF_OTHER = 0.2


@dataclass(frozen=True)
class Candidates:
    """The texts the chooser weighs, with the one page-level feature it needs."""

    readability: str
    page_chars: int
    trafilatura: str | None = None  # None: not run, readability was trusted

    @property
    def doubtful(self) -> bool:
        return len(self.readability) < DOUBT_BELOW_CHARS or \
            len(self.readability) < DOUBT_BELOW_PAGE_SHARE * self.page_chars


def choose(candidates: Candidates) -> str:
    """The body among the candidates; callers run trafilatura first when `doubtful` says so."""
    readable, rescue = candidates.readability, candidates.trafilatura
    if rescue is None or len(rescue) < USABLE_CHARS:
        return readable if len(readable) >= len(rescue or "") else rescue or ""
    if len(readable) < USABLE_CHARS or len(readable) < TOO_LITTLE_OF_OTHER * len(rescue):
        return rescue
    return readable


def visible_chars(tree: lxml_html.HtmlElement) -> int:
    """Characters of text a reader could see in the body, layout whitespace collapsed."""
    body = tree.find("body")
    root = body if body is not None else tree
    hidden = sum(_collapsed_length(element) for element in root.iter("script", "style", "noscript"))
    return max(0, _collapsed_length(root) - hidden)


def _collapsed_length(element: lxml_html.HtmlElement) -> int:
    return len(" ".join(element.text_content().split()))


def readability_text(tree: lxml_html.HtmlElement) -> str:
    """readability-lxml's article, one line per block. It drops hidden elements from the tree in place."""
    from readability import Document
    from readability.readability import Unparseable

    try:
        summary = Document(tree).summary(html_partial=True)
    except Unparseable:
        return ""
    try:
        # Usually one <div>, but the whole page when readability found no candidate.
        return block_text(lxml_html.fromstring(summary))
    except (etree.ParserError, ValueError):
        return ""


def trafilatura_text(tree: lxml_html.HtmlElement, url: str, *, thorough: bool = False) -> str:
    """trafilatura's recall-leaning pass without comments. `thorough` lets it run its own
    fallbacks (readability, jusText) and read metadata, which costs three times as much."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it warns on every odd page; we count instead
    document = trafilatura.bare_extraction(tree, url=url, with_metadata=thorough, include_comments=False,
                                           favor_recall=True, fast=not thorough)
    return (getattr(document, "text", None) or "").strip() if document else ""
