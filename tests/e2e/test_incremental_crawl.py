"""A multi-outlet site crawled twice: the second run fetches only what is new,
and unchanged feeds answer 304."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.demo_site.server import Page, SiteServer
from crawlers.demo_site.site import build_pages, demo_sources_yaml, load_demo_articles
from tests.e2e.conftest import run_crawl_process
from tests.e2e.pages import article_page

pytestmark = pytest.mark.e2e


def test_second_crawl_fetches_only_new_items(worker: None, tmp_path: Path) -> None:
    with SiteServer({}) as site:
        site.pages.update(build_pages(site.base_url))
        sources = demo_sources_yaml(site.base_url).replace("tags:\n  - demo", "tags:\n  - incremental")
        first = run_crawl_process(sources, tmp_path / "one")
        found_first = sum(report["articles"] for report in first["sources"])
        assert found_first == len(load_demo_articles()[1])  # every demo article, whatever its language

        # One outlet publishes a new story; the others are unchanged.
        feed_path = "/northgate-wire/feed.xml"
        old_feed = site.pages[feed_path].body.decode()
        new_item = (f"<item><title>New</title><link>{site.base_url}/northgate-wire/2026/11/new-story.html</link>"
                    "</item>")
        site.pages[feed_path] = Page(old_feed.replace("<item>", new_item + "<item>", 1).encode(),
                                     "application/rss+xml")
        site.pages["/northgate-wire/2026/11/new-story.html"] = article_page(
            "Wire: new Turla activity reported", ["Officials said the Turla group returned with a new implant "
                                                  "against a foreign ministry, investigators said. " * 4])
        second = run_crawl_process(sources, tmp_path / "two")

    reports = {report["source"]: report for report in second["sources"]}
    assert sum(report["articles"] for report in reports.values()) == 1
    assert reports["northgate-wire"]["articles"] == 1
    assert reports["northgate-wire"]["already_seen"] == 5
    unchanged = [name for name in reports if name != "northgate-wire"]
    assert all(reports[name]["not_modified"] == 1 for name in unchanged), reports
