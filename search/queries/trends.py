"""Trend rule types (spike, flatline, new_term): counts in windows and first
and last sightings of a value, without fetching the articles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.queries.rules import _alertable_between


def _alertable_after(query: Mapping[str, Any], start: str, end: str) -> dict[str, Any]:
    # The trend types count in half-open windows (start, end], unlike _alertable_between.
    return {"bool": {
        "filter": [dict(query), {"range": {"event_time": {"gt": start, "lte": end}}}],
        "must_not": [{"exists": {"field": "duplicate_of"}}, {"term": {"on_topic": False}}],
    }}


def rule_window_counts(query: Mapping[str, Any], windows: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """How many alertable articles a rule matches in each named window ``(start, end]``,
    in one request and without fetching any article."""
    starts = [start for start, _ in windows.values()]
    ends = [end for _, end in windows.values()]
    return {
        "size": 0,
        "query": _alertable_after(query, min(starts), max(ends)),
        "aggs": {"windows": {"filters": {"filters": {
            name: {"range": {"event_time": {"gt": start, "lte": end}}} for name, (start, end) in windows.items()}}}},
    }


def rule_match_sightings(query: Mapping[str, Any], since: str, until: str, fields: Sequence[str],
                         size: int = 10000) -> dict[str, Any]:
    """Like rule_match_times, with the article fields a trend type reads (a
    term's values, the outlet's country)."""
    return {
        "size": size,
        "query": _alertable_between(query, since, until),
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        "_source": sorted({"id", "event_time", "story_id", "source", *fields}),
    }


def rule_latest_match(query: Mapping[str, Any], since: str, until: str) -> dict[str, Any]:
    """The newest alertable article a rule matched in ``(since, until]``."""
    return {
        "size": 1,
        "query": _alertable_after(query, since, until),
        "sort": [{"event_time": {"order": "desc"}}, {"id": "desc"}],
        "_source": {"excludes": ["cluster_terms", "cluster_weights", "cluster_features", "cluster_names"]},
    }


def term_first_sightings(query: Mapping[str, Any], field: str, since: str, until: str,
                         size: int = 500) -> dict[str, Any]:
    """Each value of ``field`` among a rule's matches in ``(since, until]``: when
    it was first seen there and by which article."""
    return {
        "size": 0,
        "query": _alertable_after(query, since, until),
        "aggs": {"values": {"terms": {"field": field, "size": size}, "aggs": {
            "first": {"min": {"field": "event_time"}},
            "opener": {"top_hits": {"size": 1, "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
                                    "_source": ["id"]}},
        }}},
    }


def term_last_sightings(query: Mapping[str, Any], field: str, values: Sequence[str], since: str,
                        until: str) -> dict[str, Any]:
    """When each of ``values`` was last seen among a rule's matches in ``(since, until]``."""
    return {
        "size": 0,
        "query": _alertable_after(query, since, until),
        "aggs": {"values": {"terms": {"field": field, "size": max(len(values), 1), "include": list(values)},
                            "aggs": {"last": {"max": {"field": "event_time"}}}}},
    }
