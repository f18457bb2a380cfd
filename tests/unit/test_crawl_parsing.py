from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse

from crawlers.extraction import decode_page
from crawlers.health import SourceState, is_due, record_run, run_failed
from crawlers.schedule import parse_schedule
from crawlers.sources import Source, SourceFileError, parse_sources
from crawlers.spiders.feed import MalformedFeed, feed_entries, plain_title
from crawlers.spiders.listing import listing_links
from crawlers.spiders.sitemap import MalformedSitemap, parse_sitemap

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SOURCE = Source(name="outlet", urls=["https://news.example.com/feed"], schedule="every 30m")


def test_schedules() -> None:
    assert parse_schedule("every 15m").next_run(NOW) == NOW + timedelta(minutes=15)
    assert parse_schedule("0 */6 * * *").next_run(NOW) == datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    for bad in ("hourly", "every 2s", "61 * * * *"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_schema_errors_name_the_entry() -> None:
    with pytest.raises(SourceFileError, match=r"entry 1 \('lst'\).*allow"):
        parse_sources("sources:\n  - name: lst\n    kind: listing\n    urls: https://a.example/\n")
    with pytest.raises(SourceFileError, match="schedule"):
        parse_sources("sources:\n  - name: sch\n    urls: https://a.example/f\n    schedule: sometimes\n")
    with pytest.raises(SourceFileError, match="bad regular expression"):
        parse_sources("sources:\n  - name: rx\n    kind: listing\n    urls: https://a.example/\n    allow: '('\n")


def test_feed_titles_lose_their_html_and_broken_feeds_are_named() -> None:
    assert plain_title("<b>Turla</b> &amp; <i>Snake</i>") == "Turla & Snake"
    feed = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title><item><title>&lt;b&gt;Bold"
            b"&lt;/b&gt; news</title><link>https://a.example/1</link></item></channel></rss>")
    assert feed_entries(feed)[0]["title"] == "Bold news"
    empty = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"
    assert feed_entries(empty) == []
    for broken in (b"<rss><channel><item><title>half", b"<html><body>not a feed</body></html>", b""):
        with pytest.raises(MalformedFeed):
            feed_entries(broken)


def test_sitemaps() -> None:
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://a.example/news.xml</loc></sitemap></sitemapindex>")
    assert parse_sitemap(index) == ("index", [{"url": "https://a.example/news.xml", "published_at": None}])
    urlset = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
              b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
              b"<url><loc>https://a.example/old</loc><lastmod>2026-01-01</lastmod></url>"
              b"<url><loc>https://a.example/new</loc><news:news><news:publication_date>2026-11-20T10:00:00Z"
              b"</news:publication_date><news:title>New</news:title></news:news></url></urlset>")
    kind, links = parse_sitemap(urlset)
    assert kind == "urlset" and [link["url"] for link in links] == ["https://a.example/new", "https://a.example/old"]
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><urlset>&b;</urlset>'
    for broken in (b"<urlset><url>", b"<feed/>"):
        with pytest.raises(MalformedSitemap):
            parse_sitemap(broken)
    # Entities are never expanded, so an entity bomb is just an empty sitemap.
    assert parse_sitemap(bomb) == ("urlset", [])


def test_listing_links_follow_allow_and_deny() -> None:
    page = HtmlResponse("https://a.example/news/", body=b"""<html><body>
        <a href="/news/2026/11/turla-story.html">Turla</a><a href="/news/2026/11/turla-story.html#c">again</a>
        <a href="/news/tag/russia">tag</a><a href="https://other.example/x">x</a>
        <a href="/news/2026/11/live-blog.html">live</a><a href="mailto:desk@a.example">mail</a></body></html>""")
    links = listing_links(page, (r"/news/\d{4}/\d{2}/",), (r"live-blog",))
    assert [link["url"] for link in links] == ["https://a.example/news/2026/11/turla-story.html"]


def test_wrongly_declared_charset_falls_back() -> None:
    body = "<html><body><p>Café attaqué à Paris</p></body></html>".encode("cp1252")
    assert "Café attaqué" in decode_page(body, b"text/html; charset=utf-8")
    meta = '<meta charset="windows-1252"><p>Zürich</p>'.encode("cp1252")
    assert "Zürich" in decode_page(meta, None)


def _report(**fields: object) -> dict[str, object]:
    return {"entries": 0, "articles": 0, "errors": {}, "rejected": {}, **fields}


def test_failures_back_off_then_disable_and_success_resets() -> None:
    state = SourceState("outlet")
    failing = _report(errors={"feed_unreachable": 1})
    assert run_failed(failing) == "feed_unreachable x1"
    assert run_failed(_report(errors={"article_http_500": 1}, entries=3)) is None
    state = record_run(state, SOURCE, failing, NOW)
    assert state.status == "failing" and state.next_run == (NOW + timedelta(minutes=60)).isoformat()
    for _ in range(7):
        state = record_run(state, SOURCE, failing, NOW)
    assert state.status == "disabled" and "8 consecutive failed runs" in str(state.disabled_reason)
    assert not is_due(state, NOW + timedelta(days=30))
    healthy = record_run(SourceState("outlet", consecutive_failures=3), SOURCE, _report(entries=4, articles=2), NOW)
    assert healthy.status == "ok" and healthy.consecutive_failures == 0


def test_extraction_drift_is_flagged_against_the_source_baseline() -> None:
    state = SourceState("outlet")
    for _ in range(3):
        state = record_run(state, SOURCE, _report(entries=10, articles=10, short_bodies=1), NOW)
    assert state.drift is None
    state = record_run(state, SOURCE, _report(entries=10, articles=10, short_bodies=8), NOW)
    assert state.status == "drift" and "80%" in str(state.drift)
    state = record_run(state, SOURCE, _report(entries=10, articles=10, short_bodies=0), NOW)
    assert state.drift is None
