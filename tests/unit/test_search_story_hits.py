"""Collapsed engine hits to one entry per story, facets to labelled choices."""

from __future__ import annotations

from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy
from web.workspace import (
    MatchedCoverage,
    page_groups,
    read_coverage,
    read_facets,
    read_story_coverage,
    story_hits,
)


def _hit(article_id: str, source: str, story: str | None) -> dict[str, Any]:
    return {"_id": article_id, "_source": {"title": article_id, "source": source, "story_id": story}}


def test_a_story_hit_counts_the_other_outlets_of_its_story() -> None:
    matched = {"s1": MatchedCoverage(3, ("wire", "daily"))}
    [entry] = story_hits([_hit("a", "wire", "s1")],
                         {"s1": {"title": "The story", "outlets": ["wire", "daily", "radio", "blog"]}}, matched)
    assert entry.article.id == "a"
    assert entry.story_title == "The story"
    assert entry.matching_articles == 3
    assert entry.more_outlets == 3  # the story document knows outlets the query did not match
    assert entry.other_outlets == ["daily"]


def test_without_a_story_document_the_matching_outlets_count() -> None:
    [entry] = story_hits([_hit("a", "wire", "s1")], {}, {"s1": MatchedCoverage(2, ("daily", "wire"))})
    assert (entry.more_outlets, entry.matching_articles) == (1, 2)
    [alone] = story_hits([_hit("b", "wire", "s2")], {}, {})
    assert (alone.more_outlets, alone.matching_articles, alone.other_outlets) == (0, 1, [])


def test_articles_outside_any_story_are_spread_back_into_one_entry_each() -> None:
    hits = [_hit("x", "blog", None), _hit("a", "wire", "s1")]
    unclustered = [_hit("y", "radio", None), _hit("x", "blog", None)]
    entries = story_hits(hits, {}, {}, unclustered)
    assert [(e.article.id, e.more_outlets) for e in entries] == [("x", 0), ("y", 0), ("a", 0)]


def _candidate(article_id: str, story: str | None) -> dict[str, Any]:
    return {"fields": {"id": [article_id], **({"story_id": [story]} if story else {})}}


def test_ranked_articles_become_one_entry_per_story_in_their_order() -> None:
    ranked = [_candidate("a", "s1"), _candidate("b", "s1"), _candidate("c", None), _candidate("d", "s2"),
              _candidate("e", None), _candidate("f", "s2"), _candidate("g", "s3")]
    assert page_groups(ranked, 1, 3, exhausted=False) == [("a", "s1"), ("c", None), ("d", "s2")]
    assert page_groups(ranked, 2, 2, exhausted=False) == [("d", "s2"), ("e", None)]
    # Too few stories among the ranked articles for page 3 of 2: more may match, so no answer.
    assert page_groups(ranked, 3, 2, exhausted=False) is None
    assert page_groups(ranked, 3, 2, exhausted=True) == [("g", "s3")]
    assert page_groups([], 1, 20, exhausted=True) == []


def test_story_coverage_buckets_become_counts_and_outlets_by_story() -> None:
    matched = read_story_coverage({"stories": {"buckets": [
        {"key": "s1", "doc_count": 5, "outlets": {"buckets": [{"key": "wire", "doc_count": 4},
                                                              {"key": "daily", "doc_count": 1}]}},
        {"key": "s2", "doc_count": 1, "outlets": {"buckets": [{"key": "blog", "doc_count": 1}]}}]}})
    assert matched == {"s1": MatchedCoverage(5, ("wire", "daily")), "s2": MatchedCoverage(1, ("blog",))}
    assert read_story_coverage({}) == {}


def test_facets_are_labelled_and_a_choice_with_no_articles_left_stays_undoable() -> None:
    taxonomy = Taxonomy([Actor(id="G0010", name="Turla")])
    aggregations = {"facet_actor": {"buckets": [{"key": "G0010", "doc_count": 4}]}, "facet_victim": {"buckets": []}}
    facets = read_facets(aggregations, {"victim": ("DK",)}, taxonomy)
    assert [(f.name, f.title) for f in facets] == [("actor", "Actor"), ("victim", "Victim country")]
    assert [(v.label, v.count, v.selected) for v in facets[0].values] == [("Turla", 4, False)]
    assert [(v.label, v.count, v.selected) for v in facets[1].values] == [("Denmark", 0, True)]


def test_coverage_buckets_become_bars_with_their_interval() -> None:
    bars, interval = read_coverage({"over_time": {"interval": "1d", "buckets": [
        {"key": 1, "key_as_string": "2026-11-01T00:00:00.000Z", "doc_count": 3}]}})
    assert [(bar.start, bar.articles) for bar in bars] == [("2026-11-01T00:00:00.000Z", 3)]
    assert interval == "1d"
