"""Rules evaluated rather than percolated: the periodic types on each beat
tick, and any rule's preview over a past period, band by band: what alerts
(on-topic), what more reaches digests that opted into possibly on-topic items,
and how many off-topic articles that sources keep match but never alert."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.bands import Band
from alerts.matching import Notice
from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import typed
from alerts.rule_types._coverage import band_counts, band_matches, first_article_ids
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


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True)
class BandPreview:
    """What each relevance band adds to a rule's alerts over a past period."""

    rule_type: str
    on_topic: list[Firing]  # every subscriber gets these
    possible: list[Firing]  # more: entries in the digests of subscriptions that opted in
    possible_matches: int  # possibly on-topic articles the rule matches
    off_topic_kept: int  # off-topic articles sources kept that the rule matches; never alert
    # False for the types run from beat and those that read what a story already
    # carried (attribution, story_development): they count on-topic articles only.
    counts_possible: bool

    def counts(self) -> dict[str, int]:
        return {Band.ON_TOPIC: len(self.on_topic), Band.POSSIBLE: len(self.possible),
                Band.OFF_TOPIC: self.off_topic_kept}

    def summary(self) -> str:
        if self.counts_possible:
            possible = f"{len(self.possible)} more (digest opt-in only)"
        else:
            possible = (f"none ({_plural(self.possible_matches, 'match')}; "
                        f"{self.rule_type} rules count on-topic articles only)")
        return (f"{Band.ON_TOPIC}: {_plural(len(self.on_topic), 'alert')}; {Band.POSSIBLE}: {possible}; "
                f"{Band.OFF_TOPIC} kept by sources: {self.off_topic_kept} (never alert)")


def possible_firings(engine: SearchEngine, settings: Settings, rule: AlertRule, since: datetime,
                     until: datetime, alerted_keys: set[str]) -> list[Firing]:
    """What a percolated rule fires on among possibly on-topic articles, as the
    alert stage would: once per key, and not for a key on-topic coverage already alerted."""
    articles = band_matches(engine, settings, rule, Band.POSSIBLE, since, until)
    openers = first_article_ids(engine, settings, [a.story_id for a in articles if a.story_id])
    firings: dict[str, Firing] = {}
    for article in articles:
        opened = article.story_id is not None and openers.get(article.story_id) == article.id
        if not rule.fires_on(article, opened):
            continue
        firing = rule.percolated_firing(article, article.published_at or article.crawled_at)
        if firing.group_key not in alerted_keys and firing.group_key not in firings:
            firings[firing.group_key] = firing
    return list(firings.values())


def preview_bands(engine: SearchEngine, settings: Settings, rule: AlertRule, days: int = PREVIEW_DAYS,
                  now: datetime | None = None) -> BandPreview:
    """The rule's preview split by relevance band; works for a rule not saved yet."""
    until = now or utc_now()
    since = until - timedelta(days=days)
    chosen = typed(rule)
    alerts = preview_rule(engine, settings, chosen, days, until)
    matched = band_counts(engine, settings, chosen, [Band.POSSIBLE, Band.OFF_TOPIC], since, until)
    possible = (possible_firings(engine, settings, chosen, since, until, {f.group_key for f in alerts})
                if chosen.counts_possible else [])
    return BandPreview(chosen.type, alerts, sorted(possible, key=lambda firing: firing.fired_at),
                       matched[Band.POSSIBLE], matched[Band.OFF_TOPIC], chosen.counts_possible)
