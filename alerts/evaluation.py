"""Rules evaluated rather than percolated: the periodic types on each beat
tick, and any rule's preview over a past period."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from alerts.matching import Notice
from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import typed
from alerts.rules import list_rules
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search.engine import EngineError, SearchEngine

log = logging.getLogger(__name__)

PREVIEW_DAYS = 30


def due_notices(engine: SearchEngine, settings: Settings, now: datetime) -> list[Notice]:
    """What every enabled periodic rule fires on now, one notice per subscriber.
    Firing again on the next tick is harmless: delivery claims make it one message."""
    notices: list[Notice] = []
    for rule in list_rules(engine, settings):
        if not (rule.periodic and rule.enabled):
            continue
        try:
            firings = rule.evaluate(engine, settings, now)
        except EngineError as failure:
            if failure.status != 400:
                raise
            log.error("rule %r cannot be evaluated: %s", rule.name, failure)
            continue
        notices.extend(Notice(firing, subscriber) for firing in firings for subscriber in rule.subscribers)
    return notices


def preview_rule(engine: SearchEngine, settings: Settings, rule: AlertRule, days: int = PREVIEW_DAYS,
                 now: datetime | None = None) -> list[Firing]:
    """What the rule would have fired on in the last ``days`` days, oldest first;
    works for a rule not saved yet."""
    until = now or utc_now()
    firings = typed(rule).preview(engine, settings, until - timedelta(days=days), until)
    return sorted(firings, key=lambda firing: firing.fired_at)
