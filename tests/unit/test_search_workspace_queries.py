"""Query bodies of the analyst workspace: facets, filters, collapse, sorts, stories."""

from __future__ import annotations

from coverwatch.taxonomy import Actor, Taxonomy
from search.queries import (
    FACET_FIELDS,
    date_range,
    facet_filters,
    page_articles,
    story_coverage,
    story_list,
    unclustered_hits,
    workspace_candidates,
    workspace_counts,
    workspace_hits,
)
from search.vocabulary import facet_label, normalise_terms

TAXONOMY = Taxonomy([Actor(id="G0007", name="APT28", aliases=("Fancy Bear", "Sofacy"), state="RU")])


def test_each_chosen_facet_is_counted_without_its_own_choice_but_with_the_others() -> None:
    terms = {"source": ["wire-desk", "daily-paper"], "actor": ["G0007"], "claim": []}
    coverage, others, actor, source = workspace_counts("wiper", terms)
    both = [{"terms": {"actors": ["G0007"]}}, {"terms": {"source": ["wire-desk", "daily-paper"]}}]
    # The total, the story count, the chart and the facets without a choice see every choice, as the hits do.
    assert coverage["query"]["bool"]["filter"] == both == workspace_hits("wiper", terms)["query"]["bool"]["filter"]
    assert others["query"] == coverage["query"]
    assert coverage["track_total_hits"] is True and coverage["size"] == 0 == others["size"]
    assert coverage["aggs"].keys() == {"stories", "unclustered", "over_time"}
    assert others["aggs"].keys() == {f"facet_{name}" for name in FACET_FIELDS if name not in ("actor", "source")}
    assert others["aggs"]["facet_claim"] == {"terms": {"field": "claim_type", "size": 12}}
    assert actor["query"]["bool"]["filter"] == [{"terms": {"source": ["wire-desk", "daily-paper"]}}]
    assert actor["aggs"] == {"facet_actor": {"terms": {"field": "actors", "size": 12}}}
    assert source["query"]["bool"]["filter"] == [{"terms": {"actors": ["G0007"]}}]
    assert source["aggs"].keys() == {"facet_source"}
    assert [body["query"]["bool"]["must"] for body in (coverage, actor, source)] == [
        workspace_hits("wiper", {})["query"]["bool"]["must"]] * 3


def test_without_choices_two_searches_count_everything() -> None:
    coverage, facets = workspace_counts("", {"sector": []}, include_duplicates=True)
    assert facets["aggs"].keys() == {f"facet_{n}" for n in FACET_FIELDS}
    assert coverage["query"]["bool"] == {"must": [{"match_all": {}}], "filter": [], "must_not": []}


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


def test_candidates_are_ranked_like_the_page_and_read_from_doc_values_only() -> None:
    body = workspace_candidates("wiper", {"victim": ["DK"]}, sort="newest", size=60, since="2026-11-01")
    hits = workspace_hits("wiper", {"victim": ["DK"]}, sort="newest", since="2026-11-01")
    assert body["query"] == hits["query"] and body["sort"] == hits["sort"]
    assert body["size"] == 60 and body["track_total_hits"] is False
    assert body["stored_fields"] == "_none_" and body["docvalue_fields"] == ["id", "story_id"]
    assert "collapse" not in body and "highlight" not in body


def test_the_page_articles_are_fetched_by_id_and_highlighted_for_the_query() -> None:
    body = page_articles("wiper", ["b", "a"])
    assert body["size"] == 2
    assert body["query"] == {"ids": {"values": ["b", "a"]}}
    assert body["highlight"]["highlight_query"] == workspace_hits("wiper", {})["query"]["bool"]["must"][0]
    assert body["highlight"]["fields"].keys() == {"title", "body"}
    assert "highlight_query" not in page_articles("", ["a"])["highlight"]


def test_the_query_string_runs_over_the_article_fields() -> None:
    for body in (workspace_hits('("Fancy Bear" OR actors:"G0007") defence', {}),
                 workspace_counts('("Fancy Bear" OR actors:"G0007") defence', {})[0]):
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
    body = workspace_counts("", {}, since="2026-11-01")[0]
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
