"""Exactly one message per (rule, subscriber, story) — per article while it has
no story, per window for the periodic types — and, when the rule has a
realert window, at most one more per window after that.

A delivery is claimed with a ``create`` on a document whose id is derived from
the triple and a generation number; only the claimant sends. Generation 0 is
the first alert; with a realert window a later alert claims the next
generation once the previous one is at least a window old.

A claim is a lease: it names its attempt and the Celery task it belongs to and
holds until ``lease_until``, renewed every few seconds while the message is
being handed over. So:

- a worker killed in the middle of a send leaves a claim whose lease runs out
  within ``LEASE``; the same task, redelivered to another worker (see
  workers/recovery.py), waits for that and takes the claim over with a
  compare-and-set on the document's sequence number, so only one attempt wins;
- another firing of the same delivery (a second worker, the next beat tick)
  finds a live claim and sends nothing;
- a transient refusal (SMTP 4xx, no connection) leaves the claim ``retrying``:
  the task's retry (or any later firing) takes it over, nothing is lost;
- a permanent refusal of the recipient (SMTP 5xx) settles it ``bounced`` and
  marks the subscriber bouncing, which stops every later send to them.

The one window left is between the server's acceptance and the ``sent`` mark
(milliseconds): a crash exactly there sends the message once more after the
lease, with the same Message-ID, which mail clients fold into one.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alerts.channels import Channel, open_channel
from alerts.channels.email import EmailChannel
from alerts.delivery_log import BounceRegistry, DeliveryJournal, LogEntry, Outcome
from alerts.messages import alert_context
from alerts.rule_model import AlertRule, Firing
from alerts.targets import email_address
from alerts.transports import MailTransport, RecipientRejected, TransportError
from alerts.windows import realert_due
from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import Settings
from search import queries
from search.engine import Conflict, NotFound, SearchEngine
from search.indexes import DELIVERIES

# A realert chain longer than this is a rule misconfigured to alert on every
# evaluation for months; stop walking it rather than issue unbounded reads.
MAX_GENERATIONS = 10_000
# Long enough that a busy engine cannot let a live sender's lease lapse between
# renewals, short enough that a dead sender's message goes out again quickly.
LEASE = timedelta(seconds=15)
LEASE_RENEW_SECONDS = 4.0


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    ALREADY_DELIVERED = "already_delivered"
    REALERT_SUPPRESSED = "realert_suppressed"
    BOUNCED = "bounced"
    SKIPPED_BOUNCING = "skipped_bouncing"


class ClaimBusy(TransportError):
    """An earlier attempt of this same task holds a live lease (its worker was
    killed moments ago, or is still sending): try again once it has run out."""

    def __init__(self, message: str, retry_in: float) -> None:
        super().__init__(message)
        self.retry_in = retry_in


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


class Verdict(StrEnum):
    TAKE_OVER = "take_over"
    BUSY = "busy"
    SETTLED = "settled"


def claim_verdict(record: dict[str, Any], task_id: str | None, wall_now: datetime) -> tuple[Verdict, float]:
    """What an attempt may do with a claim it found: take it over (never
    delivered, or its sender is gone), wait (its own earlier attempt may still
    be sending: seconds left on the lease), or leave it (delivered, or someone
    else's live attempt). Claims from before leases existed count as settled."""
    status = record.get("status")
    if status == "retrying":
        return Verdict.TAKE_OVER, 0.0
    if status != "claimed":
        return Verdict.SETTLED, 0.0
    lease_until = parse_timestamp(record.get("lease_until"))
    if lease_until is None:
        return Verdict.SETTLED, 0.0
    if wall_now >= lease_until:
        return Verdict.TAKE_OVER, 0.0
    if task_id is not None and record.get("task_id") == task_id:
        return Verdict.BUSY, (lease_until - wall_now).total_seconds()
    return Verdict.SETTLED, 0.0


@dataclass(frozen=True)
class Claim:
    identifier: str
    attempt: str
    record: dict[str, Any]


def _lease_fields(task_id: str | None) -> dict[str, Any]:
    wall_now = utc_now()
    return {"status": "claimed", "attempt": uuid.uuid4().hex, "task_id": task_id,
            "lease_until": (wall_now + LEASE).isoformat()}


def _read(engine: SearchEngine, index: str, identifier: str) -> tuple[dict[str, Any], str, str] | None:
    try:
        answer = engine.request("GET", f"/{index}/_doc/{identifier}")
    except NotFound:
        return None
    return answer["_source"], str(answer["_seq_no"]), str(answer["_primary_term"])


def _claim(engine: SearchEngine, index: str, record: dict[str, Any], rule_id: str, subscriber: str,
           group_key: str, window: timedelta | None, now: datetime,
           task_id: str | None) -> Claim | DeliveryOutcome:
    """The claim this attempt holds, or why nothing is to be sent."""
    generation = 0
    while generation < MAX_GENERATIONS:
        identifier = delivery_id(rule_id, subscriber, group_key, generation)
        lease = _lease_fields(task_id)
        fresh = {**record, **lease, "generation": generation, "claimed_at": now.isoformat(), "attempts": 1,
                 "message_id": message_id(identifier)}
        try:
            # No refresh: create and get are real-time on the primary, so the claim
            # is exact without one; searches (carry_deliveries) refresh for themselves.
            engine.request("PUT", f"/{index}/_create/{identifier}", fresh)
            return Claim(identifier, lease["attempt"], fresh)
        except Conflict:
            pass
        stored = _read(engine, index, identifier)
        if stored is None:
            continue  # deleted in between: this generation is free again
        previous, seq_no, primary_term = stored
        verdict, retry_in = claim_verdict(previous, task_id, utc_now())
        if verdict is Verdict.TAKE_OVER:
            taken = {**previous, **lease, "attempts": int(previous.get("attempts") or 1) + 1}
            try:
                engine.request("PUT", f"/{index}/_doc/{identifier}", taken,
                               params={"if_seq_no": seq_no, "if_primary_term": primary_term})
                return Claim(identifier, lease["attempt"], taken)
            except Conflict:
                continue  # another attempt took it first: look again
        if verdict is Verdict.BUSY:
            raise ClaimBusy(f"delivery {identifier}: an earlier attempt holds it for {retry_in:.1f} s", retry_in)
        if window is None:
            return DeliveryOutcome.ALREADY_DELIVERED
        claimed_at = parse_timestamp(previous.get("claimed_at"))
        if claimed_at is None or not realert_due(claimed_at, now, window):
            return DeliveryOutcome.REALERT_SUPPRESSED
        generation += 1
    return DeliveryOutcome.REALERT_SUPPRESSED


# One request whatever the outcome: the write only lands while this attempt
# still holds the claim (a lapsed lease may have been taken over meanwhile).
SETTLE_SCRIPT = ("if (ctx._source.attempt == params.attempt) { ctx._source.putAll(params.fields) } "
                 "else { ctx.op = 'noop' }")


def _settle(engine: SearchEngine, index: str, claim: Claim, fields: dict[str, Any]) -> bool:
    """Write the claim's outcome, unless another attempt has taken it over."""
    script = {"lang": "painless", "source": SETTLE_SCRIPT, "params": {"attempt": claim.attempt, "fields": fields}}
    try:
        # A renewal racing the final write must not make it fail (the message is out).
        answer = engine.request("POST", f"/{index}/_update/{claim.identifier}", {"script": script},
                                params={"retry_on_conflict": "5"})
    except NotFound:
        return False
    return answer.get("result") == "updated"


@contextmanager
def _leased(engine: SearchEngine, index: str, claim: Claim) -> Iterator[None]:
    """Keep the claim's lease alive while the message is handed over."""
    stopping = threading.Event()

    def renew() -> None:
        while not stopping.wait(LEASE_RENEW_SECONDS):
            try:
                _settle(engine, index, claim, {"lease_until": (utc_now() + LEASE).isoformat()})
            except Exception:  # noqa: BLE001 - a failed renewal must not kill the send; the lease says the rest
                continue

    keeper = threading.Thread(target=renew, name=f"lease-{claim.identifier[:8]}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stopping.set()
        keeper.join(timeout=5)


@dataclass
class DeliveryHooks:
    """Where a delivery reports (the log) and whom it must not send to."""

    journal: DeliveryJournal | None = None
    bounces: BounceRegistry | None = None
    task_id: str | None = None

    def record(self, outcome: Outcome, firing: Firing, subscriber: str, channel: str,
               identifier: str = "", detail: str = "") -> None:
        if self.journal is not None:
            self.journal.record(LogEntry(outcome.value, firing.rule.id, firing.rule.name, subscriber,
                                         firing.group_key, identifier, channel, firing.article.id, detail))


def deliver_firing(engine: SearchEngine, settings: Settings, firing: Firing, subscriber: str,
                   channel: Channel[Any] | None = None, now: datetime | None = None,
                   hooks: DeliveryHooks | None = None) -> DeliveryOutcome:
    """Claim, render for the subscriber's channel, send under a lease, settle.
    A transient failure is raised (TransportError) after the claim is left for
    a retry; a bounce is settled and returned."""
    hooks = hooks or DeliveryHooks()
    recipient = subscriber
    if channel is None:
        channel, recipient = open_channel(subscriber, settings)
    if hooks.bounces is not None and hooks.bounces.is_bouncing(subscriber):
        hooks.record(Outcome.SKIPPED_BOUNCING, firing, subscriber, channel.kind)
        return DeliveryOutcome.SKIPPED_BOUNCING
    rule, article = firing.rule, firing.article
    index = settings.index_name(DELIVERIES)
    group_key = channel.occasion_key(firing.group_key, article)
    record = {"rule_id": rule.id, "subscriber": subscriber, "article_id": article.id,
              "group_key": group_key, "channel": channel.kind}
    try:
        claimed = _claim(engine, index, record, rule.id, subscriber, group_key,
                         rule.realert_window(), now or utc_now(), hooks.task_id)
    except ClaimBusy as busy:
        hooks.record(Outcome.WAITING_FOR_LEASE, firing, subscriber, channel.kind, detail=str(busy))
        raise
    if isinstance(claimed, DeliveryOutcome):
        hooks.record(Outcome(claimed.value), firing, subscriber, channel.kind)
        return claimed
    context = alert_context(rule.id, rule.name, rule.type, rule.query_string, article, settings,
                            message_id(claimed.identifier), firing.summary, firing.details, rule.email_template)
    try:
        with _leased(engine, index, claimed):
            channel.deliver(context, recipient, claimed.identifier)
    except RecipientRejected as refusal:
        _settle(engine, index, claimed, {"status": "bounced", "error": str(refusal)[:1000],
                                         "sent_at": utc_now().isoformat()})
        if hooks.bounces is not None:
            hooks.bounces.mark_bouncing(subscriber, str(refusal))
        hooks.record(Outcome.BOUNCED, firing, subscriber, channel.kind, claimed.identifier, str(refusal))
        return DeliveryOutcome.BOUNCED
    except TransportError as failure:
        _settle(engine, index, claimed, {"status": "retrying", "error": str(failure)[:1000]})
        hooks.record(Outcome.FAILED_TRANSIENTLY, firing, subscriber, channel.kind, claimed.identifier, str(failure))
        raise
    _settle(engine, index, claimed, {"status": "sent", "sent_at": utc_now().isoformat()})
    hooks.record(Outcome.SENT, firing, subscriber, channel.kind, claimed.identifier)
    return DeliveryOutcome.SENT


def carry_deliveries(engine: SearchEngine, settings: Settings, absorbed: str, kept: str) -> int:
    """A story merged into another brings its deliveries along, so a subscriber
    alerted about the absorbed story is not alerted again about the one that
    kept its coverage. Create-or-skip: running it twice carries nothing twice.
    Returns how many deliveries were carried."""
    index = settings.index_name(DELIVERIES)
    engine.request("POST", f"/{index}/_refresh")  # claims are written without one
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


# Backoff of a transiently refused delivery: 2 s, 4 s, 8 s ... at most 10 minutes
# apart; ten retries cover about 17 minutes, past most greylisting.
RETRY_BASE_SECONDS = 2.0
RETRY_CEILING_SECONDS = 600.0
MAX_DELIVERY_RETRIES = 10


def retry_countdown(retries_so_far: int) -> float:
    """Seconds before the next attempt of a delivery that failed transiently."""
    return min(RETRY_CEILING_SECONDS, RETRY_BASE_SECONDS * float(2 ** max(retries_so_far, 0)))
