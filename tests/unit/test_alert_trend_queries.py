"""Query bodies of the trend rule types: half-open windows, only alertable originals."""

from __future__ import annotations

from search.queries import rule_window_counts, term_first_sightings, term_last_sightings

RULE_QUERY = {"term": {"actors": "G0007"}}


def test_window_counts_are_half_open_and_span_every_window() -> None:
    body = rule_window_counts(RULE_QUERY, {"current": ("2026-11-20T10:00:00", "2026-11-20T12:00:00"),
                                           "baseline": ("2026-11-19T10:00:00", "2026-11-20T10:00:00")})
    assert body["size"] == 0
    outer = body["query"]["bool"]
    assert outer["filter"][0] == RULE_QUERY
    assert outer["filter"][1] == {"range": {"event_time": {"gt": "2026-11-19T10:00:00", "lte": "2026-11-20T12:00:00"}}}
    assert {"exists": {"field": "duplicate_of"}} in outer["must_not"]
    windows = body["aggs"]["windows"]["filters"]["filters"]
    assert windows["current"] == {"range": {"event_time": {"gt": "2026-11-20T10:00:00", "lte": "2026-11-20T12:00:00"}}}


def test_term_sightings_read_first_and_last_per_value() -> None:
    first = term_first_sightings(RULE_QUERY, "malware", "a", "b")["aggs"]["values"]
    assert first["terms"]["field"] == "malware"
    assert first["aggs"]["first"] == {"min": {"field": "event_time"}}
    last = term_last_sightings(RULE_QUERY, "malware", ["X-Agent", "Zebrocy"], "a", "b")["aggs"]["values"]
    assert last["terms"]["include"] == ["X-Agent", "Zebrocy"] and last["terms"]["size"] == 2


def test_percolation_pages_in_rule_id_order() -> None:
    from search.queries import percolate_articles_page

    first = percolate_articles_page([{"title": "x"}], 500)
    assert first["size"] == 500 and first["sort"] == [{"rule.id": "asc"}] and "search_after" not in first
    assert first["query"]["bool"]["must"][0]["percolate"]["documents"] == [{"title": "x"}]
    assert percolate_articles_page([{"title": "x"}], 500, after="r9")["search_after"] == ["r9"]
