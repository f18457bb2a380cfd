"""Hostile article HTML stays text on every page: titles, leads, bodies, highlights, links."""

from __future__ import annotations

from typing import Any

import pytest

from search.queries import MARK_END, MARK_START
from search.service import marked_html, search_hit
from web.page_parts import chart_bars, replaced_link, toggle_link, web_href
from web.templating import TEMPLATES
from web.timelines import build_timeline
from web.workspace import CoverageBar, StoryHit, WorkspacePage

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_highlights_escape_the_article_and_keep_only_the_engine_marks() -> None:
    fragment = f"before {MARK_START}Turla{MARK_END} <b onclick=x>&amp; <mark>fake</mark>"
    assert marked_html(fragment) == ("before <mark>Turla</mark> &lt;b onclick=x&gt;&amp;amp; "
                                     "&lt;mark&gt;fake&lt;/mark&gt;")


def test_unbalanced_markers_still_give_balanced_html() -> None:
    assert marked_html(f"{MARK_START}a{MARK_START}b") == "<mark>ab</mark>"
    assert marked_html(f"a{MARK_END}b") == "ab"


def _hostile_hit() -> dict[str, Any]:
    return {"_id": "a1", "_source": {"title": HOSTILE, "lead": HOSTILE, "source": "evil<i>desk</i>",
                                     "url": "javascript:alert(1)", "story_id": "s1"},
            "highlight": {"body": [f"{MARK_START}Turla{MARK_END} {HOSTILE}"],
                          "title": [f"{HOSTILE} {MARK_START}Turla{MARK_END}"]}}


def _render_search(hits: list[StoryHit]) -> str:
    page = WorkspacePage(query=HOSTILE, searched="", total=1, groups=1, page=1, size=20, sort="relevance",
                         terms={}, hits=hits, alias_notes=[HOSTILE], coverage=[CoverageBar("2026-11-01", 2)])
    return TEMPLATES.env.get_template("search.html").render(
        result=page, query=HOSTILE, params=[("q", HOSTILE)], sort="relevance", since=None, until=None,
        error=None, chosen=[], bars=chart_bars(page.coverage),
        toggle=lambda name, value: toggle_link("/", [], name, value),
        replace=lambda name, value: replaced_link("/", [], name, value))


def test_the_search_page_shows_hostile_titles_highlights_and_notes_as_text() -> None:
    html = _render_search([StoryHit(search_hit(_hostile_hit()), more_outlets=2)])
    assert "<script>" not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>Turla</mark>" in html
    assert 'href="javascript:' not in html
    assert "evil&lt;i&gt;desk" in html
    assert "2 more outlets" in html


def test_a_hit_without_highlights_escapes_its_lead() -> None:
    raw = _hostile_hit()
    del raw["highlight"]
    html = _render_search([StoryHit(search_hit(raw))])
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 2  # title and lead


def test_the_story_page_escapes_titles_outlets_and_claimants() -> None:
    articles = [{"id": "a1", "title": HOSTILE, "source": "<b>wire</b>", "url": "javascript:alert(2)",
                 "published_at": "2026-11-01T08:00:00Z", "claimant": HOSTILE, "claim_type": "government",
                 "relevance_evidence": [HOSTILE]}]
    timeline = build_timeline({"id": "s1", "title": HOSTILE, "actor_names": [HOSTILE]}, articles)
    html = TEMPLATES.env.get_template("story.html").render(timeline=timeline)
    assert "<script>" not in html
    assert "<b>wire</b>" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(("url", "href"), [
    ("https://news.example.com/a?b=1", "https://news.example.com/a?b=1"),
    ("HTTP://example.com", "HTTP://example.com"),
    ("javascript:alert(1)", "#"),
    (" JavaScript:alert(1)", "#"),
    ("data:text/html,<script>", "#"),
    ("//evil.example.com", "#"),
])
def test_only_web_links_are_clickable(url: str, href: str) -> None:
    assert web_href(url) == href


def test_facet_links_add_then_remove_a_choice_and_restart_at_page_one() -> None:
    params = [("q", "Turla"), ("page", "3"), ("source", "wire-desk")]
    assert toggle_link("/", params, "victim", "DK") == "/?q=Turla&source=wire-desk&victim=DK"
    assert toggle_link("/", params, "source", "wire-desk") == "/?q=Turla"
    assert replaced_link("/", params, "sort", "newest") == "/?q=Turla&page=3&source=wire-desk&sort=newest"
    assert toggle_link("/", [("source", "a&b")], "source", "a&b") == "/"


def test_coverage_bars_scale_to_the_busiest_and_keep_empty_periods() -> None:
    bars = chart_bars([CoverageBar("2026-11-01T00:00:00Z", 4), CoverageBar("2026-11-02T00:00:00Z", 0),
                       CoverageBar("2026-11-03T00:00:00Z", 1)], width=300, height=80)
    assert [bar.height for bar in bars] == [80, 0, 20]
    assert [bar.x for bar in bars] == [0, 100, 200]
    assert bars[1].y == 80
    assert bars[2].label == "2026-11-03 00:00: 1 article"
    assert chart_bars([]) == []
