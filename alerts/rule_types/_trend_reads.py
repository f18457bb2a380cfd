"""What the trend rule types (spike, flatline, new_term) read back from the
article index; the arithmetic on it is in alerts/trend_windows.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.rule_model import AlertRule
from alerts.trend_windows import Sighting
from coverwatch.models import Article, parse_timestamp
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.queries import (
    rule_latest_match,
    rule_match_sightings,
    rule_window_counts,
    term_first_sightings,
    term_last_sightings,
)


def _search(engine: SearchEngine, settings: Settings, body: Mapping[str, Any]) -> dict[str, Any]:
    return engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)


def window_counts(engine: SearchEngine, settings: Settings, rule: AlertRule,
                  windows: Mapping[str, tuple[datetime, datetime]]) -> dict[str, int]:
    """Matches per named window ``(start, end]``."""
    answer = _search(engine, settings, rule_window_counts(
        rule.matching_query(), {name: (start.isoformat(), end.isoformat()) for name, (start, end) in windows.items()}))
    buckets = answer["aggregations"]["windows"]["buckets"]
    return {name: int(buckets[name]["doc_count"]) for name in windows}


def match_times(engine: SearchEngine, settings: Settings, rule: AlertRule, since: datetime,
                until: datetime) -> list[datetime]:
    """When each match in ``[since, until)`` appeared, oldest first."""
    answer = _search(engine, settings, rule_match_sightings(rule.matching_query(), since.isoformat(),
                                                            until.isoformat(), ()))
    moments = (parse_timestamp(hit["_source"].get("event_time")) for hit in answer["hits"]["hits"])
    return sorted(moment for moment in moments if moment is not None)


def sightings(engine: SearchEngine, settings: Settings, rule: AlertRule, field: str, since: datetime,
              until: datetime) -> list[Sighting]:
    """Every value of ``field`` on every match in ``[since, until)``, oldest first."""
    answer = _search(engine, settings, rule_match_sightings(rule.matching_query(), since.isoformat(),
                                                            until.isoformat(), (field,)))
    found = []
    for hit in answer["hits"]["hits"]:
        source = hit["_source"]
        at = parse_timestamp(source.get("event_time"))
        values = source.get(field) or []
        for value in [values] if isinstance(values, str) else values:
            if at is not None:
                found.append(Sighting(at, str(value), str(source["id"])))
    return found


def latest_match(engine: SearchEngine, settings: Settings, rule: AlertRule, since: datetime,
                 until: datetime) -> Article | None:
    hits = _search(engine, settings, rule_latest_match(rule.matching_query(), since.isoformat(),
                                                       until.isoformat()))["hits"]["hits"]
    return Article.model_validate(hits[0]["_source"]) if hits else None


def first_sightings(engine: SearchEngine, settings: Settings, rule: AlertRule, field: str, since: datetime,
                    until: datetime) -> list[Sighting]:
    """Each value's first match in ``(since, until]``."""
    answer = _search(engine, settings, term_first_sightings(rule.matching_query(), field, since.isoformat(),
                                                            until.isoformat()))
    found = []
    for bucket in answer["aggregations"]["values"]["buckets"]:
        at = parse_timestamp(bucket["first"].get("value_as_string"))
        opener = bucket["opener"]["hits"]["hits"]
        if at is not None and opener:
            found.append(Sighting(at, str(bucket["key"]), str(opener[0]["_source"]["id"])))
    return sorted(found, key=lambda sighting: (sighting.at, sighting.value))


def last_sightings(engine: SearchEngine, settings: Settings, rule: AlertRule, field: str,
                   values: Sequence[str], since: datetime, until: datetime) -> dict[str, datetime]:
    if not values:
        return {}
    answer = _search(engine, settings, term_last_sightings(rule.matching_query(), field, values,
                                                           since.isoformat(), until.isoformat()))
    seen = {}
    for bucket in answer["aggregations"]["values"]["buckets"]:
        at = parse_timestamp(bucket["last"].get("value_as_string"))
        if at is not None:
            seen[str(bucket["key"])] = at
    return seen
