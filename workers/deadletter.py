"""Dead letters: messages that used up their retries, kept with the reason, replayable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import redis

from coverwatch.settings import Settings
from workers.runtime.batches import BatchStore


@dataclass(frozen=True)
class DeadLetter:
    position: int
    task: str
    task_id: str
    reason: str
    args: list[Any]
    kwargs: dict[str, Any]
    batch: list[dict[str, Any]] | None = None
    # The source keeps off-topic articles: the letter's batch carried the flag
    # (letters written before it did have it only in enrich's arguments).
    keep_off_topic: bool = False


def _key(settings: Settings) -> str:
    return settings.redis_key("dead-letter")


def list_dead_letters(client: redis.Redis, settings: Settings) -> list[DeadLetter]:
    return [letter for letter, _ in _read(client, settings)]


def _read(client: redis.Redis, settings: Settings) -> list[tuple[DeadLetter, bytes]]:
    raw = cast(list[bytes], client.lrange(_key(settings), 0, -1))
    letters = []
    for position, entry in enumerate(raw):
        record = json.loads(entry)
        letters.append((DeadLetter(position, record["task"], record["task_id"], record["reason"],
                                   list(record.get("args") or []), dict(record.get("kwargs") or {}),
                                   record.get("batch"), _keeps_off_topic(record)), entry))
    return letters


def _keeps_off_topic(record: dict[str, Any]) -> bool:
    return bool(record.get("keep_off_topic") or (record.get("kwargs") or {}).get("keep_off_topic"))


def replay(client: redis.Redis, settings: Settings, positions: list[int] | None = None) -> list[str]:
    """Send dead letters again (all, or those at the given positions) and remove
    them from the list. A pipeline stage's letter restarts the chain at that stage
    with the articles the letter kept. Returns the new task ids."""
    from workers.pipeline import is_pipeline_stage, pipeline_from
    from workers.runtime.app import app

    chosen = [(letter, entry) for letter, entry in _read(client, settings)
              if positions is None or letter.position in positions]
    task_ids = []
    batches = BatchStore(client, settings)
    for letter, entry in chosen:
        # A stage letter carries its articles: store them again under a fresh key.
        if letter.batch is not None and is_pipeline_stage(letter.task):
            ref = batches.put(letter.batch, keep_off_topic=letter.keep_off_topic)
            result = pipeline_from(letter.task, ref, letter.keep_off_topic).apply_async()
        else:
            result = app.send_task(letter.task, args=letter.args, kwargs=letter.kwargs)
        task_ids.append(str(result.id))
        # Removed by value once sent, one entry at a time: letters that arrive
        # meanwhile are neither lost nor shifted (a rewrite of the list lost them).
        client.lrem(_key(settings), 1, entry.decode("utf-8"))
    return task_ids
