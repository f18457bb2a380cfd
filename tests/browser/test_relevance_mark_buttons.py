"""An analyst marks an article in a real headless Chromium: "Espionage" on a
possibly on-topic search hit, "Not espionage" on the story timeline, then
clears it; each time the page comes back showing the mark and the band."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index, get_document
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.browser.chromium import chromium_page

pytestmark = pytest.mark.browser



@pytest.fixture(scope="module")
def analyst_page(api_url: str, analyst_login: tuple[str, str]) -> Iterator[Any]:
    with chromium_page(api_url, analyst_login) as page:
        yield page


@pytest.fixture
def doubtful(settings: Settings, engine: SearchEngine) -> Article:
    """One article the model was unsure of, under a word no other test uses."""
    token = f"Tallowfinch{uuid.uuid4().hex[:8]}"
    article = Article(url=f"https://doubt-wire.example/{token}", source="doubt-wire",
                      title=f"{token} intrusion at a shipping ministry",
                      body=f"Officials found the {token} implant on ministry servers last week. " * 4,
                      published_at=utc_now() - timedelta(hours=2), story_id=f"story-{token}",
                      relevance=0.3, relevance_band="possible", on_topic=False)
    bulk_index(engine, settings.index_name(ARTICLES), [article.to_document()], refresh=True)
    return article


def test_analyst_marks_an_article_and_sees_the_mark(api_url: str, analyst_page: Any, doubtful: Article,
                                                    analyst_login: tuple[str, str], engine: SearchEngine,
                                                    settings: Settings) -> None:
    page, analyst = analyst_page, analyst_login[0]
    today = utc_now().date().isoformat()
    hit = f"#article-{doubtful.id}"
    page.goto(api_url + "/?q=" + doubtful.title.split()[0])
    page.wait_for_selector(hit)
    assert page.inner_text(f"{hit} .band").startswith("possibly on-topic")

    page.click(f"{hit} button.mark-espionage")
    page.wait_for_selector(f"{hit} .mark-label")
    assert page.inner_text(f"{hit} .mark-label") == f"marked espionage by {analyst}, {today}"
    assert page.inner_text(f"{hit} .band").startswith("on-topic")
    assert page.locator(f"{hit} button.mark-espionage").count() == 0  # marked already: only the others
    stored = get_document(engine, settings.index_name(ARTICLES), doubtful.id)
    assert stored is not None and (stored["relevance_band"], stored["relevance_marked_by"]) == ("on_topic", analyst)
    _screenshot(page, settings, "relevance-mark-search.png")

    page.click(f"{hit} a.story-link")
    page.wait_for_selector("#timeline")
    page.click(f"{hit} button.mark-not-espionage")
    page.wait_for_selector(f"{hit} .mark-label-not-espionage")
    assert page.inner_text(f"{hit} .mark-label") == f"marked not espionage by {analyst}, {today}"
    _screenshot(page, settings, "relevance-mark-story.png")

    page.click(f"{hit} button.mark-clear")
    page.wait_for_selector(f"{hit} button.mark-espionage")
    assert page.locator(f"{hit} .mark-label").count() == 0
    assert "possibly on-topic" in page.inner_text(f"{hit} .when")


def _screenshot(page: Any, settings: Settings, name: str) -> None:
    folder: Path = settings.var_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)
