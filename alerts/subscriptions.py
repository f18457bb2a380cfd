"""Subscriptions: one subscriber to one rule, stored in ``<prefix>-subscriptions``,
with a mode (immediate or digest at a local hour), a mute and quiet hours.

An address listed in a rule's ``subscribers`` has an implicit subscription:
confirmed (by whoever wrote the rule), immediate unless the rule says
``mode: digest``. A stored subscription for the same address and rule wins
over it, which is how such an address changes its preferences or leaves one
rule.

Possibly on-topic articles (alerts/bands.py) reach only a stored
subscription that opted in (``include_possible``, off by default), and only
as an entry of its next digest, even when its mode is immediate; an implicit
subscription never opts in. Off-topic articles reach no one.

Quiet hours: an immediate alert that fires in them is not held back for a
burst of emails when they end, nor dropped; it goes into a digest due when
the quiet period ends, together with anything else due for the subscriber
then (one message). Mute drops alerts until the date: a muted subscriber
asked not to hear about that period at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from alerts.bands import Band, band_of
from alerts.digests import DigestEntry, entry_for, queue_entries
from alerts.matching import Notice
from alerts.rule_model import AlertRule, DeliveryMode, Firing
from alerts.schedules import DigestSchedule, QuietHours, muted, next_digest_at, quiet_until, zone
from alerts.subscribers import Subscriber, get_subscribers, may_receive, normalise_address
from alerts.targets import email_address
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from search import queries
from search.documents import get_document
from search.engine import SearchEngine
from search.indexes import RULES, SUBSCRIPTIONS

LIST_LIMIT = 1000


def subscription_id(address: str, rule_id: str) -> str:
    return hashlib.sha1(f"{normalise_address(address)}\x1f{rule_id}".encode()).hexdigest()[:24]


class Subscription(BaseModel):
    model_config = ConfigDict(extra="ignore")

    address: str
    rule_id: str
    rule_name: str
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    digest: DigestSchedule = DigestSchedule()
    mute_until: date | None = None
    quiet_hours: QuietHours | None = None
    # Possibly on-topic matches too, in digests only; asked for per subscription.
    include_possible: bool = False
    active: bool = True
    # True for the subscription a rule's ``subscribers`` list implies; never stored.
    implicit: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    _address = field_validator("address")(normalise_address)

    @property
    def id(self) -> str:
        return subscription_id(self.address, self.rule_id)


def implied_by(rule: AlertRule, address: str) -> Subscription:
    return Subscription(address=address, rule_id=rule.id, rule_name=rule.name, mode=rule.mode, implicit=True)


def save_subscription(engine: SearchEngine, settings: Settings, subscription: Subscription,
                      now: datetime | None = None) -> Subscription:
    now = now or utc_now()
    stored = subscription.model_copy(update={"implicit": False, "updated_at": now,
                                             "created_at": subscription.created_at or now})
    engine.request("PUT", f"/{settings.index_name(SUBSCRIPTIONS)}/_doc/{stored.id}",
                   stored.model_dump(mode="json", exclude={"implicit"}), params={"refresh": "true"})
    return stored


def get_subscription(engine: SearchEngine, settings: Settings, address: str, rule_id: str) -> Subscription | None:
    stored = get_document(engine, settings.index_name(SUBSCRIPTIONS), subscription_id(address, rule_id))
    return Subscription.model_validate(stored) if stored else None


def _search(engine: SearchEngine, settings: Settings, field: str, values: Sequence[str]) -> list[Subscription]:
    if not values:
        return []
    answer = engine.request("POST", f"/{settings.index_name(SUBSCRIPTIONS)}/_search",
                            queries.subscriptions_where(field, values, LIST_LIMIT))
    return [Subscription.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def subscriptions_of(engine: SearchEngine, settings: Settings, address: str,
                     rules: Sequence[AlertRule]) -> list[Subscription]:
    """Every subscription the address has: stored ones, and those the rules imply."""
    wanted = normalise_address(address)
    stored = {s.rule_id: s for s in _search(engine, settings, "address", [wanted])}
    for rule in rules:
        if rule.id not in stored and any(target.casefold() == wanted for target in rule.subscribers):
            stored[rule.id] = implied_by(rule, wanted)
    return sorted(stored.values(), key=lambda subscription: subscription.rule_name.casefold())


class Route(StrEnum):
    NOW = "now"
    DIGEST = "digest"
    DROP = "drop"


@dataclass(frozen=True)
class Routing:
    route: Route
    due_at: datetime | None = None
    reason: str = ""


def band_refusal(band: Band, subscription: Subscription) -> str | None:
    """Why a firing on an article of this band is not for the subscription at
    all, or None when the band is no obstacle."""
    if band is Band.OFF_TOPIC:
        return "off-topic articles never alert"
    if band is Band.POSSIBLE and (subscription.implicit or not subscription.include_possible):
        return "possibly on-topic: the subscription did not opt in"
    return None


def route(subscriber: Subscriber | None, subscription: Subscription, now: datetime,
          listed_by_rule: bool = False, band: Band = Band.ON_TOPIC) -> Routing:
    """What becomes of one firing for one subscription, now. ``listed_by_rule``:
    the rule's own list names the address (so it needs no subscriber record);
    ``band``: the relevance band of the article the firing is about."""
    refusal = band_refusal(band, subscription)
    if refusal is not None:
        return Routing(Route.DROP, reason=refusal)
    if not subscription.active:
        return Routing(Route.DROP, reason="unsubscribed from the rule")
    if not may_receive(subscriber, listed_by_rule=listed_by_rule or subscription.implicit):
        return Routing(Route.DROP, reason=f"subscriber is {subscriber.status if subscriber else 'unknown'}")
    timezone = subscriber.zone if subscriber else zone("UTC")
    if muted(subscription.mute_until, timezone, now):
        return Routing(Route.DROP, reason=f"muted until {subscription.mute_until}")
    if band is Band.POSSIBLE:
        # Below the alerting threshold: worth a line in the digest, never a message of its own.
        return Routing(Route.DIGEST, next_digest_at(subscription.digest, timezone, now), "possibly on-topic")
    if subscription.mode is DeliveryMode.DIGEST:
        return Routing(Route.DIGEST, next_digest_at(subscription.digest, timezone, now), "digest")
    if subscription.quiet_hours is not None:
        quiet_end = quiet_until(subscription.quiet_hours, timezone, now)
        if quiet_end is not None:
            return Routing(Route.DIGEST, quiet_end, "quiet hours")
    return Routing(Route.NOW)


def route_notices(engine: SearchEngine, settings: Settings, notices: Sequence[Notice],
                  now: datetime | None = None) -> list[Notice]:
    """The notices to send now, for every subscription to the firing rules (a
    rule's own list and stored subscriptions alike); digest-bound ones are queued
    as digest entries, dropped ones vanish. Webhook targets pass through as given,
    on on-topic articles only: a hook has no digest to put a possible item in."""
    now = now or utc_now()
    firings = {(n.firing.rule.id, n.firing.group_key, n.firing.article.id): n.firing for n in notices}
    stored = _search(engine, settings, "rule_id", sorted({rule_id for rule_id, _, _ in firings}))
    by_rule: dict[str, dict[str, Subscription]] = {}
    for subscription in stored:
        by_rule.setdefault(subscription.rule_id, {})[subscription.address] = subscription
    outgoing: list[Notice] = [n for n in notices if email_address(n.subscriber) is None
                              and band_of(n.firing.article) is Band.ON_TOPIC]
    plans: list[tuple[Firing, Subscription, str, bool]] = []
    for firing in firings.values():
        explicit = by_rule.get(firing.rule.id, {})
        listed: dict[str, str] = {}
        for target in firing.rule.subscribers:
            address = email_address(target)
            if address is not None:
                listed[address.casefold()] = target
        for address, target in listed.items():
            plans.append((firing, explicit.get(address) or implied_by(firing.rule, address), target, True))
        plans.extend((firing, subscription, subscription.address, False)
                     for address, subscription in explicit.items() if address not in listed)
    records = get_subscribers(engine, settings, [plan[1].address for plan in plans])
    entries: list[DigestEntry] = []
    for firing, subscription, recipient, listed_by_rule in plans:
        decision = route(records.get(subscription.address), subscription, now, listed_by_rule,
                         band_of(firing.article))
        if decision.route is Route.NOW:
            outgoing.append(Notice(firing, recipient))
        elif decision.route is Route.DIGEST and decision.due_at is not None:
            entries.append(entry_for(firing, subscription.address, recipient, decision.due_at, now))
    queue_entries(engine, settings, entries)
    return outgoing


def rule_by_id(engine: SearchEngine, settings: Settings, rule_id: str) -> AlertRule | None:
    from alerts.rules import from_document  # alerts.rules loads every rule type

    stored = get_document(engine, settings.index_name(RULES), rule_id)
    return from_document(stored) if stored else None


def subscribe(engine: SearchEngine, settings: Settings, address: str, rule: AlertRule,
              mode: DeliveryMode = DeliveryMode.IMMEDIATE, digest: DigestSchedule | None = None,
              mute_until: date | None = None, quiet_hours: QuietHours | None = None,
              include_possible: bool = False) -> Subscription:
    """Subscribe (or change the subscription of) an address to a rule. The
    subscriber's status still decides whether anything is sent."""
    existing = get_subscription(engine, settings, address, rule.id)
    subscription = Subscription(address=address, rule_id=rule.id, rule_name=rule.name, mode=mode,
                                digest=digest or DigestSchedule(), mute_until=mute_until, quiet_hours=quiet_hours,
                                include_possible=include_possible,
                                created_at=existing.created_at if existing else None)
    return save_subscription(engine, settings, subscription)


def leave_rule(engine: SearchEngine, settings: Settings, address: str, rule_id: str, rule_name: str) -> Subscription:
    """Stop one rule's mail to the address. Stored as an inactive subscription
    rather than deleted, so it also overrides a rule that lists the address."""
    existing = get_subscription(engine, settings, address, rule_id)
    base = existing or Subscription(address=address, rule_id=rule_id, rule_name=rule_name)
    return save_subscription(engine, settings, base.model_copy(update={"active": False}))


def still_wanted(engine: SearchEngine, settings: Settings, rule: AlertRule, target: str) -> bool:
    """Checked again just before a queued alert is sent: an address that left,
    bounced or left this rule since the alert was routed gets nothing."""
    address = email_address(target)
    if address is None:
        return True  # webhooks have no subscriber record
    stored = get_subscription(engine, settings, address, rule.id)
    if stored is not None and not stored.active:
        return False
    listed = any(address.casefold() == listed.casefold() for listed in rule.subscribers)
    record = get_subscribers(engine, settings, [address]).get(address.casefold())
    return may_receive(record, listed_by_rule=listed or stored is not None)
