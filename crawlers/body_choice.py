"""Which extractor's text is the article body.

readability-lxml reads real news pages best of the extractors measured on the
dev set (bench/extraction_dev.py); trafilatura rescues the pages where it
comes out empty, has plainly kept too little, or missed the page's prose.
Prose is the page's long paragraphs (after crawlers.body_pruning took the
furniture out): on today's pages readability sometimes settles on a list of
names or a neighbouring story, and its text then holds few of them.
When both run they vote on readability's short lines: a caption, credit or
button readability kept is dropped unless trafilatura kept it too.
trafilatura runs when readability's text looks doubtful or has short lines
(most of today's pages); readability's faster cleaner
(crawlers/body_readability.py) and the pruned tree pay for it on real pages.

The thresholds were fitted on the tune splits of both dev sets only
(bench/extraction_dev.py, bench/extraction_modern.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from crawlers.body_text import PROSE_PARAGRAPH_CHARS, block_text, collapsed_length, strip_invisible

# Readability's text is doubted when shorter than this, or than this share of the page's visible text.
DOUBT_BELOW_CHARS = 500
DOUBT_BELOW_PAGE_SHARE = 0.3
# A candidate shorter than this holds no article; readability loses when it kept under this share of trafilatura.
USABLE_CHARS = 200
TOO_LITTLE_OF_OTHER = 0.2
# Readability is doubted when its text holds less than this share of the page's prose.
DOUBT_BELOW_PROSE_SHARE = 0.7
# Lines of readability's text shorter than this (captions, credits, buttons, bylines, "more on this"
# links) are kept only when trafilatura's text holds them too; trafilatura is asked whenever there is one.
VOTE_BELOW_CHARS = 100
# A paragraph this long is prose; it counts as kept when its opening is in a candidate's text.
_PROSE_OPENING_CHARS = 80


@dataclass(frozen=True)
class Candidates:
    """The texts the chooser weighs, with the one page-level feature it needs."""

    readability: str
    page_chars: int
    trafilatura: str | None = None  # None: not run, readability was trusted
    prose: tuple[str, ...] = ()  # the page's long paragraphs, whitespace collapsed

    @property
    def doubtful(self) -> bool:
        return len(self.readability) < DOUBT_BELOW_CHARS or \
            len(self.readability) < DOUBT_BELOW_PAGE_SHARE * self.page_chars or \
            prose_share(self.prose, self.readability) < DOUBT_BELOW_PROSE_SHARE

    @property
    def second_opinion_wanted(self) -> bool:
        """trafilatura is run when readability is doubtful or has short lines for it to vote on."""
        return self.doubtful or any(len(line) < VOTE_BELOW_CHARS for line in self.readability.split("\n"))


def choose(candidates: Candidates) -> str:
    """The body among the candidates; callers run trafilatura first when `second_opinion_wanted`
    says so. When both are usable the two vote: readability's text is kept, the prose only
    trafilatura found is added where trafilatura has it (it reads past the container readability
    settled on), and readability's short lines trafilatura does not hold are dropped."""
    readable, rescue = candidates.readability, candidates.trafilatura
    if rescue is None or len(rescue) < USABLE_CHARS:
        return readable if len(readable) >= len(rescue or "") else rescue or ""
    if len(readable) < USABLE_CHARS or len(readable) < TOO_LITTLE_OF_OTHER * len(rescue):
        return rescue
    # Prose is merged only where readability holds little of it: elsewhere the page's other prose
    # is a sidebar's or an offer box's, which trafilatura reads as readily as the article's.
    merged = with_missing_prose(readable, rescue, candidates.prose) if candidates.doubtful else readable
    return voted(merged, rescue)


def voted(text: str, other: str) -> str:
    """text without its short lines that other lacks: a caption or a "share" button both extractors
    keep is rare, a short line of the article (a subheading, a quote) both keep is the rule."""
    flat = " ".join(other.split())
    return "\n".join(line for line in text.split("\n")
                     if len(line) >= VOTE_BELOW_CHARS or " ".join(line.split()) in flat)


def _opening(line: str) -> str:
    return " ".join(line.split())[:_PROSE_OPENING_CHARS]


def with_missing_prose(readable: str, rescue: str, prose: tuple[str, ...]) -> str:
    """readable with rescue's lines that are page prose readable lacks, each placed after the
    readable line rescue last shared before it."""
    lines = readable.split("\n")
    position = {_opening(line): index for index, line in enumerate(lines)}
    openings = {paragraph[:_PROSE_OPENING_CHARS] for paragraph in prose}
    flat = " ".join(readable.split())
    added: dict[int, list[str]] = {}
    anchor = -1
    for line in rescue.split("\n"):
        key = _opening(line)
        if key in position:
            anchor = position[key]
        elif len(line) >= PROSE_PARAGRAPH_CHARS and key in openings and key not in flat:
            added.setdefault(anchor, []).append(line)
    if not added:
        return readable
    merged = added.get(-1, [])
    for index, line in enumerate(lines):
        merged += [line, *added.get(index, [])]
    return "\n".join(merged)


def prose_paragraphs(tree: lxml_html.HtmlElement) -> tuple[str, ...]:
    """The page's paragraphs of at least PROSE_PARAGRAPH_CHARS, whitespace collapsed."""
    texts = (" ".join(strip_invisible(paragraph.text_content()).split()) for paragraph in tree.iter("p"))
    return tuple(text for text in texts if len(text) >= PROSE_PARAGRAPH_CHARS)


def prose_share(prose: tuple[str, ...], text: str) -> float:
    """The share of the prose's characters whose paragraph opens somewhere in text (1 without prose)."""
    total = sum(map(len, prose))
    if not total:
        return 1.0
    flat = " ".join(text.split())
    return sum(len(paragraph) for paragraph in prose if paragraph[:_PROSE_OPENING_CHARS] in flat) / total


def visible_chars(tree: lxml_html.HtmlElement) -> int:
    """Characters of text a reader could see in the body, layout whitespace collapsed."""
    body = tree.find("body")
    root = body if body is not None else tree
    hidden = sum(collapsed_length(element) for element in root.iter("script", "style", "noscript"))
    return max(0, collapsed_length(root) - hidden)



def readability_text(tree: lxml_html.HtmlElement) -> str:
    """readability-lxml's article, one line per block (the tree is left as it was)."""
    from readability.readability import Unparseable

    from crawlers.body_readability import TextDocument

    try:
        summary = TextDocument(tree).summary(html_partial=True)
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
