"""Which stamp of a page is its publication time, and which dates are no publication dates."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.utils.test import get_crawler

from crawlers.dates import EARLIEST, parse_stamp, plausible_publication
from crawlers.extraction import extract_article
from crawlers.sources import Source
from crawlers.spiders.base import SourceSpider

PARAGRAPHS = "".join(f"<p>Investigators said the intrusion began with a spear-phishing message sent to the "
                     f"plant's engineers and lasted for weeks before it was found. Paragraph {n}.</p>"
                     for n in range(5))


def _published(head: str, article: str = "") -> datetime | None:
    page = f"<html><head>{head}</head><body><article>{article}{PARAGRAPHS}</article></body></html>"
    return extract_article(page, "https://news.example/a").published_at


def _ld(body: str) -> str:
    return f'<script type="application/ld+json">{body}</script>'


def test_the_article_object_wins_over_updated_and_comment_times() -> None:
    head = _ld('{"@type": "NewsArticle", "datePublished": "2022-05-04T08:15:00+02:00",'
               ' "dateModified": "2022-06-01T10:00:00+02:00"}')
    article = ('<time class="updated" datetime="2022-06-01T10:00:00+02:00">1 June</time>'
               '<div class="comment"><time datetime="2022-07-09T11:00:00Z">9 July</time></div>')
    assert _published(head, article) == datetime(2022, 5, 4, 6, 15, tzinfo=UTC)


def test_a_bare_day_borrows_the_hour_of_a_later_stamp_of_that_day_only() -> None:
    day = _ld('{"@type": "NewsArticle", "datePublished": "2021-11-12"}')
    same_day = '<meta property="article:published_time" content="2021-11-12T09:30:00Z">'
    other_day = '<meta property="article:published_time" content="2021-11-13T09:30:00Z">'
    assert _published(day + same_day) == datetime(2021, 11, 12, 9, 30, tzinfo=UTC)
    assert _published(day + other_day) == datetime(2021, 11, 12, tzinfo=UTC)


def test_a_web_page_object_and_a_json_ld_block_that_does_not_parse_still_date_the_page() -> None:
    graph = _ld('{"@graph": [{"@type": "WebSite"},'
                ' {"@type": "WebPage", "datePublished": "2019-09-17T14:54:31+02:00"}]}')
    assert _published(graph) == datetime(2019, 9, 17, 12, 54, 31, tzinfo=UTC)
    broken = _ld('{"@type": "NewsArticle", "headline": "a "quoted" word", "datePublished": "2022-05-04T05:49:00Z"}')
    assert _published(broken) == datetime(2022, 5, 4, 5, 49, tzinfo=UTC)


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2022-05-04T03:00:00 UTC", datetime(2022, 5, 4, 3, tzinfo=UTC)),
    ("2022-01-10T22:06:08:684Z", datetime(2022, 1, 10, 22, 6, 8, 684000, tzinfo=UTC)),
    ("2020-01-14", datetime(2020, 1, 14, tzinfo=UTC)),
    ("yesterday", None),
])
def test_stamps_as_publishers_write_them(stamp: str, expected: datetime | None) -> None:
    assert parse_stamp(stamp) == expected


def test_dates_after_the_crawl_or_before_1995_are_no_publication_dates() -> None:
    crawled = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert plausible_publication(crawled + timedelta(days=2), crawled) == (None, "in_future")
    assert plausible_publication(EARLIEST - timedelta(days=1), crawled) == (None, "before_1995")
    # A local time read as UTC, a few hours ahead: kept, as the crawl time, never later than it.
    assert plausible_publication(crawled + timedelta(hours=3), crawled) == (crawled, None)
    assert plausible_publication(crawled - timedelta(days=1), crawled) == (crawled - timedelta(days=1), None)
    assert plausible_publication(None, crawled) == (None, None)


def test_the_spider_drops_an_implausible_date_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    spider = SourceSpider.__new__(SourceSpider)  # no seen-set: this test touches only the date check
    spider.source = Source(name="dates-test", urls=["https://news.example/feed.xml"])
    crawler = get_crawler()  # a real crawler and its stats collector, no crawl started
    spider.crawler = crawler
    future = datetime.now(UTC) + timedelta(days=30)
    with caplog.at_level(logging.WARNING):
        assert spider.plausible_date(future, "page", "https://news.example/a") is None
    assert crawler.stats is not None
    assert crawler.stats.get_value("coverwatch/rejected_date/in_future") == 1
    assert "in_future" in caplog.text
    past = datetime(2020, 1, 1, tzinfo=UTC)
    assert spider.plausible_date(past, "page", "https://news.example/a") == past
