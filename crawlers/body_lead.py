"""The article's lead (standfirst), when the extractors left it out.

Today's pages set the lead apart from the body: in the header beside the
headline, under a class such as ``lead``, ``intro``, ``standfirst`` or
``excerpt``. readability-lxml takes the body's container and leaves it behind,
though the lead is the article's first paragraph for a reader (and for the
modern dev set's must-appear snippets). A lead is recognised by its class word
or, failing that, as the block that repeats the page's own description.
"""

from __future__ import annotations

from lxml import html as lxml_html

from crawlers.body_text import class_and_id, strip_invisible

_LEAD_WORDS = frozenset({"lead", "leadin", "intro", "introduction", "standfirst", "deck", "excerpt", "subtitle",
                         "subheadline", "summary", "abstract", "bajada", "chapo", "epigraph", "sapo", "kicker",
                         "teasertext", "dek", "subline", "einleitung", "vorspann", "lede"})
_LEAD_TAGS = ("p", "div", "h2", "span", "section")
LEAD_MIN_CHARS = 60
LEAD_MAX_CHARS = 1000
_OPENING_CHARS = 60


def _lead_named(element: lxml_html.HtmlElement) -> bool:
    names, words = class_and_id(element)
    # "teaser-text" is the lead in TYPO3's news pages; a bare "teaser" is a link to another story.
    return any(word in _LEAD_WORDS for word in words) or "teaser-text" in names or "teaser_text" in names


def _flat(element: lxml_html.HtmlElement) -> str:
    return " ".join(strip_invisible(element.text_content()).split())


def _inside_link(element: lxml_html.HtmlElement) -> bool:
    return any(ancestor.tag == "a" for ancestor in element.iterancestors())


def page_lead(tree: lxml_html.HtmlElement, description: str) -> str:
    """The lead's text, or "" when the page shows none apart from its body."""
    described = " ".join(description.split())[:_OPENING_CHARS]
    # A description shorter than the opening compared can find no paragraph.
    by_description_wanted = len(described) == _OPENING_CHARS
    by_description = ""
    for element in tree.iter(*_LEAD_TAGS):
        named = _lead_named(element)
        if not named and not (by_description_wanted and not by_description and element.tag == "p"):
            continue
        text = _flat(element)
        if not LEAD_MIN_CHARS <= len(text) <= LEAD_MAX_CHARS or _inside_link(element):
            continue
        if named:
            return text
        if text.startswith(described):
            by_description = text
    return by_description


def with_lead(body: str, lead: str) -> str:
    """body opened by lead, unless body already holds it."""
    if not lead or " ".join(lead.split())[:_OPENING_CHARS] in " ".join(body.split()):
        return body
    return f"{lead}\n{body}"
