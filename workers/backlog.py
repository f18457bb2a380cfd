"""What is waiting: messages queued per stage and dead letters, for operators
(``coverwatch stats`` and ``GET /api/health``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import redis

from coverwatch.settings import Settings
from workers.celery_app import STAGES

# Kombu's Redis transport keeps a list per queue and, for prioritised messages,
# one more per priority step, named with this separator.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


@dataclass(frozen=True)
class Backlog:
    queued: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0

    @property
    def total_queued(self) -> int:
        return sum(self.queued.values())


def pipeline_backlog(client: redis.Redis, settings: Settings) -> Backlog:
    pipeline = client.pipeline(transaction=False)
    for stage in STAGES:
        queue = settings.queue_name(stage)
        for key in (queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)):
            pipeline.llen(key)
    pipeline.llen(settings.redis_key("dead-letter"))
    lengths = cast(list[int], pipeline.execute())
    per_queue = 1 + len(_PRIORITY_STEPS)
    queued = {stage: sum(lengths[n * per_queue:(n + 1) * per_queue]) for n, stage in enumerate(STAGES)}
    return Backlog(queued, lengths[-1])
