"""The queue of due crawls: a Redis stream read by a consumer group.

Every crawler process, on any machine, is one consumer of the same group, so
Redis hands each entry to exactly one of them and more processes mean more
throughput with nothing of our own in between. An entry stays in its consumer's
pending list until the crawl is finished and acknowledged; a crawler that dies
(``kill -9``, a lost machine) stops refreshing its heartbeat key, and any live
crawler then claims its pending entries (``XCLAIM``). A consumer alive but stuck
past the lease loses its entries the same way (``XAUTOCLAIM`` by idle time).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis
from pydantic import ValidationError

from coverwatch.settings import Settings
from crawlers.sources import Source

log = logging.getLogger(__name__)
GROUP = "crawlers"
HEARTBEAT_SECONDS = 3.0
# A heartbeat a few beats old means the process is gone, not busy: the beat
# runs on the reactor between requests, and no single step blocks it this long.
ALIVE_SECONDS = 15


def consumer_name() -> str:
    """Unique per process start: a restarted crawler does not inherit the
    entries of its previous life; it reclaims them like any other crawler."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Lease:
    """One due crawl handed to this consumer, held until :meth:`CrawlQueue.done`."""

    entry_id: str
    source: Source
    taken_from: str | None = None  # the dead or stuck consumer it was reclaimed from


class CrawlQueue:
    def __init__(self, client: redis.Redis, settings: Settings, consumer: str | None = None) -> None:
        self._client = client
        self._settings = settings
        self.key = settings.redis_key("crawl-queue")
        self.consumer = consumer or consumer_name()
        # Longer than any crawl may run (time limit plus one last request), so an
        # entry idle this long belongs to a crawler that no longer works on it.
        self.lease_ms = int((settings.crawl_time_limit + settings.download_timeout + 60) * 1000)

    def _alive_key(self, consumer: str) -> str:
        return self._settings.redis_key("crawler-alive", consumer)

    def ensure_group(self) -> None:
        try:
            self._client.xgroup_create(self.key, GROUP, id="0", mkstream=True)
        except redis.ResponseError as failure:
            if "BUSYGROUP" not in str(failure):
                raise

    def enqueue(self, sources: Iterable[Source]) -> list[str]:
        self.ensure_group()
        pipe = self._client.pipeline(transaction=False)
        for source in sources:
            pipe.xadd(self.key, {"source": source.model_dump_json()})
        return [entry.decode() if isinstance(entry, bytes) else str(entry) for entry in pipe.execute()]

    def take(self, count: int) -> list[Lease]:
        """Up to ``count`` new entries for this consumer, without waiting."""
        if count < 1:
            return []
        answer = cast(list[Any], self._client.xreadgroup(GROUP, self.consumer, {self.key: ">"}, count=count))
        return [lease for _, entries in answer for lease in self._leases(entries, None)]

    def done(self, entry_id: str) -> None:
        pipe = self._client.pipeline(transaction=False)
        pipe.xack(self.key, GROUP, entry_id)
        pipe.xdel(self.key, entry_id)
        pipe.execute()

    def heartbeat(self) -> None:
        self._client.set(self._alive_key(self.consumer), 1, ex=ALIVE_SECONDS)

    def sign_off(self) -> None:
        """A clean exit: the entries it still holds may be reclaimed at once."""
        self._client.delete(self._alive_key(self.consumer))

    def depth(self) -> int:
        return int(cast(int, self._client.xlen(self.key)))

    def _leases(self, entries: Sequence[Any], taken_from: str | None) -> list[Lease]:
        leases = []
        for entry in entries:
            if not entry or entry[1] is None:  # deleted while pending
                continue
            entry_id, fields = _text(entry[0]), entry[1]
            raw = fields.get(b"source") or fields.get("source")
            try:
                leases.append(Lease(entry_id, Source.model_validate_json(raw or b""), taken_from))
            except ValidationError:
                # Written by a version with other source fields: no crawler can run
                # it, and left pending it would come back after every lease.
                log.error("crawl queue entry %s is not a source; dropped: %r", entry_id, raw)
                self.done(entry_id)
        return leases

    def reclaim(self, limit: int = 100) -> list[Lease]:
        """Entries of consumers whose heartbeat expired, then entries idle past the
        lease (a consumer alive but stuck), now held by this consumer."""
        leases: list[Lease] = []
        summary = cast(dict[str, Any], self._client.xpending(self.key, GROUP))
        for holder in summary.get("consumers") or []:
            name = _text(holder["name"])
            if name == self.consumer or self._client.exists(self._alive_key(name)):
                continue
            pending = cast(list[dict[str, Any]], self._client.xpending_range(
                self.key, GROUP, min="-", max="+", count=limit, consumername=name))
            ids: list[str | bytes | int | memoryview[int]] = [_text(entry["message_id"]) for entry in pending]
            if ids:
                # min_idle_time: when two crawlers reclaim at once, the second finds
                # the entries freshly claimed (idle ~0) and leaves them.
                claimed = cast(list[Any], self._client.xclaim(self.key, GROUP, self.consumer,
                                                              min_idle_time=1000, message_ids=ids))
                leases.extend(self._leases(claimed, name))
            # Deleting a consumer drops what it still holds: only once it holds nothing.
            if not self._client.xpending_range(self.key, GROUP, min="-", max="+", count=1, consumername=name):
                self._client.xgroup_delconsumer(self.key, GROUP, name)
        stuck = cast(list[Any], self._client.xautoclaim(self.key, GROUP, self.consumer, self.lease_ms,
                                                        start_id="0-0", count=limit))
        leases.extend(self._leases(stuck[1], "stuck"))
        return leases


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
