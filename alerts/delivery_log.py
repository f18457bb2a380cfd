"""The delivery log: one entry per attempt to send an alert, with its outcome
(sent, failed transiently, bounced, skipped...) and time, for `coverwatch
deliveries` and GET /api/v1/deliveries. Kept in a capped Redis stream: entry
ids are millisecond times, so "since" is a range read, and the newest entries
are read first. The delivery records in the engine stay the exactly-once
claims; this is what happened to them, attempt by attempt.

Also here: the bounce list, the targets a server refused for good; sends to
them stop. Email subscribers are marked in the subscriber records as well
(alerts/subscribers.py) when that module is present.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, cast

import redis

from coverwatch.models import parse_timestamp, utc_now
from coverwatch.settings import Settings

# About a month of a busy deployment's attempts; older entries are trimmed.
LOG_LENGTH = 200_000
READ_BATCH = 500


class Outcome(StrEnum):
    SENT = "sent"
    FAILED_TRANSIENTLY = "failed_transiently"  # 4xx or no connection: retried with backoff
    FAILED = "failed"  # out of retries; a dead letter holds it
    BOUNCED = "bounced"  # 5xx for the recipient: marked bouncing
    SKIPPED_BOUNCING = "skipped_bouncing"
    NO_LONGER_WANTED = "no_longer_wanted"  # unsubscribed, bouncing or off the rule since it was queued
    ALREADY_DELIVERED = "already_delivered"  # another attempt sent (or is sending) it
    REALERT_SUPPRESSED = "realert_suppressed"
    WAITING_FOR_LEASE = "waiting_for_lease"  # an earlier attempt of the same message may still be sending


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class LogEntry:
    outcome: str
    rule_id: str
    rule_name: str
    subscriber: str
    group_key: str
    delivery_id: str = ""
    channel: str = ""
    article_id: str = ""
    detail: str = ""
    worker: str = field(default_factory=this_worker)
    at: datetime = field(default_factory=utc_now)

    def fields(self) -> dict[str, str]:
        values = {name: str(value) for name, value in asdict(self).items() if name != "at"}
        return {**values, "at": self.at.isoformat()}

    @classmethod
    def from_fields(cls, values: Mapping[str, str]) -> LogEntry:
        known = {name: values.get(name, "") for name in cls.__dataclass_fields__ if name != "at"}
        return cls(**known, at=parse_timestamp(values.get("at")) or datetime.fromtimestamp(0, UTC))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


class DeliveryJournal(Protocol):
    def record(self, entry: LogEntry) -> None: ...


class BounceRegistry(Protocol):
    def is_bouncing(self, subscriber: str) -> bool: ...

    def mark_bouncing(self, subscriber: str, reason: str) -> None: ...


def entry_matches(entry: LogEntry, rule: str | None = None, subscriber: str | None = None) -> bool:
    """``rule`` by id or by name, either case; ``subscriber`` ignoring case."""
    if rule and rule.casefold() not in {entry.rule_id.casefold(), entry.rule_name.casefold()}:
        return False
    return not subscriber or subscriber.casefold() == entry.subscriber.casefold()


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw


class RedisDeliveryLog:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.key = settings.redis_key("delivery-log")

    def record(self, entry: LogEntry) -> None:
        self.client.xadd(self.key, cast(Any, entry.fields()), maxlen=LOG_LENGTH, approximate=True)

    def _newest_first(self, since: datetime | None) -> Iterator[LogEntry]:
        lowest = f"{int(since.timestamp() * 1000)}-0" if since else "-"
        highest = "+"
        while True:
            page = cast(list[tuple[bytes, dict[bytes, bytes]]],
                        self.client.xrevrange(self.key, max=highest, min=lowest, count=READ_BATCH))
            for _, values in page:
                yield LogEntry.from_fields({_text(name): _text(value) for name, value in values.items()})
            if len(page) < READ_BATCH:
                return
            last = _text(page[-1][0])
            highest = f"({last}"  # exclusive: the next page starts below the last entry read

    def read(self, since: datetime | None = None, rule: str | None = None, subscriber: str | None = None,
             limit: int = 100) -> list[LogEntry]:
        """Newest first."""
        found: list[LogEntry] = []
        for entry in self._newest_first(since):
            if entry_matches(entry, rule, subscriber):
                found.append(entry)
                if len(found) >= limit:
                    break
        return found


class RedisBounceList:
    """Targets refused for good, with why and when."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.key = settings.redis_key("bouncing")

    def is_bouncing(self, subscriber: str) -> bool:
        return bool(self.client.hexists(self.key, subscriber.casefold()))

    def mark_bouncing(self, subscriber: str, reason: str) -> None:
        self.client.hset(self.key, subscriber.casefold(),
                         json.dumps({"reason": reason[:500], "at": utc_now().isoformat()}))

    def clear(self, subscriber: str) -> None:
        self.client.hdel(self.key, subscriber.casefold())
