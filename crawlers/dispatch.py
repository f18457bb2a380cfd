"""Find the sources that are due and put them on the crawl queue.

Beat runs this every ``dispatch_seconds``. With ten thousand sources, reading
every source's health state on every tick would cost more than the polls, so a
sorted set keeps each source's next-run time as its score: a tick reads only
the sources whose time has come, checks each against its health state (the
truth: a source re-enabled or disabled since is seen here) and queues it. A
queued source is scored a lease ahead, so a slow crawl is not queued twice;
the crawler scores it its real next run when it finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

import redis

from coverwatch.settings import Settings
from crawlers.crawl_queue import CrawlQueue
from crawlers.health import SourceStates, is_due
from crawlers.sources import Source, load_sources

# How soon a disabled or not-yet-due source is looked at again when its state
# gives no next run: an operator's `sources enable` then takes effect within it.
RECHECK = timedelta(minutes=5)
MAX_PER_TICK = 5000


@dataclass(frozen=True)
class _LoadedSources:
    signature: tuple[str, int, int]
    sources: tuple[Source, ...]


_loaded: dict[str, _LoadedSources] = {}
_synced: dict[str, tuple[str, int, int]] = {}


def current_sources(path: Path) -> Sequence[Source]:
    """The file's sources, parsed again only when the file changed: an edit takes
    effect on the next tick, and ten thousand entries are not validated every tick."""
    stat = path.stat()
    signature = (str(path), stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(str(path))
    if cached is None or cached.signature != signature:
        cached = _LoadedSources(signature, tuple(load_sources(path)))
        _loaded[str(path)] = cached
    return cached.sources


class DueIndex:
    """Source name -> the Unix time it should be looked at next."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self.key = settings.redis_key("crawl-due")

    def sync(self, names: Sequence[str]) -> None:
        """Add new sources as due now; forget removed ones."""
        known = {name.decode() for name in cast(list[bytes], self._client.zrange(self.key, 0, -1))}
        gone = known - set(names)
        pipe = self._client.pipeline(transaction=False)
        fresh = {name: 0.0 for name in names if name not in known}
        if fresh:
            pipe.zadd(self.key, fresh, nx=True)
        if gone:
            pipe.zrem(self.key, *gone)
        pipe.execute()

    def due(self, now: datetime, limit: int = MAX_PER_TICK) -> list[str]:
        names = cast(list[bytes], self._client.zrangebyscore(self.key, "-inf", now.timestamp(), start=0, num=limit))
        return [name.decode() for name in names]

    def schedule(self, name: str, at: datetime) -> None:
        self._client.zadd(self.key, {name: at.timestamp()}, xx=True)


def dispatch_due(path: Path, client: redis.Redis, settings: Settings, now: datetime) -> list[str]:
    """Queue every due source of the file once; return their names."""
    sources = current_sources(path)
    index = DueIndex(client, settings)
    signature = _loaded[str(path)].signature
    # Resynced on an edit, and when the set lost members (a deployment reset).
    if _synced.get(index.key) != signature or client.zcard(index.key) != len(sources):
        index.sync([source.name for source in sources])
        _synced[index.key] = signature
    by_name = {source.name: source for source in sources}
    states = SourceStates(client, settings)
    lease = timedelta(milliseconds=CrawlQueue(client, settings, consumer="dispatcher").lease_ms)
    queued: list[Source] = []
    later: dict[str, float] = {}
    for name in index.due(now):
        source = by_name.get(name)
        if source is None:
            continue
        state = states.get(name)
        if is_due(state, now):
            queued.append(source)
            later[name] = (now + lease).timestamp()
        elif state.next_run and not state.disabled_reason:
            later[name] = datetime.fromisoformat(state.next_run).timestamp()
        else:
            later[name] = (now + RECHECK).timestamp()
    if queued:
        CrawlQueue(client, settings, consumer="dispatcher").enqueue(queued)
    if later:
        client.zadd(index.key, later, xx=True)
    return [source.name for source in queued]

