"""Per-process Redis client and the shared counters, opened on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import redis

from coverwatch.connections import redis_client_for
from coverwatch.metrics import MetricStore
from coverwatch.settings import get_settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return redis_client_for(get_settings())


def count(name: str, amount: int = 1) -> None:
    """Add to a named counter that every process shares (``coverwatch stats`` shows them)."""
    if amount:
        settings = get_settings()
        redis_client().hincrby(settings.redis_key("counters"), name, amount)


def counters() -> dict[str, int]:
    settings = get_settings()
    raw = cast(dict[bytes, bytes], redis_client().hgetall(settings.redis_key("counters")))
    return {key.decode(): int(value) for key, value in raw.items()}


def metric_store() -> MetricStore:
    return MetricStore(redis_client(), get_settings())
