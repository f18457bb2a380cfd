"""The analyst search page in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.browser.chromium import chromium_page

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def browser_page(api_url: str, analyst_login: tuple[str, str]) -> Iterator[Any]:
    with chromium_page(api_url, analyst_login) as page:
        yield page


def test_analyst_searches_and_sees_highlighted_hits(settings: Settings, engine: SearchEngine,
                                                    api_url: str, browser_page: Any) -> None:
    articles = [
        Article(url="https://ui.example.com/kazuar", title="Kazuar loader found on ministry servers",
                body="Responders found the Kazuar loader on two file servers. " * 6,
                source="packet-signal"),
        Article(url="https://ui.example.com/budget", title="Council passes budget",
                body="The council approved the budget for buses and parks. " * 6,
                source="civic-tribune"),
    ]
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles],
               refresh=True)
    page = browser_page
    page.goto(api_url + "/")
    page.fill("input[name=q]", "Kazuar")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("#summary")
    assert page.inner_text("#summary").startswith("1 article for")
    hits = page.locator("li.hit")
    assert hits.count() == 1
    assert "Kazuar loader found on ministry servers" in hits.first.inner_text()
    assert page.locator("li.hit mark").first.inner_text().lower() == "kazuar"


def test_broken_query_shows_an_error_not_a_crash(api_url: str, engine: SearchEngine,
                                                  browser_page: Any) -> None:
    page = browser_page
    page.goto(api_url + "/?q=" + "title:(unclosed")
    assert "cannot parse the query" in page.inner_text("p.error")


def test_analyst_follows_a_story_across_outlets(settings: Settings, engine: SearchEngine, api_url: str,
                                                browser_page: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from workers.stories import refresh_story_documents

    first = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
    body = "Responders found the Florinx implant on the ministry's archive servers, officials said. " * 4
    coverage = [
        Article(url="https://wire.example.com/florinx", title="Florinx implant found at ministry", body=body,
                source="wire-desk", published_at=first, story_id="ui-story-1"),
        Article(url="https://daily.example.com/florinx", title="Ministry confirms Florinx intrusion",
                body=body.replace("officials", "the ministry"), source="daily-paper",
                published_at=first + timedelta(hours=5), story_id="ui-story-1"),
        Article(url="https://reprint.example.com/florinx", title="Florinx implant found at ministry", body=body,
                source="reprint-desk", published_at=first + timedelta(hours=9), story_id="ui-story-1"),
    ]
    coverage[2].duplicate_of = coverage[0].id
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in coverage], refresh=True)
    refresh_story_documents(["ui-story-1"], engine, settings)
    engine.request("POST", f"/{settings.index_name('stories')}/_refresh")

    page = browser_page
    page.goto(api_url + "/?q=Florinx")
    page.click("li.hit a.story-link")
    page.wait_for_selector("#story-title")
    assert page.inner_text("#story-title") == "Florinx implant found at ministry"
    assert page.inner_text("#broke-it") == "wire-desk"
    assert "3 articles from 3 outlets" in " ".join(page.inner_text("#story-facts").split())
    outlets = [text.split("·")[1].split()[0] for text in page.locator("ol.lineage li .when").all_inner_texts()]
    assert outlets == ["wire-desk", "daily-paper", "reprint-desk"]
    assert "reprint" in page.locator("ol.lineage li").nth(2).inner_text()
