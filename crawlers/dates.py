"""An article page's publication time, and whether a date can be one at all.

Dates decide timelines, "first report" and story lineage, so the page's own
publication stamp is read in order of trust: the schema.org article object's
``datePublished``, the publication <meta> tags, ``datePublished`` on another
schema.org object of the page (a WebPage, a HowTo), then a <time> element
marked as the publication's. "Updated" and "modified" stamps, comment times
and dates in running scripts are never read as the publication. When the
first stamp found is a bare day, a later one of the same day lends its hour.

A page whose markup states nothing gets htmldate's day (``find_date`` with
``original_date``), from its URL and visible dates.

A date later than the crawl or before the web carried news (``EARLIEST``) is
not a publication date; the crawler drops it (``plausible_publication``) and
keeps the article, counted and logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import html as lxml_html

from coverwatch.models import parse_timestamp

# Publication <meta> tags, most specific first.
PUBLISHED_META = ("article:published_time", "og:article:published_time", "datePublished", "pubdate",
                  "publishdate", "publish-date", "date", "DC.date.issued", "dc.date", "DC.date",
                  "parsely-pub-date", "sailthru.date", "dcterms.created")
_PUBLISHED_TIME = ('//time[@itemprop="datePublished"]/@datetime'
                   ' | //*[@itemprop="datePublished"]/@content'
                   ' | //time[contains(@class,"publish")]/@datetime'
                   ' | //article//time[not(contains(@class,"update")) and not(contains(@class,"modif"))]/@datetime')
_LD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')
# "2022-05-04T03:00:00 UTC", "... GMT", "2022-01-10T22:06:08:684Z" (milliseconds after a colon).
_ZONE_WORD = re.compile(r"\s*(?:UTC|GMT|Z)$", re.IGNORECASE)
_COLON_MILLIS = re.compile(r"(T\d{2}:\d{2}:\d{2}):(\d{1,6})")

EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
# Pages stating a local time without its offset read up to this far ahead of UTC.
LOCAL_TIME_SLACK = timedelta(hours=14)


def parse_stamp(value: Any) -> datetime | None:
    """A timestamp as publishers write it: ISO 8601 with the usual slips; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    # Without its zone word the stamp is naive, which parse_timestamp reads as UTC.
    return parse_timestamp(text) or parse_timestamp(_COLON_MILLIS.sub(r"\1.\2", _ZONE_WORD.sub("", text)))


def _has_time(value: str) -> bool:
    return "T" in value or ":" in value


def _stated_times(tree: lxml_html.HtmlElement, article: dict[str, Any], ld_nodes: Iterable[dict[str, Any]],
                  tags: dict[str, str]) -> Iterator[str]:
    """The publication stamps the page states, in the order of trust above; read
    lazily, as most pages are decided by the first."""
    stated = article.get("datePublished")
    if isinstance(stated, str):
        yield stated
    yield from (tags[name] for name in PUBLISHED_META if name in tags)
    yield from (node["datePublished"] for node in ld_nodes if isinstance(node.get("datePublished"), str))
    # A JSON-LD block that does not parse (a stray comma, an unescaped quote) still names its date.
    yield from _LD_DATE.findall(" ".join(tree.xpath('//script[@type="application/ld+json"]/text()')))
    yield from (str(value) for value in tree.xpath(_PUBLISHED_TIME))


def publication_time(tree: lxml_html.HtmlElement, article: dict[str, Any], ld_nodes: Iterable[dict[str, Any]],
                     tags: dict[str, str]) -> datetime | None:
    """The page's publication time, in the order of trust above; htmldate's day
    when the page states none."""
    first: datetime | None = None
    stated_any = False
    for candidate in _stated_times(tree, article, ld_nodes, tags):
        stated_any = True
        parsed = parse_stamp(candidate)
        if parsed is None:
            continue
        if first is None:
            first = parsed
            if _has_time(candidate):
                return parsed
        elif parsed.date() == first.date() and _has_time(candidate):
            return parsed
    return first if stated_any else parse_stamp(_htmldate_day(tree))


def plausible_publication(published: datetime | None, crawled_at: datetime) -> tuple[datetime | None, str | None]:
    """(the date to store, why it was dropped): dates after the crawl or before EARLIEST are no
    publication dates. A stamp at most LOCAL_TIME_SLACK ahead is a local time read as UTC and is
    kept as the crawl time, so no stored date is ever later than its crawl."""
    if published is None:
        return None, None
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    if published < EARLIEST:
        return None, "before_1995"
    if published > crawled_at + LOCAL_TIME_SLACK:
        return None, "in_future"
    return min(published, crawled_at), None


def _htmldate_day(tree: lxml_html.HtmlElement) -> str:
    """htmldate's reading of a page whose markup states no publication (its URL, visible dates,
    <time> elements), without its extensive search: that costs five times as much and reads
    any date in the text."""
    import logging

    from htmldate import find_date

    logging.getLogger("htmldate").setLevel(logging.ERROR)  # it warns on every odd page
    try:
        return find_date(tree, original_date=True, extensive_search=False) or ""
    except ValueError:
        return ""
