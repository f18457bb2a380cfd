"""Claims as leases: who may take a claim over, who waits, who leaves it; bounces
and the delivery log. Runs on the in-memory store of test_alert_realert."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from alerts.delivery import (
    LEASE,
    ClaimBusy,
    DeliveryHooks,
    DeliveryOutcome,
    Verdict,
    claim_verdict,
    deliver_firing,
    delivery_id,
)
from alerts.delivery_log import LogEntry, entry_matches
from alerts.transports import RecipientRejected
from coverwatch.models import utc_now
from coverwatch.settings import Settings
from tests.unit.test_alert_realert import DocumentStore, Recorder, _firing

SUBSCRIBER = "desk@example.org"


class Journal:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []

    def record(self, entry: LogEntry) -> None:
        self.entries.append(entry)


class Bounces:
    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    def is_bouncing(self, subscriber: str) -> bool:
        return subscriber in self.reasons

    def mark_bouncing(self, subscriber: str, reason: str) -> None:
        self.reasons[subscriber] = reason


class Refusing(Recorder):
    def send(self, payload: str, recipient: str, delivery_id: str) -> None:
        self.sent.append((recipient, payload))
        raise RecipientRejected(recipient, 550, "5.1.1 no such user")


def _claimed(task_id: str | None, lease_left: timedelta, now: datetime | None = None) -> dict[str, Any]:
    return {"status": "claimed", "task_id": task_id, "lease_until": ((now or utc_now()) + lease_left).isoformat()}


def test_claim_verdicts() -> None:
    now = utc_now()
    assert claim_verdict({"status": "retrying"}, None, now) == (Verdict.TAKE_OVER, 0.0)
    assert claim_verdict(_claimed("t1", -timedelta(seconds=1)), "t2", now)[0] is Verdict.TAKE_OVER
    assert claim_verdict(_claimed("t1", timedelta(seconds=9), now), "t1", now) == (Verdict.BUSY, 9.0)
    assert claim_verdict(_claimed("t1", timedelta(seconds=9)), "t2", now)[0] is Verdict.SETTLED
    assert claim_verdict(_claimed(None, timedelta(seconds=9)), None, now)[0] is Verdict.SETTLED
    for settled in ({"status": "sent"}, {"status": "bounced"}, {"status": "inherited"}, {"status": "claimed"}):
        assert claim_verdict(settled, "t1", now)[0] is Verdict.SETTLED


def _plant(store: DocumentStore, record: dict[str, Any]) -> str:
    """A claim as a killed worker left it."""
    firing = _firing(None)
    identifier = delivery_id(firing.rule.id, SUBSCRIBER, firing.group_key)
    key = f"{Settings().index_name('deliveries')}/{identifier}"
    store.documents[key] = {"rule_id": firing.rule.id, "subscriber": SUBSCRIBER, "group_key": firing.group_key,
                            "generation": 0, "claimed_at": utc_now().isoformat(), "attempt": "dead", **record}
    store.sequence[key] = 1
    return key


def test_a_dead_senders_expired_claim_is_taken_over_once() -> None:
    store, channel, journal = DocumentStore(), Recorder(), Journal()
    key = _plant(store, _claimed("task-1", -timedelta(seconds=1)))
    hooks = DeliveryHooks(journal=journal, task_id="task-1")
    assert deliver_firing(store, Settings(), _firing(None), SUBSCRIBER, channel, hooks=hooks) is DeliveryOutcome.SENT
    assert deliver_firing(store, Settings(), _firing(None), SUBSCRIBER, channel,
                          hooks=DeliveryHooks(task_id="task-2")) is DeliveryOutcome.ALREADY_DELIVERED
    assert len(channel.sent) == 1
    assert (store.documents[key]["status"], store.documents[key]["attempts"]) == ("sent", 2)
    assert [entry.outcome for entry in journal.entries] == ["sent"]


def test_the_same_task_waits_for_its_own_live_lease() -> None:
    store, channel = DocumentStore(), Recorder()
    _plant(store, _claimed("task-1", LEASE))
    with pytest.raises(ClaimBusy) as busy:
        deliver_firing(store, Settings(), _firing(None), SUBSCRIBER, channel, hooks=DeliveryHooks(task_id="task-1"))
    assert 0 < busy.value.retry_in <= LEASE.total_seconds()
    # Another firing of the same delivery leaves the live claim alone.
    assert deliver_firing(store, Settings(), _firing(None), SUBSCRIBER, channel,
                          hooks=DeliveryHooks(task_id="task-2")) is DeliveryOutcome.ALREADY_DELIVERED
    assert channel.sent == []


def test_a_bounce_is_settled_marked_and_stops_later_sends() -> None:
    store, journal, bounces = DocumentStore(), Journal(), Bounces()
    hooks = DeliveryHooks(journal=journal, bounces=bounces)
    refusing = Refusing()
    outcome = deliver_firing(store, Settings(), _firing(None), SUBSCRIBER, refusing, hooks=hooks)
    assert outcome is DeliveryOutcome.BOUNCED
    assert "550" in bounces.reasons[SUBSCRIBER]
    assert [doc["status"] for doc in store.documents.values()] == ["bounced"]
    other = _firing(None, path="two")
    other_story = type(other)(other.rule, other.article, "s-other", other.fired_at)
    assert deliver_firing(store, Settings(), other_story, SUBSCRIBER, refusing,
                          hooks=hooks) is DeliveryOutcome.SKIPPED_BOUNCING
    assert len(refusing.sent) == 1
    assert [entry.outcome for entry in journal.entries] == ["bounced", "skipped_bouncing"]
    assert journal.entries[0].detail.startswith("desk@example.org refused with 550")


def test_log_entries_round_trip_and_filter_by_rule_id_or_name() -> None:
    entry = LogEntry("sent", "r123", "Bears", "Desk@Example.org", "s1", "d1", "email", "a1")
    again = LogEntry.from_fields(entry.fields())
    assert again == entry
    assert entry_matches(entry, rule="bears") and entry_matches(entry, rule="r123")
    assert entry_matches(entry, subscriber="desk@example.org") and not entry_matches(entry, rule="Wolves")
    assert entry.as_json()["at"] == entry.at.isoformat()


def test_retry_countdown_doubles_up_to_the_ceiling() -> None:
    from alerts.delivery import MAX_DELIVERY_RETRIES, RETRY_CEILING_SECONDS, retry_countdown

    assert [retry_countdown(n) for n in range(4)] == [2.0, 4.0, 8.0, 16.0]
    assert retry_countdown(30) == RETRY_CEILING_SECONDS
    assert sum(retry_countdown(n) for n in range(MAX_DELIVERY_RETRIES)) > 15 * 60
