"""Rule types on the real engine: previews over a period, scheduled evaluation,
structured filters in the percolator. An index prefix of their own keeps these
articles out of every other test's counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from alerts.evaluation import due_notices, preview_rule
from alerts.rule_types import parse_rule
from alerts.rules import InvalidRule, delete_rule, register_rule
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, RULES, ensure_indices
from search.queries import percolate_articles

pytestmark = pytest.mark.integration

NOW = utc_now().replace(microsecond=0)
SANDWORM, LAZARUS = "G0034", "G0032"


def _article(slug: str, hours_ago: float, source: str, story: str | None, **fields: Any) -> Article:
    return Article(url=f"https://{source}.example/{slug}", title=f"Grid operators report {slug}",
                   body=f"Sandworm crews disrupted substations ({slug}). " * 4, source=source,
                   published_at=NOW - timedelta(hours=hours_ago), story_id=story, on_topic=True,
                   relevance=0.9, actors=[SANDWORM], attributed_states=["RU"], **fields)


ARTICLES_INDEXED = [
    # One story, three outlets inside an hour, a fourth much later.
    _article("grid-a", 10, "wire-a", "s-grid"),
    _article("grid-b", 9.5, "wire-b", "s-grid"),
    _article("grid-c", 9, "wire-c", "s-grid"),
    _article("grid-d", 1, "wire-d", "s-grid"),
    # A story of its own, one outlet.
    _article("lone", 5, "wire-a", "s-lone"),
    # A story opened by an article the rule does not match, joined later by one it does.
    Article(url="https://wire-b.example/mixed-open", title="Ferry timetables change",
            body="The harbour publishes winter ferry times. " * 4, source="wire-b",
            published_at=NOW - timedelta(hours=7), story_id="s-mixed", on_topic=True),
    _article("mixed-join", 6, "wire-c", "s-mixed"),
    # Never alert: possibly on-topic, a duplicate, too old for a preview.
    _article("possible", 4, "wire-e", "s-possible", relevance_band="possible").model_copy(
        update={"on_topic": False}),
    _article("copy", 8, "wire-f", "s-grid", duplicate_of="elsewhere"),
    _article("ancient", 24 * 40, "wire-a", "s-ancient"),
]


@pytest.fixture(scope="module")
def own(settings: Settings, engine: SearchEngine) -> Iterator[Settings]:
    from console.demo import reset_deployment

    isolated = settings.model_copy(update={"index_prefix": f"{settings.index_prefix}-alertrules"})
    ensure_indices(engine, isolated)
    bulk_index(engine, isolated.index_name(ARTICLES), [a.to_document() for a in ARTICLES_INDEXED], refresh=True)
    yield isolated
    reset_deployment(isolated)


def _rule(**spec: Any) -> Any:
    return parse_rule({"name": "grid", "query_string": "Sandworm", "subscribers": ["desk@example.org"], **spec})


def _titles(firings: list[Any]) -> list[str]:
    return [firing.article.title.removeprefix("Grid operators report ") for firing in firings]


def test_match_preview_is_one_alert_per_story_of_alertable_articles(engine: SearchEngine, own: Settings) -> None:
    firings = preview_rule(engine, own, _rule(), now=NOW)
    assert _titles(firings) == ["grid-a", "mixed-join", "lone"]
    assert [firing.group_key for firing in firings] == ["s-grid", "s-mixed", "s-lone"]


def test_new_story_preview_needs_the_opening_article_to_match(engine: SearchEngine, own: Settings) -> None:
    firings = preview_rule(engine, own, _rule(type="new_story"), now=NOW)
    assert _titles(firings) == ["grid-a", "lone"]


def test_threshold_preview_and_evaluation_share_the_window(engine: SearchEngine, own: Settings) -> None:
    rule = _rule(type="threshold", min_articles=3, window_hours=2)
    firings = preview_rule(engine, own, rule, now=NOW)
    assert [(f.fired_at, f.summary) for f in firings] == [
        (NOW - timedelta(hours=9), "3 matching articles within 2 hours")]
    assert _titles(rule.evaluate(engine, own, NOW - timedelta(hours=8, minutes=30))) == ["grid-c"]
    assert rule.evaluate(engine, own, NOW) == []
    # Six in twelve hours only once grid-d, the last of them, has come.
    wider = _rule(type="threshold", min_articles=6, window_hours=12)
    assert _titles(preview_rule(engine, own, wider, now=NOW)) == ["grid-d"]


def test_story_growth_counts_outlets_within_the_window(engine: SearchEngine, own: Settings) -> None:
    quick = preview_rule(engine, own, _rule(type="story_growth", min_outlets=3, within_hours=1.5), now=NOW)
    assert [(f.group_key, _titles([f])[0]) for f in quick] == [("s-grid", "grid-c")]
    assert "wire-a, wire-b, wire-c" in quick[0].summary
    assert quick[0].details == {"outlets": ["wire-a", "wire-b", "wire-c"], "within_hours": 1.5}
    assert preview_rule(engine, own, _rule(type="story_growth", min_outlets=4, within_hours=2), now=NOW) == []
    slow = preview_rule(engine, own, _rule(type="story_growth", min_outlets=4, within_hours=10), now=NOW)
    assert _titles(slow) == ["grid-d"]


def test_filters_narrow_previews(engine: SearchEngine, own: Settings) -> None:
    by_alias = _rule(query_string="", filters={"actors": "Voodoo Bear", "sources": ["wire-c"]})
    assert _titles(preview_rule(engine, own, by_alias, now=NOW)) == ["grid-c", "mixed-join"]
    elsewhere = _rule(filters={"actors": "Lazarus"})
    assert preview_rule(engine, own, elsewhere, now=NOW) == []


def test_filtered_rule_percolates_only_matching_articles(engine: SearchEngine, own: Settings) -> None:
    rules = [_rule(name="by alias", query_string="",
                   filters={"actors": ["Voodoo Bear"], "victim_countries": "Ukraine"}),
             _rule(name="by claim", filters={"claim_types": ["government"], "min_relevance": 0.8}),
             # Stored without a percolator query: evaluated on a schedule, never matched here.
             _rule(name="periodic", type="story_growth", min_outlets=2, within_hours=3)]
    for rule in rules:
        register_rule(engine, own, rule)
    documents = [
        _article("ua", 1, "wire-a", None, victim_countries=["UA"], claim_type="government"),
        _article("pl", 1, "wire-a", None, victim_countries=["PL"], claim_type="suspected"),
        _article("ua-lazarus", 1, "wire-a", None, victim_countries=["UA"], claim_type="government").model_copy(
            update={"actors": [LAZARUS], "relevance": 0.5}),
    ]
    answer = engine.request("POST", f"/{own.index_name(RULES)}/_search",
                            percolate_articles([d.to_document() for d in documents]))
    slots = {hit["_source"]["rule"]["name"]: hit["fields"]["_percolator_document_slot"]
             for hit in answer["hits"]["hits"]}
    for rule in rules:
        delete_rule(engine, own, rule.name)
    # "by claim" keeps its query string: the Lazarus article still says Sandworm, but its relevance is low.
    assert slots == {"by alias": [0], "by claim": [0]}


def test_due_notices_come_from_periodic_rules_only(engine: SearchEngine, own: Settings) -> None:
    rules = [_rule(name="every match"),
             _rule(name="busy hours", type="threshold", min_articles=3, window_hours=2,
                   subscribers=["a@example.org", "https://hooks.example.com/cw"]),
             _rule(name="switched off", type="threshold", min_articles=1, window_hours=2, enabled=False)]
    for rule in rules:
        register_rule(engine, own, rule)
    try:
        then = NOW - timedelta(hours=8, minutes=30)
        notices = due_notices(engine, own, then)
        assert sorted((n.firing.rule.name, n.subscriber, n.firing.group_key) for n in notices) == [
            ("busy hours", "a@example.org", "threshold"), ("busy hours", "https://hooks.example.com/cw", "threshold")]
        assert all(n.firing.fired_at == then for n in notices)
        assert due_notices(engine, own, NOW) == []
    finally:
        for rule in rules:
            delete_rule(engine, own, rule.name)


def test_periodic_rule_with_a_broken_query_is_refused(engine: SearchEngine, own: Settings) -> None:
    with pytest.raises(InvalidRule, match="does not parse"):
        register_rule(engine, own, _rule(type="story_growth", query_string='"unclosed AND (',
                                         min_outlets=2, within_hours=3))

