"""The analyst workspace in a real headless Chromium: search, narrow by two
facets, open a story and read its timeline. Screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.browser.chromium import chromium_page

pytestmark = pytest.mark.browser

HOSTILE_TITLE = 'Marrowind <img src=x onerror="document.title=\'owned\'"> hits port authority'


@pytest.fixture(scope="module")
def workspace_page(settings: Settings, api_url: str, analyst_login: tuple[str, str]) -> Iterator[Any]:
    with chromium_page(api_url, analyst_login) as page:
        yield page



@pytest.fixture(scope="module")
def marrowind(settings: Settings, engine: SearchEngine) -> list[Article]:
    """Coverage of an invented implant: one story over four outlets and days, two smaller ones."""
    from workers.stories import refresh_story_documents

    first = datetime(2026, 8, 3, 6, 0, tzinfo=UTC)
    body = "The Marrowind implant was found on port authority systems; Venomous Bear is suspected. " * 4

    def article(slug: str, title: str, source: str, hours: int, story: str, **fields: Any) -> Article:
        return Article(url=f"https://{source}.example.net/{slug}", title=title, body=body, source=source,
                       published_at=first + timedelta(hours=hours), story_id=story, actors=["G0010"],
                       relevance_band="on_topic", relevance=0.9, **fields)

    articles = [
        article("m1", "Marrowind implant found at port authority", "harbour-wire", 0, "ui-marrowind",
                victim_countries=["NL"], sectors=["transportation"], claim_type="government", language="en"),
        article("m2", "Port authority confirms Marrowind breach", "lowlands-daily", 6, "ui-marrowind",
                victim_countries=["NL"], sectors=["transportation"], claim_type="vendor", language="en"),
        article("m3", "Havenbedrijf bevestigt Marrowind-inbraak", "kanaal-nieuws", 30, "ui-marrowind",
                victim_countries=["NL"], sectors=["transportation"], language="nl"),
        article("m4", "Marrowind: what we know", "packet-review", 75, "ui-marrowind",
                victim_countries=["NL"], sectors=["transportation"], language="en"),
        article("m5", HOSTILE_TITLE, "harbour-wire", 120, "ui-marrowind-be",
                victim_countries=["BE"], sectors=["transportation"], language="en"),
        article("m6", "Marrowind variant hits Baltic ferry operator", "baltic-ledger", 200, "ui-marrowind-ee",
                victim_countries=["EE"], sectors=["transportation"], language="en"),
    ]
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)
    refresh_story_documents(["ui-marrowind", "ui-marrowind-be", "ui-marrowind-ee"], engine, settings)
    refresh(engine, settings, STORIES)
    return articles


def test_analyst_narrows_by_two_facets_and_reads_a_story_timeline(
        api_url: str, marrowind: list[Article], workspace_page: Any, screenshots: Path) -> None:
    page = workspace_page
    page.goto(api_url + "/")
    page.fill("input[name=q]", "Marrowind Venomous Bear")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#summary")
    assert page.inner_text("#summary").startswith("6 articles for Marrowind Venomous Bear, in 3 stories")
    assert "Venomous Bear = Turla: also searched Turla" in page.inner_text(".alias-note")
    assert page.locator("li.hit").count() == 3
    assert page.locator("#coverage rect").count() > 1
    # The hostile title is text, not an element, and no script ran.
    assert page.locator("li.hit img").count() == 0
    assert page.title() != "owned"
    page.screenshot(path=str(screenshots / "workspace-search.png"), full_page=True)

    page.click("section[data-facet=victim] a[data-value=NL]")
    page.wait_for_selector("section[data-facet=victim] a.chosen")
    assert page.inner_text("#summary").startswith("4 articles")
    page.click("section[data-facet=language] a[data-value=en]")
    page.wait_for_selector("section[data-facet=language] a.chosen")
    assert page.inner_text("#summary").startswith("3 articles")
    assert sorted(page.locator(".chosen-filters a").all_inner_texts()) == ["Netherlands ✕", "en ✕"]
    hits = page.locator("li.hit")
    assert hits.count() == 1
    assert "3 more outlets" in hits.first.inner_text()
    page.screenshot(path=str(screenshots / "workspace-two-facets.png"), full_page=True)

    page.click("li.hit a.story-link")
    page.wait_for_selector("#timeline")
    assert page.inner_text("#broke-it") == "harbour-wire"
    assert "4 articles from 4 outlets" in " ".join(page.inner_text("#story-facts").split())
    entries = page.locator("#timeline li")
    assert [entries.nth(i).get_attribute("data-role") for i in range(entries.count())] == [
        "broke it", "followed", "followed", "followed"]
    assert [text.split("·")[1].split()[:2] for text in page.locator("#timeline .when").all_inner_texts()] == [
        ["harbour-wire", "first"], ["lowlands-daily", "+6"], ["kanaal-nieuws", "+30"], ["packet-review", "+3"]]
    assert "English (3 outlets), Dutch (1 outlet)" in page.inner_text("#story-spread")
    page.screenshot(path=str(screenshots / "workspace-story-timeline.png"), full_page=True)


def test_stories_page_orders_by_outlets_and_links_to_actors(
        api_url: str, marrowind: list[Article], workspace_page: Any, screenshots: Path) -> None:
    page = workspace_page
    page.goto(api_url + "/stories?q=Marrowind&sort=outlets")
    page.wait_for_selector("#stories-summary")
    rows = page.locator("tr.story-row a.story-link").all_inner_texts()
    assert rows[0] == "Marrowind implant found at port authority"
    assert HOSTILE_TITLE in rows
    page.screenshot(path=str(screenshots / "workspace-stories.png"), full_page=True)
    page.click("tr.story-row >> nth=0 >> text=Turla")
    page.wait_for_selector("#actor-name")
    assert page.inner_text("#actor-name") == "Turla"
    assert "Venomous Bear" in page.inner_text("#actor-aliases")
