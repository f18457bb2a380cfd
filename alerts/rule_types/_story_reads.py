"""What the development rule types (attribution, story_development) read back
from the article index: a story's on-topic coverage as carriers
(alerts/developments.py), whole or only where it carries watched claims."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from alerts.developments import Carrier, carrier_from_source
from alerts.rule_model import AlertRule
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.queries.developments import (
    claim_carriers_between,
    rule_story_ids,
    story_carriers,
    story_claim_carriers,
)


def _hits(engine: SearchEngine, settings: Settings, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def _by_story(sources: Sequence[Mapping[str, Any]]) -> dict[str, list[Carrier]]:
    stories: dict[str, list[Carrier]] = {}
    for source in sources:
        carrier = carrier_from_source(source)
        if carrier is not None:
            stories.setdefault(str(source.get("story_id") or carrier.article_id), []).append(carrier)
    return stories


def coverage_of(engine: SearchEngine, settings: Settings, story_ids: Sequence[str],
                until: datetime | None = None) -> dict[str, list[Carrier]]:
    """Story id -> its on-topic originals (up to ``until``), oldest first."""
    if not story_ids:
        return {}
    body = story_carriers(sorted(set(story_ids)), until.isoformat() if until else None)
    return _by_story(_hits(engine, settings, body))


def claim_coverage_of(engine: SearchEngine, settings: Settings, story_ids: Sequence[str], kinds: Collection[str],
                      stances: Collection[str], until: datetime | None = None) -> dict[str, list[Carrier]]:
    """Like coverage_of, only the articles carrying a claim of ``kinds`` and ``stances``."""
    if not story_ids:
        return {}
    body = story_claim_carriers(sorted(set(story_ids)), sorted(kinds), sorted(stances),
                                until.isoformat() if until else None)
    return _by_story(_hits(engine, settings, body))


def claim_coverage_between(engine: SearchEngine, settings: Settings, kinds: Collection[str], stances: Collection[str],
                           since: datetime, until: datetime,
                           rule: AlertRule | None = None) -> dict[str, list[Carrier]]:
    """Story id -> its on-topic originals in ``[since, until]`` with such a claim
    (and matched by ``rule``, when given), oldest first."""
    body = claim_carriers_between(sorted(kinds), sorted(stances), since.isoformat(), until.isoformat(),
                                  rule.matching_query() if rule is not None else None)
    return _by_story(_hits(engine, settings, body))


def rule_matches_in(engine: SearchEngine, settings: Settings, rule: AlertRule, story_ids: Sequence[str]) -> set[str]:
    """The ids of the on-topic originals of ``story_ids`` the rule matches, whenever they appeared."""
    if not story_ids:
        return set()
    return {str(source["id"]) for source in _hits(engine, settings, rule_story_ids(rule.matching_query(),
                                                                                  sorted(set(story_ids))))}
