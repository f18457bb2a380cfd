"""What is waiting: messages queued and in flight per stage, dead letters, and
messages returned after a worker died, for operators (``coverwatch stats`` and
``GET /api/health``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import cast

import redis

from coverwatch.settings import Settings
from workers.runtime.queues import STAGES
from workers.runtime.recovery import held_messages

# Kombu's Redis transport keeps a list per queue and, for prioritised messages,
# one more per priority step, named with this separator.
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)


@dataclass(frozen=True)
class InFlight:
    """Messages a worker holds for one stage, and how long the oldest has been held."""

    messages: int
    oldest_seconds: float


@dataclass(frozen=True)
class Backlog:
    queued: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    in_flight: dict[str, InFlight] = field(default_factory=dict)
    returned_after_worker_death: dict[str, int] = field(default_factory=dict)

    @property
    def total_queued(self) -> int:
        return sum(self.queued.values())

    @property
    def total_in_flight(self) -> int:
        return sum(flight.messages for flight in self.in_flight.values())


def in_flight_by_stage(deliveries: list[tuple[str, float]], now: float) -> dict[str, InFlight]:
    """Group held messages, given as (stage, delivered at), by stage."""
    grouped: dict[str, list[float]] = {}
    for stage, delivered_at in deliveries:
        grouped.setdefault(stage, []).append(delivered_at)
    return {stage: InFlight(len(times), round(max(now - min(times), 0.0), 1))
            for stage, times in sorted(grouped.items())}


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
    return Backlog(queued, lengths[-1], _in_flight(client, settings), _returned(client, settings))


def _in_flight(client: redis.Redis, settings: Settings) -> dict[str, InFlight]:
    held = held_messages(client, settings)
    return in_flight_by_stage([(message.owner.stage, message.delivered_at) for message in held], time.time())


def _returned(client: redis.Redis, settings: Settings) -> dict[str, int]:
    raw = cast(dict[bytes, bytes], client.hgetall(settings.redis_key("counters")))
    prefix = "recovery.returned"
    figures = {name.decode(): int(value) for name, value in raw.items() if name.decode().startswith(prefix)}
    return {("total" if name == prefix else name.removeprefix(prefix + ".")): value
            for name, value in sorted(figures.items())}
