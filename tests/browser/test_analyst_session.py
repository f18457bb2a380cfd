"""A whole analyst session in headless Chromium: sign in, search, narrow by two
facets, turn the search into an alert, open a story's timeline, sign out.
Screenshots go to var/screenshots/session-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alerts.rules import delete_rule, get_rule
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.browser.chromium import chromium_page

pytestmark = pytest.mark.browser

SEARCH_NAME = "Cobblefern in Finland"


@pytest.fixture(scope="module")
def cobblefern(settings: Settings, engine: SearchEngine) -> list[Article]:
    """An invented wiper: a Finnish story over three outlets, a second Finnish report, a Swedish one."""
    from workers.stories import refresh_story_documents

    first = datetime(2026, 7, 14, 7, 0, tzinfo=UTC)
    body = "The Cobblefern wiper erased disks at a grid operator; Sandworm is suspected. " * 4

    def article(slug: str, title: str, source: str, hours: int, story: str, victim: str, language: str) -> Article:
        return Article(url=f"https://{source}.example.net/{slug}", title=title, body=body, source=source,
                       published_at=first + timedelta(hours=hours), story_id=story, actors=["G0034"],
                       victim_countries=[victim], sectors=["energy"], language=language,
                       relevance_band="on_topic", relevance=0.9)

    articles = [
        article("c1", "Cobblefern wiper hits Finnish grid operator", "nordic-wire", 0, "ui-cobble", "FI", "en"),
        article("c2", "Grid operator confirms Cobblefern attack", "baltic-ledger", 5, "ui-cobble", "FI", "en"),
        article("c3", "Cobblefern-pyyhin iski kantaverkkoyhtiöön", "helsinki-uutiset", 9, "ui-cobble", "FI", "fi"),
        article("c4", "Second Finnish utility finds Cobblefern", "packet-review", 60, "ui-cobble-2", "FI", "en"),
        article("c5", "Cobblefern spotted at Swedish port", "nordic-wire", 90, "ui-cobble-se", "SE", "en"),
    ]
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)
    refresh_story_documents(["ui-cobble", "ui-cobble-2", "ui-cobble-se"], engine, settings)
    refresh(engine, settings, STORIES)
    return articles


@pytest.fixture(scope="module")
def fresh_page() -> Iterator[Any]:
    """A browser that has never signed in."""
    with chromium_page() as page:
        yield page



def test_an_analyst_session_from_login_to_logout(
        api_url: str, analyst_login: tuple[str, str], cobblefern: list[Article], fresh_page: Any,
        screenshots: Path, engine: SearchEngine, settings: Settings) -> None:
    page = fresh_page
    name, password = analyst_login
    page.goto(api_url + "/?q=Cobblefern")
    assert page.url.startswith(api_url + "/login?next=")  # nothing without a login
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "not-" + password)
    page.click("form.login button[type=submit]")
    assert "Wrong user name or password" in page.inner_text("p.error")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.screenshot(path=str(screenshots / "session-login.png"))
    page.click("form.login button[type=submit]")
    page.wait_for_selector("#summary")  # back where the analyst was going, signed in
    assert page.inner_text("header .who") == f"{name} · analyst"
    assert page.inner_text("#summary").startswith("5 articles for Cobblefern, in 3 stories")

    page.click("section[data-facet=victim] a[data-value=FI]")
    page.wait_for_selector("section[data-facet=victim] a.chosen")
    assert page.inner_text("#summary").startswith("4 articles")
    page.click("section[data-facet=language] a[data-value=en]")
    page.wait_for_selector("section[data-facet=language] a.chosen")
    assert page.inner_text("#summary").startswith("3 articles")
    assert sorted(page.locator(".chosen-filters a").all_inner_texts()) == ["Finland ✕", "en ✕"]
    page.screenshot(path=str(screenshots / "session-two-facets.png"), full_page=True)

    page.fill("form.save-search input[name=name]", SEARCH_NAME)
    page.click("#alert-me")
    page.wait_for_selector("#made")
    rule_name = f"{name}: {SEARCH_NAME}"
    assert f"Alert rule “{rule_name}” emails {name}@coverwatch.local" in page.inner_text("#made")
    page.screenshot(path=str(screenshots / "session-saved-alert.png"), full_page=True)
    rule = get_rule(engine, settings, rule_name)
    assert rule is not None and rule.type == "match" and rule.subscribers == [f"{name}@coverwatch.local"]
    assert rule.filters.terms()["victim_countries"] == ["FI"] and rule.filters.terms()["languages"] == ["en"]

    page.click(f"li.saved-search a.hit-title >> text={SEARCH_NAME}")  # the saved search opens again
    page.wait_for_selector("#summary")
    assert page.inner_text("#summary").startswith("3 articles")
    assert sorted(page.locator(".chosen-filters a").all_inner_texts()) == ["Finland ✕", "en ✕"]

    page.locator("li.hit", has_text="2 more outlets").locator("a.story-link").click()
    page.wait_for_selector("#timeline")
    assert page.inner_text("#broke-it") == "nordic-wire"
    roles = page.locator("#timeline li")
    assert [roles.nth(i).get_attribute("data-role") for i in range(roles.count())] == [
        "broke it", "followed", "followed"]
    page.screenshot(path=str(screenshots / "session-story-timeline.png"), full_page=True)

    page.click("header form.account button")
    page.wait_for_selector("form.login")
    page.goto(api_url + "/stories")
    assert page.url.startswith(api_url + "/login?next=")  # the session is over
    page.screenshot(path=str(screenshots / "session-signed-out.png"))
    assert delete_rule(engine, settings, rule_name)
