"""From percolator hits to firings: which stored rule matched which article,
and whether the rule's type wants to alert on it."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.bands import Band, band_of
from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import RuleSchemaError
from alerts.rules import from_document
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One firing for one subscriber: one message to send."""

    firing: Firing
    subscriber: str


def _matches(hits: Sequence[Mapping[str, Any]],
             articles: Sequence[Article]) -> list[tuple[AlertRule, list[Article]]]:
    """Each enabled rule the percolator returned, with the articles it matched."""
    matched: list[tuple[AlertRule, list[Article]]] = []
    for hit in hits:
        try:
            rule: AlertRule = from_document(dict(hit["_source"]))
        except RuleSchemaError as failure:
            # A rule stored by an older schema must not stop everyone else's alerts.
            log.error("stored rule %s no longer validates: %s", hit.get("_id"), failure)
            continue
        if rule.enabled:
            slots = hit.get("fields", {}).get("_percolator_document_slot", [])
            matched.append((rule, [articles[int(slot)] for slot in slots]))
    return matched


def percolated_firings(hits: Sequence[Mapping[str, Any]], articles: Sequence[Article],
                       opened_story_ids: Collection[str], now: datetime) -> list[Notice]:
    """``opened_story_ids``: stories the batch's articles opened (for new_story).
    Types that read the engine fire through :func:`engine_notices` instead."""
    notices: list[Notice] = []
    for rule, matched in _matches(hits, articles):
        if rule.reads_engine:
            continue
        for article in matched:
            opened = article.story_id is not None and article.story_id in opened_story_ids
            if rule.fires_on(article, opened):
                firing = rule.percolated_firing(article, now)
                notices.extend(Notice(firing, subscriber) for subscriber in rule.subscribers)
    return notices


def engine_notices(engine: SearchEngine, settings: Settings, hits: Sequence[Mapping[str, Any]],
                   articles: Sequence[Article], now: datetime) -> list[Notice]:
    """What the ``reads_engine`` types (attribution, story_development) fire on
    among the percolator's matches: on-topic articles only, each asked against
    what the index already holds (the cluster stage wrote the batch before)."""
    notices: list[Notice] = []
    for rule, matched in _matches(hits, articles):
        if not rule.reads_engine:
            continue
        for article in matched:
            if band_of(article) is not Band.ON_TOPIC:
                continue
            for firing in rule.engine_firings(engine, settings, article, now):
                notices.extend(Notice(firing, subscriber) for subscriber in rule.subscribers)
    return notices
