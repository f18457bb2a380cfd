"""The Atom renderer (workers/exchange/atom.py) on stories made here: one entry
per story (never per copy), ids that do not move between exports, HTML escaped
twice over, what an entry says, and a feed feedparser reads without complaint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from search.story_records import StoryRecord
from workers.exchange import FORMATS, ExchangeOptions, stable_uuid
from workers.exchange.atom import atom_feed, render_atom

ATOM = "{http://www.w3.org/2005/Atom}"
OPTIONS = ExchangeOptions(public_url="https://coverwatch.example", scope_id="saved:ana:abc123",
                          title="Saved search “APT31”", generated_at=datetime(2026, 1, 1, tzinfo=UTC))


def article(number: int, source: str, day: int, **fields: Any) -> dict[str, Any]:
    return {"id": f"a{number}", "title": f"Report {number} from {source}", "url": f"https://{source}.example/{number}",
            "source": source, "published_at": f"2025-03-{day:02d}T09:00:00+00:00", "language": "en",
            "relevance_band": "on_topic", **fields}


def story(story_id: str, last_day: int, *articles: dict[str, Any], title: str = "") -> StoryRecord:
    return StoryRecord({"id": story_id, "title": title or f"Story {story_id}",
                        "first_seen": "2025-03-01T09:00:00+00:00",
                        "last_update": f"2025-03-{last_day:02d}T10:00:00+00:00"}, tuple(articles))


def lanternfall() -> StoryRecord:
    return story(
        "lanternfall", 15,
        article(1, "daily", 5, actors=["G0128"], attributed_states=["CN"], victim_countries=["JP"],
                cves=["CVE-2024-3400"], techniques=["T1566.001"], indicators=[
                    {"type": "domain", "value": "lantern-update.example.net"},
                    {"type": "url", "value": "http://lantern-update.example.net/payload.bin"},
                    {"type": "ipv4", "value": "203.0.113.7"}, {"type": "cve", "value": "CVE-2024-3400"}]),
        article(2, "wire", 12, actors=["G0128"], relevance_band="possible", sectors=["government"]),
        article(3, "echo", 13, title="A copy the echo reprinted", duplicate_of="a2"),
        title="US and UK name APT31 behind Lanternfall")


def entries(document: str) -> list[Any]:
    return list(lxml.etree.fromstring(document.encode("utf-8")).findall(f"{ATOM}entry"))


def test_the_renderer_is_registered_as_atom_with_its_media_type() -> None:
    assert FORMATS["atom"].render is render_atom
    assert FORMATS["atom"].media_type == "application/atom+xml"


def test_one_entry_per_story_listing_its_originals_and_not_its_copies() -> None:
    document = render_atom([lanternfall(), story("other", 3, article(9, "post", 3))], OPTIONS)

    parsed = feedparser.parse(document)
    assert parsed.bozo == 0
    assert [entry.title for entry in parsed.entries] == ["US and UK name APT31 behind Lanternfall", "Story other"]
    content = parsed.entries[0].content[0].value
    assert "Report 1 from daily" in content and "Report 2 from wire" in content
    assert "reprinted" not in content
    assert "2 reports from 2 outlets, 1 copy: daily, wire" in content
    assert parsed.entries[0].link == "https://coverwatch.example/stories/lanternfall"


def test_ids_are_stable_across_exports_and_the_feed_id_follows_the_scope() -> None:
    first = atom_feed([lanternfall()], OPTIONS)
    later = atom_feed([lanternfall()], ExchangeOptions(public_url="https://coverwatch.example",
                                                        scope_id="saved:ana:abc123", generated_at=datetime.now(UTC)))
    other_scope = feedparser.parse(atom_feed([lanternfall()], ExchangeOptions(public_url="https://x", scope_id="all")))

    assert first.replace("Saved search “APT31”", "Coverwatch stories") == later  # same stories, same document
    parsed = feedparser.parse(first)
    assert parsed.entries[0].id == f"urn:uuid:{stable_uuid('story', 'lanternfall')}"
    assert other_scope.entries[0].id == parsed.entries[0].id
    assert parsed.feed.id.startswith("urn:uuid:") and other_scope.feed.id != parsed.feed.id
    assert parsed.feed.updated == "2025-03-15T10:00:00+00:00"  # the newest entry's, not the export's time


def test_entries_come_newest_update_first_up_to_the_cap() -> None:
    records = [story(f"s{day}", day, article(day, "daily", day)) for day in (3, 20, 11, 7)]

    parsed = feedparser.parse(atom_feed(records, OPTIONS, cap=3))

    assert [entry.title for entry in parsed.entries] == ["Story s20", "Story s11", "Story s7"]
    assert parsed.entries[0].updated == "2025-03-20T10:00:00+00:00"
    assert parsed.entries[0].published == "2025-03-01T09:00:00+00:00"


def test_an_entry_says_band_actors_states_victims_techniques_and_cves_with_categories() -> None:
    parsed = feedparser.parse(render_atom([lanternfall()], OPTIONS))
    entry = parsed.entries[0]
    content = lxml.html.fromstring(entry.content[0].value).text_content()

    for shown in ("Relevance: on-topic", "Actors: ZIRCONIUM", "Attributed to: China", "Victims: Japan",
                  "Sectors: government", "Techniques: T1566.001 Spearphishing Attachment", "CVEs: CVE-2024-3400",
                  "Indicators (defanged): lantern-update.example[.]net (domain), "
                  "hxxp://lantern-update.example[.]net/payload.bin (url), 203.0.113[.]7 (ipv4)"):
        assert shown in content
    assert "lantern-update.example.net" not in content and "203.0.113.7" not in content  # nothing live to click
    assert "Indicators" not in entry.summary
    assert {(tag.term, tag.label) for tag in entry.tags} == {("G0128", "ZIRCONIUM"), ("on_topic", "on-topic")}
    assert entry.summary.startswith("2 reports from 2 outlets; Relevance: on-topic; Actors: ZIRCONIUM")
    assert parsed.feed.rights == "TLP:CLEAR"


def test_markup_from_articles_stays_text_and_only_web_links_are_links() -> None:
    hostile = story("hostile", 9, article(1, "daily", 9, title="<script>alert(1)</script> & <b>more</b>",
                                          url="javascript:alert(2)"),
                    title="Spies <img src=x onerror=alert(3)> strike\x0b again")

    document = render_atom([hostile], OPTIONS)

    [entry] = entries(document)
    assert entry.findtext(f"{ATOM}title") == "Spies <img src=x onerror=alert(3)> strike again"
    html = entry.findtext(f"{ATOM}content")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;more&lt;/b&gt;" in html
    fragment = lxml.html.fromstring(html)
    assert not fragment.xpath("//script | //b | //img")
    assert not [link for link in fragment.xpath("//a/@href") if not link.startswith("https://")]
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Spies <img src=x onerror=alert(3)> strike again"


def test_an_empty_feed_is_still_a_valid_feed_dated_by_the_export() -> None:
    parsed = feedparser.parse(render_atom([], OPTIONS))

    assert parsed.bozo == 0
    assert parsed.entries == []
    assert parsed.feed.updated == "2026-01-01T00:00:00+00:00"


def test_an_entry_lists_so_many_indicators_and_counts_the_rest() -> None:
    many = [{"type": "ipv4", "value": f"198.51.100.{number}"} for number in range(30)]
    parsed = feedparser.parse(render_atom([story("many", 4, article(1, "daily", 4, indicators=many))], OPTIONS))

    content = lxml.html.fromstring(parsed.entries[0].content[0].value).text_content()
    assert "198.51.100[.]24 (ipv4), and 5 more" in content
    assert "198.51.100[.]25" not in content
