"""Per-process connections, opened on first use and shared by the tasks."""

from __future__ import annotations

from functools import lru_cache
from typing import cast

import redis

from coverwatch.connections import redis_client_for
from coverwatch.settings import get_settings
from search.engine import SearchEngine, connect
from search.indexes import ensure_indices


@lru_cache(maxsize=1)
def engine() -> SearchEngine:
    settings = get_settings()
    search_engine = connect(settings.search_url)
    ensure_indices(search_engine, settings)
    return search_engine


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
