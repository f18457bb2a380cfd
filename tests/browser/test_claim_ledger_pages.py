"""Who says who did it (issue 22, part 2) in a real headless Chromium: the
story page's ledger (the one-line state, rows by claimant kind, the first
article's link) and the actor page's ledger, first government attribution and
naming crosswalk. Screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.browser.chromium import chromium_page
from tests.fixtures.claim_ledger_story import ACTOR_ID, SUMMARY, index_ledger_story

pytestmark = pytest.mark.browser

STORY = "ui-ledger-story"


@pytest.fixture(scope="module")
def ledger_page(api_url: str, analyst_login: tuple[str, str]) -> Iterator[Any]:
    with chromium_page(api_url, analyst_login, height=1000) as page:
        yield page



@pytest.fixture(scope="module")
def story(settings: Settings, engine: SearchEngine) -> list[Article]:
    return index_ledger_story(engine, settings, STORY, "ui")


def test_the_story_page_says_who_says_who_did_it(api_url: str, story: list[Article], ledger_page: Any,
                                                 screenshots: Path) -> None:
    page = ledger_page
    page.goto(f"{api_url}/stories/{STORY}")
    page.wait_for_selector("#claims-ledger")
    assert page.inner_text("#claims-ledger h2") == "Who says who did it"
    assert " ".join(page.inner_text("#claims-summary").split()) == SUMMARY
    kinds = page.locator("#claims-table tbody.claim-group")
    assert [kinds.nth(i).get_attribute("data-kind") for i in range(kinds.count())] == [
        "government", "unnamed_officials", "accused", "vendor"]
    governments = page.locator("tbody[data-kind=government] tr.claim")
    assert [text.strip() for text in governments.locator("td.claimant").all_inner_texts()] == [
        "Japan's defence minister", "the US State Department", "the UK National Cyber Security Centre"]
    us = governments.nth(1)
    cells = [cell.strip() for cell in us.locator("td").all_inner_texts()]
    assert cells[1:4] == ["US", "attributes", "APT31 CN"]
    assert cells[5:] == ["3", "2025-03-12"]
    assert "US and UK name APT31 behind Lanternfall · ledger-wire" in cells[4]
    assert us.locator("td.subject a").get_attribute("href") == f"/actors/{ACTOR_ID}"
    page.screenshot(path=str(screenshots / "claims-ledger-story.png"), full_page=True)

    # The first article's link leads to its entry in the timeline.
    us.locator("td.first-article a").click()
    page.wait_for_url(f"**/stories/{STORY}#article-{story[1].id}")
    assert page.locator(f"#article-{story[1].id}").is_visible()


def test_the_actor_page_shows_its_ledger_first_attribution_and_crosswalk(
        api_url: str, story: list[Article], ledger_page: Any, screenshots: Path) -> None:
    page = ledger_page
    page.goto(f"{api_url}/stories/{STORY}")
    page.wait_for_selector("#claims-table")
    page.locator("tbody[data-kind=vendor] td.subject a").click()  # Microsoft's "Violet Typhoon"
    page.wait_for_selector("#actor-name")
    assert page.inner_text("#actor-name") == "ZIRCONIUM"
    first = " ".join(page.inner_text("#first-government-attribution").split())
    assert first.startswith("2025-03-12 · the US State Department (US) named it APT31")
    assert "the US State Department" in page.inner_text("#claims-table")
    names = {tuple(cell.strip() for cell in row.locator("td").all_inner_texts()[:3])
             for row in page.locator("#naming-crosswalk tr.name-use").all()}
    assert {("Microsoft", "vendor", "Violet Typhoon"), ("the US State Department", "government", "APT31")} <= names
    used = page.locator("#taxonomy-aliases .alias.used").all_inner_texts()
    assert {"APT31", "Violet Typhoon"} <= set(used)
    assert "Judgment Panda" in page.inner_text("#taxonomy-aliases")
    page.screenshot(path=str(screenshots / "claims-ledger-actor.png"), full_page=True)
