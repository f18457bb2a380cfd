"""One source's report out of a crawler's stats, where many sources' counts sit
side by side; a finished run's queued requests are not sent."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawlers.crawl_queue import Lease
from crawlers.run import report_from_stats
from crawlers.service import CrawlJob, JobGateMiddleware
from crawlers.sources import Source
from crawlers.spiders.feed import FeedSpider


def test_a_report_takes_only_its_own_sources_counts() -> None:
    stats = {
        "coverwatch/alpha/entries": 12, "coverwatch/alpha/not_modified": 1,
        "coverwatch/alpha/articles_extracted": 3, "coverwatch/alpha/errors/article_http_404": 2,
        "coverwatch/alpha/rejected/not_html": 1, "coverwatch/alpha/batch_ids": ["b1"],
        "coverwatch/alpha/articles_handed_off": 3,
        "coverwatch/alpha-two/entries": 99, "coverwatch/entries": 111, "finish_reason": "finished",
    }
    report = report_from_stats("alpha", stats, "time limit")
    assert (report.entries, report.not_modified, report.articles, report.handed_off) == (12, 1, 3, 3)
    assert report.errors == {"article_http_404": 2} and report.rejected == {"not_html": 1}
    assert report.batch_ids == ["b1"] and report.finish_reason == "time limit"
    assert report_from_stats("alpha-two", stats).entries == 99


def test_requests_of_an_ended_run_are_not_sent() -> None:
    source = Source(name="alpha", urls=("https://alpha.example.org/feed.xml",))
    job = CrawlJob(Lease("1-0", source), FeedSpider(source=source), lock=None)
    gate = JobGateMiddleware()
    request = Request("https://alpha.example.org/feed.xml", meta={"coverwatch_job": job})
    gate.process_request(request)  # running: passes
    job.closed = True
    with pytest.raises(IgnoreRequest):
        gate.process_request(request)
    gate.process_request(Request("https://alpha.example.org/robots.txt"))  # not a job's request
