"""The alerts' own tasks: one delivery per (rule, subscriber, occasion), the
periodic rule types and the due digests. The pipeline's alert stage
(workers/tasks.py) percolates and hands its notices to ``queue_deliveries``."""

from __future__ import annotations

from typing import Any

from alerts.bounces import SubscriberBounces
from alerts.delivery import (
    MAX_DELIVERY_RETRIES,
    ClaimBusy,
    DeliveryHooks,
    DeliveryOutcome,
    carry_deliveries,
    deliver_firing,
    retry_countdown,
)
from alerts.delivery_log import LogEntry, Outcome, RedisDeliveryLog
from alerts.development_state import carry_development_states
from alerts.digests import send_due_digests
from alerts.evaluation import due_notices
from alerts.matching import Notice
from alerts.rule_model import Firing
from alerts.rule_types import parse_rule
from alerts.subscriptions import route_notices, still_wanted
from alerts.transports import TransportError
from coverwatch.metrics import ALERT_LATENCY, seconds_since
from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import get_settings
from search.engine import EngineError, EngineUnavailable
from workers.resources import engine
from workers.runtime.app import app
from workers.runtime.base import RETRYABLE, StageTask
from workers.runtime.resources import count, metric_store, redis_client
from workers.stories import on_story_merged

# A merged story brings its deliveries along, so nobody is alerted twice about one incident,
# and what the development rules had seen of it, so nothing old is a development again.
on_story_merged(carry_deliveries)
on_story_merged(carry_development_states)


class AlertTask(StageTask):
    """Alert tasks ride out the search engine's and the mail transport's outages too."""

    autoretry_for = (*RETRYABLE, EngineUnavailable, EngineError, TransportError)


def queue_deliveries(notices: list[Notice]) -> list[str]:
    """Queue one delivery per notice; returns the delivery task ids."""
    # Stored subscriptions join the rule's own list here; digest, muted and
    # unconfirmed ones leave it (alerts/subscriptions.py).
    notices = route_notices(engine(), get_settings(), notices)
    return [deliver.delay(notice.firing.rule.model_dump(mode="json"),
                          notice.firing.article.model_dump(mode="json"), notice.subscriber,
                          notice.firing.occasion()).id
            for notice in notices]


@app.task(base=AlertTask, bind=True, name="workers.deliver", max_retries=MAX_DELIVERY_RETRIES)
def deliver(self: Any, rule: dict[str, Any], article: dict[str, Any], subscriber: str,
            occasion: dict[str, Any] | None = None) -> str:
    """Send one alert. ``occasion`` is the firing's key, time and summary;
    without it (messages queued before rule types) the article's story is the key.
    A transient refusal retries this task with backoff (the claim waits for it);
    a redelivered message whose killed first attempt still holds the lease
    retries once that lease has run out (alerts/delivery.py)."""
    settings = get_settings()
    typed_rule, alerted = parse_rule(rule), Article.model_validate(article)
    occasion = occasion or {}
    firing = Firing(typed_rule, alerted, occasion.get("group_key") or alerted.story_id or alerted.id,
                    parse_timestamp(occasion.get("fired_at")) or utc_now(), occasion.get("summary", ""),
                    occasion.get("details") or {})
    journal = RedisDeliveryLog(redis_client(), settings)
    if not still_wanted(engine(), settings, typed_rule, subscriber):
        count("alerts.no_longer_wanted")  # unsubscribed, bouncing or left the rule since it was queued
        journal.record(LogEntry(Outcome.NO_LONGER_WANTED.value, typed_rule.id, typed_rule.name, subscriber,
                                firing.group_key, article_id=alerted.id))
        return "no_longer_wanted"
    hooks = DeliveryHooks(journal, SubscriberBounces(redis_client(), engine(), settings), self.request.id)
    try:
        outcome = deliver_firing(engine(), settings, firing, subscriber, hooks=hooks)
    except ClaimBusy as busy:
        raise self.retry(exc=busy, countdown=busy.retry_in + 1, max_retries=self.max_retries + 1) from busy
    except TransportError as failure:
        if self.request.retries >= self.max_retries:
            journal.record(LogEntry(Outcome.FAILED.value, typed_rule.id, typed_rule.name, subscriber,
                                    firing.group_key, article_id=alerted.id, detail=str(failure)))
            raise
        count("alerts.retried")
        raise self.retry(exc=failure, countdown=retry_countdown(self.request.retries)) from failure
    count(f"alerts.{outcome.value}")
    if outcome is DeliveryOutcome.SENT:
        metric_store().observe(ALERT_LATENCY, seconds_since([alerted.crawled_at], utc_now()))
    return outcome.value


@app.task(base=AlertTask, name="workers.evaluate_rules")
def evaluate_rules() -> list[str]:
    """Beat calls this every COVERWATCH_RULE_EVALUATION_SECONDS: the periodic rule
    types (threshold, story_growth) look at the index and queue what they fire on."""
    notices = due_notices(engine(), get_settings(), utc_now())
    count("alerts.periodic_fired", len(notices))
    return queue_deliveries(notices)


@app.task(base=AlertTask, name="workers.send_digests")
def send_digests() -> dict[str, str]:
    """Beat calls this every COVERWATCH_DIGEST_CHECK_SECONDS: each subscriber's due
    digest, once (alerts/digests.py claims it like any delivery)."""
    outcomes = send_due_digests(engine(), get_settings())
    for outcome in outcomes.values():
        count(f"digests.{outcome.split(':')[0]}")
    return outcomes
