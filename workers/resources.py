"""Per-process connections, opened on first use and shared by the tasks: the
search engine here, Redis and the counters from the task runtime."""

from __future__ import annotations

from functools import lru_cache

from coverwatch.settings import get_settings
from search.engine import SearchEngine, connect
from search.indexes import ensure_indices
from workers.runtime.resources import count, counters, redis_client

__all__ = ["count", "counters", "engine", "redis_client"]


@lru_cache(maxsize=1)
def engine() -> SearchEngine:
    settings = get_settings()
    search_engine = connect(settings.search_url)
    ensure_indices(search_engine, settings)
    return search_engine
