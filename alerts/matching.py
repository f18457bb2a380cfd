"""From percolator hits to firings: which stored rule matched which article,
and whether the rule's type wants to alert on it."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import RuleSchemaError
from alerts.rules import from_document
from coverwatch.models import Article

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One firing for one subscriber: one message to send."""

    firing: Firing
    subscriber: str


def percolated_firings(hits: Sequence[Mapping[str, Any]], articles: Sequence[Article],
                       opened_story_ids: Collection[str], now: datetime) -> list[Notice]:
    """``opened_story_ids``: stories the batch's articles opened (for new_story)."""
    notices: list[Notice] = []
    for hit in hits:
        try:
            rule: AlertRule = from_document(dict(hit["_source"]))
        except RuleSchemaError as failure:
            # A rule stored by an older schema must not stop everyone else's alerts.
            log.error("stored rule %s no longer validates: %s", hit.get("_id"), failure)
            continue
        for slot in hit.get("fields", {}).get("_percolator_document_slot", []):
            article = articles[int(slot)]
            opened = article.story_id is not None and article.story_id in opened_story_ids
            if rule.enabled and rule.fires_on(article, opened):
                firing = rule.percolated_firing(article, now)
                notices.extend(Notice(firing, subscriber) for subscriber in rule.subscribers)
    return notices
