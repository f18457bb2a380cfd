"""Dead letters: messages that used up their retries, kept with the reason, replayable."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import redis

from coverwatch.settings import Settings
from workers.batches import BatchStore


@dataclass(frozen=True)
class DeadLetter:
    position: int
    task: str
    task_id: str
    reason: str
    args: list[Any]
    kwargs: dict[str, Any]
    batch: list[dict[str, Any]] | None = None


def _key(settings: Settings) -> str:
    return settings.redis_key("dead-letter")


def list_dead_letters(client: redis.Redis, settings: Settings) -> list[DeadLetter]:
    raw = cast(list[bytes], client.lrange(_key(settings), 0, -1))
    letters = []
    for position, entry in enumerate(raw):
        record = json.loads(entry)
        letters.append(DeadLetter(position, record["task"], record["task_id"], record["reason"],
                                  list(record.get("args") or []), dict(record.get("kwargs") or {}),
                                  record.get("batch")))
    return letters


def replay(client: redis.Redis, settings: Settings, positions: list[int] | None = None) -> list[str]:
    """Send dead letters again (all, or those at the given positions) and remove
    them from the list. A pipeline stage's letter restarts the chain at that stage
    with the articles the letter kept. Returns the new task ids."""
    from workers.celery_app import app
    from workers.tasks import is_pipeline_stage, pipeline_from

    letters = list_dead_letters(client, settings)
    chosen = [letter for letter in letters if positions is None or letter.position in positions]
    task_ids = []
    batches = BatchStore(client, settings)
    for letter in chosen:
        # A stage letter carries its articles: store them again under a fresh key.
        if letter.batch is not None and is_pipeline_stage(letter.task):
            keep_off_topic = bool(letter.kwargs.get("keep_off_topic", False))
            result = pipeline_from(letter.task, batches.put(letter.batch), keep_off_topic).apply_async()
        else:
            result = app.send_task(letter.task, args=letter.args, kwargs=letter.kwargs)
        task_ids.append(str(result.id))
    raw = cast(list[bytes], client.lrange(_key(settings), 0, -1))
    keep = [entry for position, entry in enumerate(raw) if position not in {c.position for c in chosen}]
    pipeline = client.pipeline()
    pipeline.delete(_key(settings))
    if keep:
        pipeline.rpush(_key(settings), *keep)
    pipeline.execute()
    return task_ids
