"""Batches between stages live in Redis, one compressed key each; tasks pass the
key along the chain instead of the articles.

Celery keeps a task's return value in its result store and publishes it to
whoever waits, and the next message carries it again: with whole batches as
return values that is three copies of about half a megabyte per stage, kept for
as long as results are kept. Here each batch is written once, read once by the
next stage, and deleted once that stage has stored its own output.

A message can arrive twice (a worker killed after it handed its output on but
before it acknowledged). So each stage records, per input batch, what it handed
on (``handed_on``), and a dropped input lingers for a while instead of vanishing
at once: a repeat finds the record and is a no-op, not a ``BatchMissing``.
"""

from __future__ import annotations

import json
import uuid
import zlib
from typing import Any, TypeGuard, cast

import redis

from coverwatch.settings import Settings

BatchRef = str
# Long enough for a backlog behind a stopped worker fleet to survive a weekend.
BATCH_TTL_SECONDS = 7 * 24 * 3600
# A dropped input stays this long, for a stage killed between dropping its input
# and recording its output: the redelivered message then simply runs again.
DROPPED_BATCH_LINGER_SECONDS = 900
# Longer than the broker's visibility timeout, the latest a repeat can arrive.
HANDED_ON_TTL_SECONDS = 24 * 3600


class BatchMissing(LookupError):
    """The batch a message refers to is gone (expired, or already consumed)."""


class BatchStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._prefix = settings.redis_key("batch")

    def is_ref(self, value: object) -> TypeGuard[BatchRef]:
        return isinstance(value, str) and value.startswith(self._prefix + ":")

    def put(self, batch: list[dict[str, Any]]) -> BatchRef:
        ref = f"{self._prefix}:{uuid.uuid4().hex}"
        payload = zlib.compress(json.dumps(batch, separators=(",", ":")).encode("utf-8"), 1)
        self._client.set(ref, payload, ex=BATCH_TTL_SECONDS)
        return ref

    def get(self, ref: BatchRef) -> list[dict[str, Any]]:
        if not isinstance(ref, str):
            raise TypeError(f"a batch is passed by its key, not as {type(ref).__name__}")
        raw = cast(bytes | None, self._client.get(ref))
        if raw is None:
            raise BatchMissing(f"batch {ref} is gone (expired or already consumed)")
        batch = json.loads(zlib.decompress(raw))
        if not isinstance(batch, list):
            raise TypeError(f"batch {ref} holds {type(batch).__name__}, not a list of records")
        return batch

    def drop(self, ref: BatchRef) -> None:
        """The stage is done with ``ref``: it expires soon (see ``forget`` for now)."""
        self._client.expire(ref, DROPPED_BATCH_LINGER_SECONDS)

    def forget(self, ref: BatchRef) -> None:
        self._client.delete(ref)

    def record_handed_on(self, stage: str, consumed: BatchRef, output: Any) -> None:
        """``stage`` turned ``consumed`` into ``output`` (a batch key or a small result)."""
        self._client.set(self._handed_on_key(stage, consumed), json.dumps(output), ex=HANDED_ON_TTL_SECONDS)

    def handed_on(self, stage: str, consumed: BatchRef) -> tuple[bool, Any]:
        """Whether ``stage`` already handed on its output for ``consumed``, and that output."""
        raw = cast(bytes | None, self._client.get(self._handed_on_key(stage, consumed)))
        return (False, None) if raw is None else (True, json.loads(raw))

    def _handed_on_key(self, stage: str, consumed: BatchRef) -> str:
        return f"{self._prefix}-handed-on:{stage}:{consumed.rsplit(':', 1)[-1]}"
