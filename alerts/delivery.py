"""Exactly one email per (rule, subscriber, story) — per article while it has no story.

A delivery is claimed with a ``create`` on a document whose id is derived from
the triple; only the claimant sends. A failed hand-over releases the claim so a
retry can send; a successful one marks the record ``sent``. A crash between the
hand-over and the mark leaves a ``claimed`` record behind, which an operator can
see, rather than risking a second email.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from alerts.email import render_article_alert
from alerts.rules import AlertRule
from alerts.transports import MailTransport, TransportError
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.engine import Conflict, SearchEngine
from search.indexes import DELIVERIES


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    ALREADY_DELIVERED = "already_delivered"


def delivery_id(rule_id: str, subscriber: str, article_id: str) -> str:
    key = f"{rule_id}\x1f{subscriber.casefold()}\x1f{article_id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def deliver_article_alert(
    engine: SearchEngine,
    settings: Settings,
    transport: MailTransport,
    rule: AlertRule,
    article: Article,
    subscriber: str,
) -> DeliveryOutcome:
    # One email per story: later copies and follow-ups of a story already alerted stay quiet.
    identifier = delivery_id(rule.id, subscriber, article.story_id or article.id)
    index = settings.index_name(DELIVERIES)
    message_id = f"<{identifier}@coverwatch.local>"
    try:
        engine.request("PUT", f"/{index}/_create/{identifier}", {
            "rule_id": rule.id, "subscriber": subscriber, "article_id": article.id,
            "status": "claimed", "message_id": message_id, "claimed_at": utc_now().isoformat(),
        }, params={"refresh": "true"})
    except Conflict:
        return DeliveryOutcome.ALREADY_DELIVERED
    message = render_article_alert(rule, article, subscriber, settings, message_id)
    try:
        transport.send(message, identifier)
    except TransportError:
        engine.request("DELETE", f"/{index}/_doc/{identifier}", params={"refresh": "true"})
        raise
    engine.request("POST", f"/{index}/_update/{identifier}",
                   {"doc": {"status": "sent", "sent_at": utc_now().isoformat()}})
    return DeliveryOutcome.SENT
