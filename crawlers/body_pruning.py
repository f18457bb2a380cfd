"""Boilerplate taken out of a page before the text extractors read it.

Today's pages wrap the article in furniture that readability-lxml keeps when it
sits inside the article's container: image captions and credits, "related" and
"read more" boxes, share and rating bars, newsletter and paywall boxes, author
boxes, cookie notices, comment threads. Each is recognised by its element
(<figcaption>, <aside>, <nav>...), by a word of its class or id, or, for a single
line, by the cue it opens with ("Read more:", "Lea también:", "Foto:"). A
container is never dropped when it holds much of the page's text: a class word
on a wrapper (``content-sidebar-wrap``, an ASP.NET page's one <form>) says
nothing about the article inside it.

Fitted on the tune splits of ../shared/extraction-dev (old and modern pages).
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

from crawlers.body_text import PROSE_PARAGRAPH_CHARS, class_and_id, collapsed_length

# Elements that hold no article text on a news page, whatever their class.
_FURNITURE_TAGS = frozenset({"aside", "nav", "footer", "form", "button", "figcaption", "select", "textarea",
                             "iframe", "svg", "dialog"})
# Words (of a class or id split at - _ and spaces) that name furniture; a word starting with one counts.
_FURNITURE_WORDS = (
    "related", "share", "sharing", "social", "newsletter", "comment", "breadcrumb", "caption", "credit",
    "copyright", "paywall", "cookie", "consent", "advert", "promo", "subscri", "sidebar", "rating",
    "byline", "author", "tags", "taglist", "keywords", "recommend", "readmore", "readalso", "popular",
    "trending", "imagedescription", "bildunterschrift", "infobox", "disclosure", "affiliate",
    "tweet", "instagram", "gate", "login", "signup", "banner", "modal", "popup",
)
_FURNITURE_EXACT = frozenset({"ad", "ads", "adv", "anzeige", "werbung", "meta", "date", "dateline", "tools",
                              "toolbar", "also", "lightbox", "fb", "embed"})
# Class words that start like furniture but name the article itself.
_ARTICLE_WORDS = frozenset({"commentary", "authored"})
# A class word after one of these describes its container ("has-comments", "non-paywall"), it does not name it.
_QUALIFIERS = frozenset({"has", "non", "no", "with", "without", "is", "show"})
# Lines pointing elsewhere ("Read more", "Lesen Sie auch"), in the languages the dev sets hold...
_POINTER_LINE = re.compile(
    r"^\W*(?:read (?:more|also|next)|see also|more on this|also read|"
    r"lea (?:más|también)|lee (?:más|también)|ver (?:más|también)|vea (?:más|también)|"
    r"(?:le|te) puede interesar|puedes ver|mira (?:también|lo que)|síguenos|siguenos|"
    r"lesen sie (?:auch|mehr|hier)|mehr zum thema|mehr dazu|auch interessant|das könnte sie auch interessieren|"
    r"weitere (?:beiträge|artikel|informationen)|zum weiterlesen|"
    r"(?:à )?lire (?:aussi|également)|voir aussi|czytaj (?:też|także|więcej)|zobacz (?:też|także))\b",
    re.IGNORECASE)
# ... and lines crediting a picture or pointing with one word, which need their colon to count.
_LABEL_LINE = re.compile(
    r"^\W*(?:foto|fotos|bild|bilder|photo|photos|image|credit|crédito|créditos|quelle|fuente|source|related|"
    r"lea|lee|vea|weiterlesen)\s*:", re.IGNORECASE)
_CUE_LINE_CHARS = 200  # a cued line longer than this is a paragraph that happens to open with the word
_LINE_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "div")
# A container holding at least this share of the page's text is kept whatever its name.
_KEEP_SHARE = 0.3


# One pass of C over an element's names before the word-by-word check: most names hold no furniture word.
_MAYBE_FURNITURE = re.compile("|".join([*_FURNITURE_WORDS, *_FURNITURE_EXACT]))


def _named_furniture(element: lxml_html.HtmlElement) -> bool:
    names, words = class_and_id(element)
    if not _MAYBE_FURNITURE.search(names):
        return False
    return any(word and word not in _ARTICLE_WORDS and (word in _FURNITURE_EXACT or word.startswith(_FURNITURE_WORDS))
               and (index == 0 or words[index - 1] not in _QUALIFIERS)
               for index, word in enumerate(words))


# Prose: paragraphs at least this long. A container with this much prose holds article text,
# whatever its name says (a layout wrapper called "content-sidebar-wrap", a lead called "teaser").
_PROSE_CHARS = 300


def _holds_prose(element: lxml_html.HtmlElement) -> bool:
    prose = 0
    paragraphs = 0
    for paragraph in element.iter("p"):
        paragraphs += 1
        length = collapsed_length(paragraph)
        if length >= PROSE_PARAGRAPH_CHARS:
            prose += length
            if prose >= _PROSE_CHARS:
                return True
    # Text set with <br>s and short <p>s or <div>s: prose when long and not mostly link text.
    length = collapsed_length(element)
    if length < 2 * _PROSE_CHARS or (paragraphs and length < 3 * _PROSE_CHARS):
        return False
    links = sum(collapsed_length(link) for link in element.iter("a"))
    return links < 0.3 * length



def prune_boilerplate(tree: lxml_html.HtmlElement) -> int:
    """Drop furniture from the tree in place; the count of elements dropped."""
    body = tree.find("body")
    root = body if body is not None else tree
    page_chars = max(1, collapsed_length(root))
    doomed = []
    suspects = [*root.iter(*_FURNITURE_TAGS),
                *(element for element in root.xpath(".//*[@class or @id]") if _named_furniture(element))]
    for element in suspects:
        if element.tag in {"html", "body", "main", "article"} or element in doomed:
            continue
        if collapsed_length(element) < _KEEP_SHARE * page_chars and not _holds_prose(element):
            doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text, which belongs to the parent
    dropped = len(doomed)
    for element in list(root.iter(*_LINE_TAGS)):
        if element.getparent() is not None and _cued_line(element):
            element.drop_tree()
            dropped += 1
    return dropped


def _cued_line(element: lxml_html.HtmlElement) -> bool:
    """A short block opening with a pointer or a picture credit. The opening is read first, so most
    blocks cost one text node, not their whole subtree."""
    opening = (element.text or "").lstrip()
    if len(opening) >= 40 and not (_POINTER_LINE.match(opening) or _LABEL_LINE.match(opening)):
        return False
    opening = ""
    for piece in element.itertext():
        opening += piece
        if len(opening.strip()) >= 40:
            break
    opening = opening.lstrip()
    if not opening or not (_POINTER_LINE.match(opening) or _LABEL_LINE.match(opening)):
        return False
    return collapsed_length(element) <= _CUE_LINE_CHARS

