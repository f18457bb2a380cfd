"""Plain text of an HTML fragment, one line per block, as the scorers and the index want it.

lxml's text_content() runs paragraphs together and keeps the page's layout
whitespace; here each block element (and each <br>) ends a line and runs of
whitespace inside a line become one space.
"""

from __future__ import annotations

import re

from lxml import etree

_BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "td", "th", "tr", "ul",
})
# <rt>/<rp>: ruby annotations (furigana) read over the text, not part of it.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "rt", "rp"})
# Soft hyphens and zero-width spaces: invisible hyphenation hints that split words for search and matching.
_INVISIBLE = str.maketrans({"\u00ad": None, "\u200b": None, "\u2060": None, "\ufeff": None})


def block_text(root: etree._Element) -> str:
    """The text under root, a newline between blocks."""
    pieces: list[str] = []
    _walk(root, pieces)
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(element: etree._Element, pieces: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIPPED:
        pieces.append(_flat(element.tail))
        return
    is_block = tag in _BLOCKS or tag == "br"
    if is_block:
        pieces.append("\n")
    if tag:  # comments and processing instructions contribute only their tail
        pieces.append(_flat(element.text))
        for child in element:
            _walk(child, pieces)
    if is_block:
        pieces.append("\n")
    pieces.append(_flat(element.tail))


def _flat(text: str | None) -> str:
    """Source line breaks are layout, not structure: only blocks may end a line."""
    return text.replace("\n", " ").replace("\r", " ").translate(_INVISIBLE) if text else ""


def strip_invisible(text: str) -> str:
    """Text without soft hyphens and zero-width spaces (for texts that did not come through block_text)."""
    return text.translate(_INVISIBLE)


# A paragraph of at least this many characters is prose, not furniture: the
# pruner keeps what holds one, and the body choice counts them.
PROSE_PARAGRAPH_CHARS = 150
_NAME_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def collapsed_length(element: etree._Element) -> int:
    """The length of an element's text with its whitespace collapsed."""
    return len(" ".join(element.text_content().split()))


def class_and_id(element: etree._Element) -> tuple[str, list[str]]:
    """An element's class and id, lower-cased in one string, and the words in them."""
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return names, _NAME_WORD_SPLIT.split(names)
