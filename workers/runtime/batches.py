"""Batches between stages live in Redis, one compressed key each; tasks pass the
key along the chain instead of the articles.

Celery keeps a task's return value in its result store and publishes it to
whoever waits, and the next message carries it again: with whole batches as
return values that is three copies of about half a megabyte per stage, kept for
as long as results are kept. Here each batch is written once, read once by the
next stage, and deleted once that stage has stored its own output.

A message can arrive twice (a worker killed after it handed its output on but
before it acknowledged), and later than any linger: the broker's visibility
timeout is an hour, and a fleet may be down longer. So the input is let go only
in ``hand_on``, in the same transaction that records what the stage handed on:
a repeat either finds that record and is a no-op, or finds its input still
there and runs again (the stage died before recording; its output never went on).

Flags that travel with the articles rather than with one stage's arguments
(``keep_off_topic``: the source keeps off-topic articles) are kept beside the
batch and carried to its output, so a dead letter from any stage knows them.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any, TypeGuard, TypeVar, cast

import redis

from coverwatch.settings import Settings

log = logging.getLogger(__name__)

BatchRef = str
# Long enough for a backlog behind a stopped worker fleet to survive a weekend.
BATCH_TTL_SECONDS = 7 * 24 * 3600
# A batch let go with ``drop`` stays this long for a late reader; the stages let
# their input go in ``hand_on`` instead, together with the record of their output.
DROPPED_BATCH_LINGER_SECONDS = 900
# Longer than the broker's visibility timeout, the latest a repeat can arrive.
HANDED_ON_TTL_SECONDS = 24 * 3600


# How long a batch operation waits for Redis to come back before it gives up.
BROKER_OUTAGE_SECONDS = 60.0

Answer = TypeVar("Answer")


def through_outage(operation: Callable[[], Answer], what: str, seconds: float = BROKER_OUTAGE_SECONDS) -> Answer:
    """Run a Redis operation that is safe to repeat, again and again while Redis
    refuses connections (a restart), for up to ``seconds``. Outside a task's body
    a connection error is not retried by Celery: the message is acknowledged and
    its batch is lost."""
    deadline = time.monotonic() + seconds
    pause = 0.2
    while True:
        try:
            return operation()
        except (redis.ConnectionError, redis.TimeoutError) as failure:
            if time.monotonic() + pause > deadline:
                raise
            log.warning("Redis unavailable (%s), %s again in %.1fs: %s", what, what, pause, failure)
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


class BatchMissing(LookupError):
    """The batch a message refers to is gone (expired, or already consumed)."""


class BatchStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._prefix = settings.redis_key("batch")

    def is_ref(self, value: object) -> TypeGuard[BatchRef]:
        return isinstance(value, str) and value.startswith(self._prefix + ":")

    def put(self, batch: list[dict[str, Any]], keep_off_topic: bool = False) -> BatchRef:
        return self.put_json(json.dumps(batch, separators=(",", ":")).encode("utf-8"), keep_off_topic)

    def put_json(self, array: bytes, keep_off_topic: bool = False) -> BatchRef:
        """Store a batch already written as a JSON array (the stages write their
        articles with pydantic's serialiser, which skips the dicts in between)."""
        ref = f"{self._prefix}:{uuid.uuid4().hex}"
        payload = zlib.compress(array, 1)
        with self._client.pipeline(transaction=True) as writes:
            writes.set(ref, payload, ex=BATCH_TTL_SECONDS)
            if keep_off_topic:
                writes.set(self._keeps_off_topic_key(ref), 1, ex=BATCH_TTL_SECONDS)
            writes.execute()
        return ref

    def keeps_off_topic(self, ref: BatchRef) -> bool:
        """Whether the articles of ``ref`` come from a source that keeps off-topic ones."""
        return bool(self._client.exists(self._keeps_off_topic_key(ref)))

    def get(self, ref: BatchRef) -> list[dict[str, Any]]:
        batch = json.loads(self.get_json(ref))
        if not isinstance(batch, list):
            raise TypeError(f"batch {ref} holds {type(batch).__name__}, not a list of records")
        return batch

    def get_json(self, ref: BatchRef) -> bytes:
        """The batch as the JSON array it was stored as."""
        if not isinstance(ref, str):
            raise TypeError(f"a batch is passed by its key, not as {type(ref).__name__}")
        raw = cast(bytes | None, self._client.get(ref))
        if raw is None:
            raise BatchMissing(f"batch {ref} is gone (expired or already consumed)")
        return zlib.decompress(raw)

    def drop(self, ref: BatchRef) -> None:
        """``ref`` is no longer needed: it expires soon (``forget`` deletes it now)."""
        self._client.expire(ref, DROPPED_BATCH_LINGER_SECONDS)
        self._client.expire(self._keeps_off_topic_key(ref), DROPPED_BATCH_LINGER_SECONDS)

    def forget(self, ref: BatchRef) -> None:
        self._client.delete(ref, self._keeps_off_topic_key(ref))

    def hand_on(self, stage: str, consumed: BatchRef, output: Any) -> None:
        """Record that ``stage`` turned ``consumed`` into ``output``, carry the
        batch's flags to ``output``, and let ``consumed`` go: all or nothing, so
        no crash leaves an input gone without the record of where it went."""
        keeps_off_topic = self.keeps_off_topic(consumed)
        with self._client.pipeline(transaction=True) as writes:
            writes.set(self._handed_on_key(stage, consumed), json.dumps(output), ex=HANDED_ON_TTL_SECONDS)
            if keeps_off_topic and self.is_ref(output) and output != consumed:
                writes.set(self._keeps_off_topic_key(output), 1, ex=BATCH_TTL_SECONDS)
            if output != consumed:
                writes.delete(consumed, self._keeps_off_topic_key(consumed))
            writes.execute()

    def handed_on(self, stage: str, consumed: BatchRef) -> tuple[bool, Any]:
        """Whether ``stage`` already handed on its output for ``consumed``, and that output."""
        raw = cast(bytes | None, self._client.get(self._handed_on_key(stage, consumed)))
        return (False, None) if raw is None else (True, json.loads(raw))

    def _handed_on_key(self, stage: str, consumed: BatchRef) -> str:
        return f"{self._prefix}-handed-on:{stage}:{consumed.rsplit(':', 1)[-1]}"

    def _keeps_off_topic_key(self, ref: BatchRef) -> str:
        return f"{self._prefix}-keeps-off-topic:{ref.rsplit(':', 1)[-1]}"
