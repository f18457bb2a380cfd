"""Query bodies of the analyst workspace: facets, filters, collapse, sorts, stories."""

from __future__ import annotations

from typing import Any

from coverwatch.taxonomy import Actor, Taxonomy
from search.queries import (
    FACET_FIELDS,
    date_range,
    facet_filters,
    story_coverage,
    story_list,
    unclustered_hits,
    workspace_facets,
    workspace_hits,
)
from search.vocabulary import facet_label, normalise_terms

TAXONOMY = Taxonomy([Actor(id="G0007", name="APT28", aliases=("Fancy Bear", "Sofacy"), state="RU")])


def _facet_filter(body: dict[str, Any], facet: str) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = body["aggs"][f"facet_{facet}"]["filter"]["bool"]["filter"]
    return filters


def test_each_facet_is_counted_without_its_own_choice_but_with_the_others() -> None:
    terms = {"source": ["wire-desk", "daily-paper"], "actor": ["G0007"]}
    body = workspace_facets("wiper", terms)
    assert _facet_filter(body, "source") == [{"terms": {"actors": ["G0007"]}}]
    assert _facet_filter(body, "actor") == [{"terms": {"source": ["wire-desk", "daily-paper"]}}]
    assert _facet_filter(body, "sector") == [{"terms": {"actors": ["G0007"]}},
                                             {"terms": {"source": ["wire-desk", "daily-paper"]}}]
    # The total, the story count and the chart see every choice, as the hits do.
    assert body["aggs"]["coverage"]["filter"]["bool"]["filter"] == _facet_filter(body, "sector")
    assert workspace_hits("wiper", terms)["query"]["bool"]["filter"] == _facet_filter(body, "sector")
    assert {name for name in body["aggs"] if name.startswith("facet_")} == {f"facet_{n}" for n in FACET_FIELDS}
    # Counted from every article the query matches, not only the chosen ones.
    assert body["query"]["bool"]["filter"] == [] and body["size"] == 0


def test_one_hit_per_story_newest_first_without_duplicates() -> None:
    body = workspace_hits("", {}, sort="newest", page=3, size=10)
    assert body["collapse"] == {"field": "story_id"}  # no inner hits: story_coverage counts the rest
    assert body["sort"][0] == {"event_time": {"order": "desc"}}
    assert body["from"] == 20 and body["size"] == 10
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["query"]["bool"]["must_not"] == [{"exists": {"field": "duplicate_of"}}]
    assert "body" in body["_source"]["excludes"]
    assert body["highlight"]["fields"].keys() == {"title", "body"}
    copies = workspace_hits("x", {}, include_duplicates=True)
    assert copies["query"]["bool"]["must_not"] == []
    assert copies["sort"][0] == "_score"


def test_the_query_string_runs_over_the_article_fields() -> None:
    for body in (workspace_hits('("Fancy Bear" OR actors:"G0007") defence', {}),
                 workspace_facets('("Fancy Bear" OR actors:"G0007") defence', {})):
        clause = body["query"]["bool"]["must"][0]["query_string"]
        assert clause["query"] == '("Fancy Bear" OR actors:"G0007") defence'
        assert clause["default_operator"] == "AND"
        assert "title^3" in clause["fields"]


def test_date_bounds_include_the_whole_last_day() -> None:
    assert date_range("event_time", "2026-11-01", "2026-11-30") == [
        {"range": {"event_time": {"gte": "2026-11-01", "lte": "2026-11-30||/d"}}}]
    assert date_range("event_time", None, "2026-11-30T12:00:00Z") == [
        {"range": {"event_time": {"lte": "2026-11-30T12:00:00Z"}}}]
    assert date_range("event_time", None, None) == []
    body = workspace_facets("", {}, since="2026-11-01")
    assert body["query"]["bool"]["filter"] == [{"range": {"event_time": {"gte": "2026-11-01"}}}]
    assert workspace_hits("", {}, since="2026-11-01")["query"] == body["query"]


def test_story_coverage_counts_the_page_stories_matching_articles_by_outlet() -> None:
    body = story_coverage("wiper", {"victim": ["DK"]}, ["s2", "s1"], until="2026-11-30", include_duplicates=True)
    assert body["size"] == 0
    assert body["query"]["bool"]["must"] == workspace_hits("wiper", {})["query"]["bool"]["must"]
    assert body["query"]["bool"]["filter"] == [
        {"range": {"event_time": {"lte": "2026-11-30||/d"}}}, {"terms": {"victim_countries": ["DK"]}},
        {"terms": {"story_id": ["s1", "s2"]}}]
    assert body["query"]["bool"]["must_not"] == []
    stories = body["aggs"]["stories"]
    assert stories["terms"] == {"field": "story_id", "size": 2}
    assert stories["aggs"]["outlets"]["terms"]["field"] == "source"


def test_articles_in_no_story_are_fetched_highlighted_in_the_page_order() -> None:
    body = unclustered_hits("wiper", {"sector": ["energy"]}, sort="newest")
    assert body["query"]["bool"]["must_not"] == [{"exists": {"field": "duplicate_of"}},
                                                 {"exists": {"field": "story_id"}}]
    assert body["query"]["bool"]["filter"] == [{"terms": {"sectors": ["energy"]}}]
    assert body["sort"] == workspace_hits("wiper", {}, sort="newest")["sort"]
    assert "highlight" in body and "collapse" not in body


def test_facet_filters_skip_empty_choices() -> None:
    assert facet_filters({"band": ["on_topic"], "claim": []}) == [{"terms": {"relevance_band": ["on_topic"]}}]


def test_story_lists_filter_and_sort_by_outlets() -> None:
    body = story_list("Kazuar", {"actor": ["G0010"], "victim": ["DK"]}, sort="outlets", since="2026-01-01")
    assert body["query"]["bool"]["filter"] == [
        {"terms": {"actors": ["G0010"]}}, {"terms": {"victim_countries": ["DK"]}},
        {"range": {"first_seen": {"gte": "2026-01-01"}}}]
    assert "outlets" in body["sort"][0]["_script"]["script"]["source"]
    assert story_list("", {}, sort="newest")["sort"] == [{"first_seen": {"order": "desc", "missing": "_last"}}]


def test_typed_filter_values_become_the_stored_ones() -> None:
    terms = normalise_terms({"actor": ["Fancy Bear", "sofacy", "Unknown Panda"], "victim": ["Denmark", "pl"],
                             "state": ["Russian"], "source": ["wire-desk", " "], "sector": [],
                             "country": ["Germany"]}, TAXONOMY)
    assert terms == {"actor": ("G0007", "Unknown Panda"), "victim": ("DK", "PL"), "state": ("RU",),
                     "source": ("wire-desk",), "country": ("DE",)}


def test_facet_values_read_as_names() -> None:
    assert facet_label("actor", "G0007", TAXONOMY) == "APT28"
    assert facet_label("victim", "DK") == "Denmark"
    assert facet_label("band", "possible") == "possibly on-topic"
    assert facet_label("source", "wire-desk") == "wire-desk"
