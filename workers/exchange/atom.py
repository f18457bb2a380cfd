"""Stories as an Atom feed (RFC 4287, made with feedgen): one entry per story,
never one per copy, so a feed reader shows a story once and marks it unread
again when it gains coverage (its ``updated`` moves).

An entry's id is derived from the story id (``urn:uuid:`` + UUIDv5), the feed's
from the export's ``scope_id``, so re-reading the feed never duplicates an entry.
The content is HTML a reader can show: the relevance band, the actors by their
taxonomy names, attributed states, victims, sectors, techniques (with their
ATT&CK names), CVEs and indicators (defanged: a reader must not make one a
link), and every original report with its outlet and link. Every value from an article is
escaped here, and feedgen escapes the HTML again into the XML text, so a title
like ``<script>`` reaches the reader as text.

web/feeds.py serves these feeds per saved search and per story behind per-user
feed tokens; ``coverwatch export --format atom`` prints one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from coverwatch.fields import Vocabulary
from coverwatch.taxonomy import Taxonomy, default_taxonomy
from coverwatch.taxonomy.attack import technique_label
from search.story_records import StoryRecord
from search.vocabulary import value_label
from workers.exchange import ExchangeOptions, exchange_format, stable_uuid
from workers.indicators import defang

MEDIA_TYPE = "application/atom+xml"
# Entries per feed: a reader polls often, and fifty stories is weeks of coverage on a narrow search.
FEED_ENTRY_CAP = 50
# Indicators listed per entry; the STIX and MISP exports carry them all.
INDICATORS_SHOWN = 25
# What the one-line summary leaves to the content.
SUMMARY_LEAVES_OUT = ("Indicators (defanged)",)
# Best first: a story's band is the best of its reports'.
# Characters XML 1.0 cannot carry at all; a crawled title holding one would make the whole feed unreadable.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
ACTOR_SCHEME = "https://attack.mitre.org/groups/"
BAND_SCHEME = "urn:coverwatch:relevance-band"


def xml_text(text: object) -> str:
    """``text`` without the characters XML cannot hold."""
    return NOT_IN_XML.sub("", str(text))





def web_link(url: object) -> str | None:
    """An article's link only when it leads to the web (no ``javascript:`` from a crawled page)."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme.lower() in ("http", "https") else None


def newest_first(records: Iterable[StoryRecord], cap: int = FEED_ENTRY_CAP) -> list[StoryRecord]:
    """The ``cap`` most recently updated stories, newest first."""
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(records, key=lambda record: (record.changed_at or oldest, record.id), reverse=True)[:cap]


def feed_updated(records: Sequence[StoryRecord], options: ExchangeOptions) -> datetime:
    """When the feed last changed: its newest entry's update (so the same stories
    make the same document), or the time of the export when it has none."""
    times = [time for time in (record.changed_at for record in records) if time]
    return max(times) if times else options.generated_at


def entry_id(story_id: str) -> str:
    return f"urn:uuid:{stable_uuid('story', story_id)}"


def feed_id(scope_id: str) -> str:
    return f"urn:uuid:{stable_uuid('atom-feed', scope_id)}"


def _labels(vocabulary: Vocabulary, values: Iterable[Any], taxonomy: Taxonomy) -> list[str]:
    return [value_label(vocabulary, str(value), taxonomy) for value in values]


# What an entry says of its story: (heading, values), in the order shown.
Facts = list[tuple[str, list[str]]]


def story_facts(record: StoryRecord, taxonomy: Taxonomy) -> Facts:
    """(heading, values) of what the story is about, in the order an analyst reads them; empty ones left out."""
    band = record.band
    facts = [
        ("Relevance", [value_label("band", band)] if band else []),
        ("Actors", _labels("actor", record.values("actors"), taxonomy)),
        ("Attributed to", _labels("country", record.values("attributed_states"), taxonomy)),
        ("Victims", _labels("country", record.values("victim_countries"), taxonomy)),
        ("Sectors", [str(sector) for sector in record.values("sectors")]),
        ("Techniques", [technique_label(str(technique)) for technique in record.values("techniques")]),
        ("CVEs", [str(cve) for cve in record.values("cves")]),
        ("Indicators (defanged)", shown_indicators(record)),
    ]
    return [(heading, values) for heading, values in facts if values]


def shown_indicators(record: StoryRecord, cap: int = INDICATORS_SHOWN) -> list[str]:
    """The story's indicators as a reader may show them: defanged, so no feed
    reader turns one into a link; CVEs have their own line. At most ``cap``, then how many more."""
    found = [(str(indicator.get("type", "")), str(indicator.get("value", "")))
             for indicator in record.values("indicators") if isinstance(indicator, Mapping)]
    found = [(kind, value) for kind, value in found if value and kind != "cve"]
    shown = [f"{defang(value, kind)} ({kind})" for kind, value in found[:cap]]
    return shown + ([f"and {len(found) - cap} more"] if len(found) > cap else [])


def outlets(record: StoryRecord) -> list[str]:
    """The outlets of the story's reports, first to report first."""
    return [source for source in dict.fromkeys(str(article.get("source") or "") for article in record.originals)
            if source]


def _report_line(article: Mapping[str, Any]) -> str:
    title = escape(xml_text(article.get("title") or article.get("url") or "untitled"))
    link = web_link(article.get("url"))
    headline = f'<a href="{escape(xml_text(link))}">{title}</a>' if link else title
    when = str(article.get("published_at") or article.get("crawled_at") or "")[:10]
    about = " · ".join(escape(xml_text(part)) for part in (article.get("source"), when, article.get("language"))
                       if part)
    return f"<li>{headline} — {about}</li>" if about else f"<li>{headline}</li>"


def entry_html(record: StoryRecord, facts: Facts) -> str:
    """The entry's content: the story's facts, then each original report, oldest first."""
    reports = record.originals
    sources = outlets(record)
    copies = len(record.articles) - len(reports)
    counted = (f"{len(reports)} report{'s' if len(reports) != 1 else ''} from {len(sources)} "
               f"outlet{'s' if len(sources) != 1 else ''}" + (f", {copies} cop{'ies' if copies != 1 else 'y'}"
                                                               if copies else ""))
    parts = [f"<p>{escape(counted)}: {escape(xml_text(', '.join(sources)))}</p>"]
    if facts:
        parts.append("<ul>" + "".join(f"<li><strong>{escape(heading)}:</strong> {escape(xml_text(', '.join(values)))}"
                                      "</li>" for heading, values in facts) + "</ul>")
    parts.append("<ol>" + "".join(_report_line(article) for article in reports) + "</ol>")
    return "".join(parts)


def entry_summary(record: StoryRecord, facts: Facts) -> str:
    """One plain line for readers that show summaries only."""
    line = "; ".join(f"{heading}: {', '.join(values)}" for heading, values in facts
                     if heading not in SUMMARY_LEAVES_OUT)
    sources = outlets(record)
    counted = f"{len(record.originals)} reports from {len(sources)} outlets"
    return xml_text(f"{counted}; {line}" if line else counted)


def _add_entry(feed: FeedGenerator, record: StoryRecord, options: ExchangeOptions, taxonomy: Taxonomy) -> None:
    entry = feed.add_entry(order="append")
    entry.id(entry_id(record.id))
    entry.title(xml_text(record.title) or f"Story {record.id}")
    entry.link(href=options.story_url(record.id), rel="alternate", type="text/html")
    updated = record.changed_at or options.generated_at
    entry.updated(updated)
    published = record.first_seen_at
    if published:
        entry.published(min(published, updated))
    facts = story_facts(record, taxonomy)
    entry.summary(entry_summary(record, facts))
    entry.content(entry_html(record, facts), type="html")
    for actor in record.values("actors"):
        entry.category(term=xml_text(actor), scheme=ACTOR_SCHEME, label=xml_text(value_label("actor", str(actor),
                                                                                            taxonomy)))
    band = record.band
    if band:
        entry.category(term=band, scheme=BAND_SCHEME, label=value_label("band", band))


def atom_feed(records: Sequence[StoryRecord], options: ExchangeOptions, *, self_url: str | None = None,
              home_url: str | None = None, cap: int = FEED_ENTRY_CAP, taxonomy: Taxonomy | None = None) -> str:
    """The Atom document of ``records``: the ``cap`` most recently updated
    stories, newest first; ``self_url`` is where the feed is served from,
    ``home_url`` the page showing what it follows (the deployment's, when not given)."""
    taxonomy = taxonomy or default_taxonomy()
    shown = newest_first(records, cap)
    feed = FeedGenerator()
    feed.id(feed_id(options.scope_id))
    feed.title(xml_text(options.title))
    feed.subtitle(f"Stories from {xml_text(options.producer)}, TLP:{options.tlp.upper()}")
    feed.author({"name": xml_text(options.producer)})
    feed.rights(f"TLP:{options.tlp.upper()}")
    feed.link(href=home_url or options.public_url or "/", rel="alternate", type="text/html")
    if self_url:
        feed.link(href=self_url, rel="self", type=MEDIA_TYPE)
    feed.generator(xml_text(options.producer))
    feed.updated(feed_updated(shown, options))
    for record in shown:
        _add_entry(feed, record, options, taxonomy)
    return str(feed.atom_str(pretty=True).decode("utf-8"))


@exchange_format("atom", MEDIA_TYPE, "an Atom feed: one entry per story, newest update first",
                 newest_only=FEED_ENTRY_CAP)
def render_atom(records: Sequence[StoryRecord], options: ExchangeOptions) -> str:
    """An Atom feed of the stories, one entry each."""
    return atom_feed(records, options)
