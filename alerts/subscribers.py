"""Subscribers: an email address with a timezone and a status, stored in the
engine beside the rules and deliveries they concern (``<prefix>-subscribers``).
The engine rather than Redis because these are durable records an operator
lists and backs up with the rules, while Redis here is broker and cache and
`reset_deployment` clears it.

Sign-up is double opt-in: a new address is ``pending`` and gets exactly one
kind of message, the confirm email with a signed, expiring link, until it
confirms. ``bouncing`` (a 5xx from the recipient's server, see
:func:`mark_bouncing`) and ``unsubscribed`` stop every send, including to
addresses that are only listed in a rule's ``subscribers``.
"""

from __future__ import annotations

import hashlib
from contextlib import suppress
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator

from alerts.schedules import zone
from alerts.subscriber_mail import confirm_email, goodbye_email
from alerts.targets import email_address
from alerts.transports import MailTransport, transport_for
from coverwatch.models import utc_now
from coverwatch.settings import Settings, get_settings
from search import queries
from search.documents import get_document, get_documents
from search.engine import NotFound, SearchEngine, connect
from search.indexes import SUBSCRIBERS, SUBSCRIPTIONS

# A second sign-up inside this interval sends no second confirm email, so the
# public sign-up form cannot be used to flood someone's mailbox.
CONFIRM_RESEND_AFTER = timedelta(minutes=10)
LIST_LIMIT = 1000


class SubscriberStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    BOUNCING = "bouncing"
    UNSUBSCRIBED = "unsubscribed"




class UnknownSubscriber(LookupError):
    """No subscriber with that address."""


def normalise_address(target: str) -> str:
    address = email_address(target)
    if address is None:
        raise ValueError(f"{target!r} is not an email address")
    # Mailbox names are case-insensitive in practice, and one person must be one record.
    return address.casefold()


def subscriber_id(address: str) -> str:
    return hashlib.sha1(normalise_address(address).encode("utf-8")).hexdigest()[:24]


class Subscriber(BaseModel):
    model_config = ConfigDict(extra="ignore")

    address: str
    timezone: str = "UTC"
    status: SubscriberStatus = SubscriberStatus.PENDING
    status_reason: str = ""
    created_at: datetime
    confirmed_at: datetime | None = None
    status_changed_at: datetime | None = None
    confirm_sent_at: datetime | None = None

    _address = field_validator("address")(normalise_address)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        zone(name)
        return name

    @property
    def id(self) -> str:
        return subscriber_id(self.address)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)


def may_receive(subscriber: Subscriber | None, listed_by_rule: bool) -> bool:
    """Whether anything but a confirm email may go to this address. A stored
    status decides (only ``confirmed`` receives); an address with no record gets
    mail only when a rule lists it, its author having vouched for it."""
    if subscriber is None:
        return listed_by_rule
    return subscriber.status is SubscriberStatus.CONFIRMED


def save_subscriber(engine: SearchEngine, settings: Settings, subscriber: Subscriber) -> None:
    engine.request("PUT", f"/{settings.index_name(SUBSCRIBERS)}/_doc/{subscriber.id}",
                   subscriber.model_dump(mode="json"), params={"refresh": "true"})


def get_subscriber(engine: SearchEngine, settings: Settings, address: str) -> Subscriber | None:
    stored = get_document(engine, settings.index_name(SUBSCRIBERS), subscriber_id(address))
    return Subscriber.model_validate(stored) if stored else None


def get_subscribers(engine: SearchEngine, settings: Settings, addresses: list[str]) -> dict[str, Subscriber]:
    """The stored subscribers among ``addresses``, by normalised address."""
    ids = sorted({subscriber_id(address) for address in addresses})
    if not ids:
        return {}
    found = get_documents(engine, settings.index_name(SUBSCRIBERS), ids)
    return {record.address: record for record in map(Subscriber.model_validate, found.values())}


def list_subscribers(engine: SearchEngine, settings: Settings) -> list[Subscriber]:
    answer = engine.request("POST", f"/{settings.index_name(SUBSCRIBERS)}/_search",
                            queries.subscribers_by_address(LIST_LIMIT))
    return [Subscriber.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def require_subscriber(engine: SearchEngine, settings: Settings, address: str) -> Subscriber:
    subscriber = get_subscriber(engine, settings, address)
    if subscriber is None:
        raise UnknownSubscriber(f"no subscriber {address!r}")
    return subscriber


def _set_status(subscriber: Subscriber, status: SubscriberStatus, reason: str, now: datetime) -> Subscriber:
    changes: dict[str, Any] = {"status": status, "status_reason": reason, "status_changed_at": now}
    if status is SubscriberStatus.CONFIRMED:
        changes["confirmed_at"] = now
    return subscriber.model_copy(update=changes)


def _message_id(address: str, kind: str, at: datetime) -> str:
    digest = hashlib.sha256(f"{address}\x1f{kind}\x1f{at.isoformat()}".encode()).hexdigest()[:32]
    return digest


def sign_up(engine: SearchEngine, settings: Settings, address: str, timezone: str = "UTC",
            transport: MailTransport | None = None, now: datetime | None = None) -> Subscriber:
    """Record a pending subscriber and send the confirm email. A confirmed
    address stays as it is and hears nothing (the form must not tell a stranger
    who is subscribed, nor mail them again)."""
    now, timezone = now or utc_now(), zone(timezone).key  # a clear error before anything is stored
    existing = get_subscriber(engine, settings, address)
    if existing is not None and existing.status in {SubscriberStatus.CONFIRMED, SubscriberStatus.BOUNCING}:
        return existing
    if existing is None and _listed_by_a_rule(engine, settings, address):
        # Already receiving through a rule: a pending record would silence it on a
        # stranger's say-so, and a confirm email would tell them it is subscribed.
        return add_confirmed(engine, settings, address, timezone, "listed by a rule, then signed up", now)
    subscriber = (existing or Subscriber(address=address, timezone=timezone, created_at=now)).model_copy(
        update={"timezone": zone(timezone).key, "status": SubscriberStatus.PENDING, "status_changed_at": now})
    last_sent = subscriber.confirm_sent_at
    if last_sent is None or now - last_sent >= CONFIRM_RESEND_AFTER:
        identifier = _message_id(subscriber.address, "confirm", now)
        (transport or transport_for(settings)).send(
            confirm_email(settings, subscriber.address, f"<{identifier}@coverwatch.local>"), identifier)
        subscriber = subscriber.model_copy(update={"confirm_sent_at": now})
    save_subscriber(engine, settings, subscriber)
    return subscriber


def _listed_by_a_rule(engine: SearchEngine, settings: Settings, address: str) -> bool:
    from alerts.rules import list_rules  # alerts.rules reaches the rule types, which need not load here

    wanted = normalise_address(address)
    return any(wanted == target.casefold() for rule in list_rules(engine, settings) for target in rule.subscribers)


def add_confirmed(engine: SearchEngine, settings: Settings, address: str, timezone: str = "UTC",
                  reason: str = "added by an operator", now: datetime | None = None) -> Subscriber:
    """An operator's addition (CLI, the demo): confirmed without the email round trip."""
    now, timezone = now or utc_now(), zone(timezone).key
    existing = get_subscriber(engine, settings, address)
    base = existing or Subscriber(address=address, timezone=timezone, created_at=now)
    subscriber = _set_status(base.model_copy(update={"timezone": zone(timezone).key}),
                             SubscriberStatus.CONFIRMED, reason, now)
    save_subscriber(engine, settings, subscriber)
    return subscriber


def confirm(engine: SearchEngine, settings: Settings, address: str, now: datetime | None = None) -> Subscriber:
    subscriber = require_subscriber(engine, settings, address)
    if subscriber.status is SubscriberStatus.CONFIRMED:
        return subscriber
    confirmed = _set_status(subscriber, SubscriberStatus.CONFIRMED, "confirmed by the subscriber", now or utc_now())
    save_subscriber(engine, settings, confirmed)
    return confirmed


def unsubscribe_everything(engine: SearchEngine, settings: Settings, address: str, reason: str,
                           transport: MailTransport | None = None, now: datetime | None = None) -> bool:
    """Stop all mail to the address; a goodbye email is the last message, sent
    once. Works for an address only a rule lists (the record is made here).
    Returns False when the address had already left."""
    now = now or utc_now()
    existing = get_subscriber(engine, settings, address)
    if existing is not None and existing.status is SubscriberStatus.UNSUBSCRIBED:
        return False
    # A rule target never signed up: it has been confirmed by whoever wrote the rule.
    base = existing or Subscriber(address=address, created_at=now, status=SubscriberStatus.CONFIRMED)
    leaving = _set_status(base, SubscriberStatus.UNSUBSCRIBED, reason, now)
    save_subscriber(engine, settings, leaving)
    if base.status is not SubscriberStatus.PENDING:  # a pending address never got anything to leave
        identifier = _message_id(leaving.address, "goodbye", now)
        (transport or transport_for(settings)).send(
            goodbye_email(settings, leaving.address, f"<{identifier}@coverwatch.local>"), identifier)
    return True


def mark_bouncing(address: str, reason: str, engine: SearchEngine | None = None,
                  settings: Settings | None = None) -> None:
    """For the SMTP channel: the recipient's server refused the address for good
    (5xx). Every later send to it is dropped until an operator confirms it again."""
    settings = settings or get_settings()
    own_engine = engine is None
    engine = engine or connect(settings.search_url)
    try:
        now = utc_now()
        existing = get_subscriber(engine, settings, address)
        base = existing or Subscriber(address=address, created_at=now, status=SubscriberStatus.CONFIRMED)
        if base.status is not SubscriberStatus.UNSUBSCRIBED:
            save_subscriber(engine, settings, _set_status(base, SubscriberStatus.BOUNCING, reason[:500], now))
    finally:
        if own_engine:
            engine.close()


def remove_subscriber(engine: SearchEngine, settings: Settings, address: str) -> bool:
    """Forget the address and its subscriptions (a rule listing it still mails it)."""
    removed = False
    with suppress(NotFound):
        engine.request("DELETE", f"/{settings.index_name(SUBSCRIBERS)}/_doc/{subscriber_id(address)}",
                       params={"refresh": "true"})
        removed = True
    engine.request("POST", f"/{settings.index_name(SUBSCRIPTIONS)}/_delete_by_query",
                   queries.subscriptions_of_address(normalise_address(address)),
                   params={"refresh": "true", "conflicts": "proceed"})
    return removed
