"""Exactly one message per (rule, subscriber, story) — per article while it has
no story, per window for threshold rules — and, when the rule has a realert
window, at most one more per window after that.

A delivery is claimed with a ``create`` on a document whose id is derived from
the triple and a generation number; only the claimant sends. Generation 0 is
the first alert. With a realert window, a later alert claims the next
generation once the previous generation's claim is at least a window old, so
two workers racing for it still send one message. A failed hand-over releases
the claim so a retry can send; a successful one marks the record ``sent``. A
crash between the hand-over and the mark leaves a ``claimed`` record behind,
which an operator can see, rather than risking a second message.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alerts.channels import Channel, EmailChannel, open_channel
from alerts.messages import alert_context
from alerts.rule_model import AlertRule, Firing
from alerts.targets import email_address
from alerts.transports import MailTransport, TransportError
from alerts.windows import realert_due
from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import Settings
from search import queries
from search.documents import get_document
from search.engine import Conflict, SearchEngine
from search.indexes import DELIVERIES

# A realert chain longer than this is a rule misconfigured to alert on every
# evaluation for months; stop walking it rather than issue unbounded reads.
MAX_GENERATIONS = 10_000


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    ALREADY_DELIVERED = "already_delivered"
    REALERT_SUPPRESSED = "realert_suppressed"


def delivery_id(rule_id: str, subscriber: str, group_key: str, generation: int = 0) -> str:
    # Generation 0 keeps the id deliveries had before realert existed. Addresses
    # ignore case; a webhook URL's path may not.
    identity = subscriber.casefold() if email_address(subscriber) else subscriber
    key = f"{rule_id}\x1f{identity}\x1f{group_key}"
    if generation:
        key += f"\x1f{generation}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def message_id(identifier: str) -> str:
    return f"<{identifier}@coverwatch.local>"


def _claim(engine: SearchEngine, index: str, record: dict[str, Any], rule_id: str, subscriber: str,
           group_key: str, window: timedelta | None, now: datetime) -> str | DeliveryOutcome:
    """The claimed delivery id, or why nothing is to be sent."""
    generation = 0
    while generation < MAX_GENERATIONS:
        identifier = delivery_id(rule_id, subscriber, group_key, generation)
        try:
            engine.request("PUT", f"/{index}/_create/{identifier}",
                           {**record, "generation": generation, "claimed_at": now.isoformat(),
                            "message_id": message_id(identifier)},
                           params={"refresh": "true"})
            return identifier
        except Conflict:
            if window is None:
                return DeliveryOutcome.ALREADY_DELIVERED
        previous = get_document(engine, index, identifier)
        if previous is None:
            continue  # released by a failed send in between: this generation is free again
        claimed_at = parse_timestamp(previous.get("claimed_at"))
        if claimed_at is None or not realert_due(claimed_at, now, window):
            return DeliveryOutcome.REALERT_SUPPRESSED
        generation += 1
    return DeliveryOutcome.REALERT_SUPPRESSED


def deliver_firing(engine: SearchEngine, settings: Settings, firing: Firing, subscriber: str,
                   channel: Channel[Any] | None = None, now: datetime | None = None) -> DeliveryOutcome:
    """Claim, render for the subscriber's channel, send, mark sent."""
    recipient = subscriber
    if channel is None:
        channel, recipient = open_channel(subscriber, settings)
    rule, article = firing.rule, firing.article
    index = settings.index_name(DELIVERIES)
    record = {"rule_id": rule.id, "subscriber": subscriber, "article_id": article.id,
              "group_key": firing.group_key, "channel": channel.kind, "status": "claimed"}
    claimed = _claim(engine, index, record, rule.id, subscriber, firing.group_key,
                     rule.realert_window(), now or utc_now())
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    context = alert_context(rule.id, rule.name, rule.type, rule.query_string, article, settings,
                            message_id(claimed), firing.summary, firing.details)
    try:
        channel.deliver(context, recipient, claimed)
    except TransportError:
        engine.request("DELETE", f"/{index}/_doc/{claimed}", params={"refresh": "true"})
        raise
    engine.request("POST", f"/{index}/_update/{claimed}",
                   {"doc": {"status": "sent", "sent_at": utc_now().isoformat()}})
    return DeliveryOutcome.SENT


def carry_deliveries(engine: SearchEngine, settings: Settings, absorbed: str, kept: str) -> int:
    """A story merged into another brings its deliveries along, so a subscriber
    alerted about the absorbed story is not alerted again about the one that
    kept its coverage. Create-or-skip: running it twice carries nothing twice.
    Returns how many deliveries were carried."""
    index = settings.index_name(DELIVERIES)
    answer = engine.request("POST", f"/{index}/_search", queries.deliveries_about(absorbed))
    carried = 0
    for hit in answer["hits"]["hits"]:
        record = hit["_source"]
        identifier = delivery_id(record["rule_id"], record["subscriber"], kept, int(record.get("generation") or 0))
        try:
            engine.request("PUT", f"/{index}/_create/{identifier}",
                           {**record, "group_key": kept, "status": "inherited", "inherited_from": absorbed},
                           params={"refresh": "true"})
            carried += 1
        except Conflict:
            continue  # the subscriber already had one about the kept story
    return carried


def deliver_article_alert(
    engine: SearchEngine,
    settings: Settings,
    transport: MailTransport,
    rule: AlertRule,
    article: Article,
    subscriber: str,
) -> DeliveryOutcome:
    """A match rule's email on one article. One email per story: later copies
    and follow-ups of a story already alerted stay quiet (unless realert says)."""
    firing = Firing(rule, article, article.story_id or article.id, utc_now())
    return deliver_firing(engine, settings, firing, subscriber, EmailChannel(transport, settings))
