"""The development rule types (``attribution``, ``story_development``): what a
story (or, for an actor, the whole index) already carried, read as the pure
logic in alerts/developments.py needs it. Only on-topic originals count: a copy
adds nothing, and a possibly on-topic article is one subscriber's opt-in, not a
development of the story for everyone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.queries.stories import STORY_ORDER

# What alerts/developments.py reads of an article: its outlet, time, entities and claims.
CARRIER_FIELDS = ["id", "source", "event_time", "published_at", "crawled_at", "story_id", "actors",
                  "attributed_states", "victim_countries", "claims"]


def _on_topic_originals(*conditions: Mapping[str, Any]) -> dict[str, Any]:
    return {"bool": {
        "filter": [dict(condition) for condition in conditions],
        "must_not": [{"exists": {"field": "duplicate_of"}}, {"term": {"on_topic": False}},
                     {"terms": {"relevance_band": ["possible", "off_topic"]}}],
    }}


def _claims_with(kinds: Sequence[str], stances: Sequence[str]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"terms": {"claims.claimant_kind": list(kinds)}}] if kinds else []
    parts += [{"terms": {"claims.stance": list(stances)}}] if stances else []
    inner: dict[str, Any] = {"bool": {"filter": parts}} if parts else {"match_all": {}}
    return {"nested": {"path": "claims", "query": inner}}


def story_carriers(story_ids: Sequence[str], until: str | None = None, size: int = 2000) -> dict[str, Any]:
    """The on-topic originals of ``story_ids`` (up to ``until``, inclusive), oldest first."""
    conditions: list[dict[str, Any]] = [{"terms": {"story_id": list(story_ids)}}]
    if until is not None:
        conditions.append({"range": {"event_time": {"lte": until}}})
    return {"size": size, "query": _on_topic_originals(*conditions), "sort": STORY_ORDER, "_source": CARRIER_FIELDS}


def story_claim_carriers(story_ids: Sequence[str], kinds: Sequence[str], stances: Sequence[str],
                         until: str | None = None, size: int = 2000) -> dict[str, Any]:
    """Like story_carriers, only the articles with a claim of one of ``kinds`` and ``stances``."""
    body = story_carriers(story_ids, until, size)
    body["query"]["bool"]["filter"].append(_claims_with(kinds, stances))
    return body


def claim_carriers_between(kinds: Sequence[str], stances: Sequence[str], since: str, until: str,
                           query: Mapping[str, Any] | None = None, size: int = 5000) -> dict[str, Any]:
    """Every on-topic original in ``[since, until]`` with a claim of one of
    ``kinds`` and ``stances`` (and matching ``query``, a rule's, when given), in
    any story, oldest first: an actor's first attribution within a lookback, a
    preview's candidates."""
    conditions = [{"range": {"event_time": {"gte": since, "lte": until}}}, _claims_with(kinds, stances)]
    if query is not None:
        conditions.append(dict(query))
    return {"size": size, "sort": STORY_ORDER, "_source": CARRIER_FIELDS, "query": _on_topic_originals(*conditions)}


def rule_story_ids(query: Mapping[str, Any], story_ids: Sequence[str], size: int = 10000) -> dict[str, Any]:
    """Which on-topic originals of ``story_ids`` a rule matches (a preview replays
    the percolator on them): ids only."""
    return {"size": size, "sort": STORY_ORDER, "_source": ["id"],
            "query": _on_topic_originals(query, {"terms": {"story_id": list(story_ids)}})}


def development_states_of(story_id: str, size: int = 1000) -> dict[str, Any]:
    """Every development rule's state of one story (alerts/development_state.py), by rule."""
    return {"size": size, "query": {"term": {"story_id": story_id}}, "sort": [{"rule_id": "asc"}]}
