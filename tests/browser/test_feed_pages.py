"""Atom feeds (issue 23, part 6) in a real headless Chromium: a signed-in
analyst follows "Subscribe (Atom)" from a story page with no feed token yet,
makes one on the account page, comes back to a Subscribe link that carries it,
and opens the feed; then does the same from a saved search.

What "renders" means here: Chromium has no feed preview (it shows an
``application/atom+xml`` document as its text; XSLT, which could dress it as a
page, is deprecated in Chromium and not offered for ``+xml`` types), so the
test checks that the browser shows the feed with its entries' titles and that
its own XML parser (``DOMParser``) reads the shown text as an Atom feed without
a parse error. Screenshots go to var/screenshots/."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.browser.chromium import chromium_page
from tests.fixtures.claim_ledger_story import index_ledger_story
from web.accounts import AccountStore
from web.credentials import Role
from web.saved_searches import SavedSearches
from web.workspace import SearchRequest

pytestmark = pytest.mark.browser

STORY = f"ui-feed-story-{uuid.uuid4().hex[:6]}"
STORY_TITLE = "Officials suspect Chinese hackers in Lanternfall intrusion"  # its first report's
PASSWORD = "a-long-password-for-feeds"
# Read by the browser's own XML parser from the text it shows.
READ_SHOWN_FEED = """() => {
  const doc = new DOMParser().parseFromString(document.body.innerText, "application/xml");
  const atom = "http://www.w3.org/2005/Atom";
  return {errors: doc.getElementsByTagName("parsererror").length, root: doc.documentElement.localName,
          titles: Array.from(doc.getElementsByTagNameNS(atom, "entry"),
                             entry => entry.getElementsByTagNameNS(atom, "title")[0].textContent)};
}"""


@pytest.fixture(scope="module")
def analyst(accounts: AccountStore) -> str:
    name = f"feed-analyst-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, Role.ANALYST, PASSWORD)
    return name


@pytest.fixture(scope="module")
def feed_page(api_url: str, analyst: str) -> Iterator[Any]:
    with chromium_page(api_url, (analyst, PASSWORD), height=1000) as page:
        yield page



@pytest.fixture(scope="module")
def story(settings: Settings, engine: SearchEngine) -> list[Article]:
    return index_ledger_story(engine, settings, STORY, f"ui-feed-{STORY}")


def open_feed(page: Any, link: Any) -> dict[str, Any]:
    """Follow a Subscribe link; what the browser got and what its XML parser reads in what it shows."""
    with page.expect_navigation() as navigation:
        link.click()
    answer = navigation.value
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    return dict(page.evaluate(READ_SHOWN_FEED))


def test_a_story_feed_from_the_story_page_through_a_new_feed_token(
        api_url: str, story: list[Article], feed_page: Any, screenshots: Path) -> None:
    page = feed_page
    page.goto(f"{api_url}/stories/{STORY}")
    subscribe = page.locator("#subscribe-atom")
    assert subscribe.inner_text() == "Subscribe (Atom)"
    assert page.locator("head link[type='application/atom+xml']").count() == 0  # no token, nothing to announce

    subscribe.click()
    page.wait_for_selector("#no-feed-token")
    page.fill("#make-feed-token input[name=label]", "browser test")
    page.click("#make-feed-token button[type=submit]")
    page.wait_for_selector("#made")
    assert "/all.atom" in page.inner_text("#feed-urls")
    assert "browser test" in page.inner_text("#feed-tokens")
    page.screenshot(path=str(screenshots / "feeds-account.png"), full_page=True)
    page.click("#made a")  # back to the story

    assert page.inner_text("#story-title") == STORY_TITLE
    href = page.locator("#subscribe-atom").get_attribute("href")
    assert href.startswith("/feeds/cwf_") and href.endswith(f"/stories/{STORY}.atom")
    assert page.locator("head link[type='application/atom+xml']").get_attribute("href") == href
    shown = open_feed(page, page.locator("#subscribe-atom"))

    assert shown == {"errors": 0, "root": "feed", "titles": [STORY_TITLE]}
    assert STORY_TITLE in page.inner_text("body")
    page.screenshot(path=str(screenshots / "feeds-story-atom.png"), full_page=True)


def test_a_saved_search_feed_from_the_saved_searches_page(
        api_url: str, story: list[Article], feed_page: Any, analyst: str, redis_client: redis.Redis,
        settings: Settings) -> None:
    page = feed_page
    saved = SavedSearches(redis_client, settings).save(analyst, "Lanternfall", SearchRequest(query="Lanternfall"))
    page.goto(f"{api_url}/saved")
    link = page.locator(f"li.saved-search[data-id='{saved.id}'] a.subscribe-atom")
    href = link.get_attribute("href")
    if not href.startswith("/feeds/"):  # this test alone: no token made by the story page's test
        link.click()
        page.click("#make-feed-token button[type=submit]")
        page.wait_for_selector("#made")
        page.goto(f"{api_url}/saved")
    link = page.locator(f"li.saved-search[data-id='{saved.id}'] a.subscribe-atom")
    assert link.get_attribute("href").endswith(f"/saved/{saved.id}.atom")

    shown = open_feed(page, link)

    assert shown["errors"] == 0 and shown["root"] == "feed"
    assert STORY_TITLE in shown["titles"]
