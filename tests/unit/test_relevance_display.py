"""The relevance evidence reaches the analyst ("why is this here?") on the search
and story pages and in alert emails."""

from __future__ import annotations

from email import message_from_bytes

from alerts.email import render_article_alert
from alerts.rules import AlertRule
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.service import SearchHit
from web.templating import TEMPLATES
from web.timelines import StoryTimeline, TimelineEntry
from web.workspace import StoryHit, WorkspacePage

EVIDENCE = ["who: a state or state-linked group (APT29)", "what: espionage (espionage)",
            "how firmly: attributed (vendor claim)", "+1.20 sentences about <espionage>"]
PAGES = TEMPLATES.env  # the pages' own environment, with their filters


def _article(band: str) -> Article:
    return Article(url="https://news.example.com/apt29", title="APT29 phishes diplomats", body="Text.",
                   source="example", relevance=0.42, relevance_band=band, relevance_evidence=EVIDENCE)


def test_alert_email_says_why_the_article_is_here() -> None:
    rule = AlertRule(name="Diplomats", query_string="APT29", subscribers=["analyst@example.org"])
    built = render_article_alert(rule, _article("on_topic"), "analyst@example.org",
                                 Settings(public_url="https://coverwatch.example"), "<why@coverwatch>")
    parts = {part.get_content_type(): part.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
             for part in message_from_bytes(built.as_bytes()).walk() if part.get_content_maintype() == "text"}
    assert "Why is this here? Relevance 0.42" in parts["text/plain"]
    assert "  - who: a state or state-linked group (APT29)" in parts["text/plain"]
    assert "Why is this here?" in parts["text/html"]
    assert "&lt;espionage&gt;" in parts["text/html"]


def test_search_page_marks_possible_articles_and_lists_evidence() -> None:
    hit = SearchHit(id="1", title="APT29 phishes diplomats", url="https://news.example.com/apt29", source="example",
                    published_at=None, lead="Lead.", highlights=[], title_html="", relevance=0.42,
                    relevance_band="possible", relevance_evidence=EVIDENCE)
    result = WorkspacePage(query="APT29", searched="APT29", total=1, groups=1, page=1, size=20, sort="relevance",
                           terms={}, hits=[StoryHit(article=hit)])
    html = PAGES.get_template("search.html").render(
        result=result, query="APT29", error=None, bars=[], chosen=[], params=[], sort="relevance",
        toggle=lambda name, value: "#", replace=lambda name, value: "#")
    assert "possibly on-topic 0.42" in html
    assert "Why is this here?" in html and "who: a state or state-linked group (APT29)" in html
    assert "&lt;espionage&gt;" in html


def test_story_page_lists_evidence_per_article() -> None:
    entry = TimelineEntry(id="1", source="example", title="APT29 phishes diplomats", url="https://news.example.com/a",
                          when=None, role="broke it", after_first="", relevance=0.42, relevance_band="possible",
                          relevance_evidence=EVIDENCE)
    timeline = StoryTimeline(story={"title": "Diplomats phished", "outlets": ["example"]}, entries=[entry],
                             outlets=[], languages={}, countries={}, first_at=None, last_at=None, broke_it=entry)
    html = PAGES.get_template("story.html").render(timeline=timeline)
    assert "possibly on-topic" in html and "(relevance 0.42)" in html
    assert "how firmly: attributed (vendor claim)" in html
    assert "&lt;espionage&gt;" in html
