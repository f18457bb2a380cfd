"""The crawl queue on an in-memory Redis (fakeredis): each entry goes to one
consumer of the group, stays pending until done, and is reclaimed from a
consumer whose heartbeat expired or that held it past its lease."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import fakeredis
import pytest
import redis

from coverwatch.settings import get_settings
from crawlers.crawl_queue import GROUP, CrawlQueue
from crawlers.sources import Source


@pytest.fixture
def memory_redis() -> Iterator[redis.Redis]:
    client = fakeredis.FakeRedis()
    yield client
    client.close()


def _sources(*names: str) -> list[Source]:
    return [Source(name=name, urls=(f"https://{name}.example.org/feed.xml",)) for name in names]


def _pending(client: redis.Redis, queue: CrawlQueue) -> int:
    return int(client.xpending(queue.key, GROUP)["pending"])  # type: ignore[index]


def test_each_entry_goes_to_one_crawler_and_stays_pending_until_done(memory_redis: redis.Redis) -> None:
    settings = get_settings()
    first, second = CrawlQueue(memory_redis, settings, "one"), CrawlQueue(memory_redis, settings, "two")
    first.enqueue(_sources("alpha", "bravo", "charlie"))
    taken_first, taken_second = first.take(2), second.take(5)
    names = [lease.source.name for lease in taken_first + taken_second]
    assert sorted(names) == ["alpha", "bravo", "charlie"]
    assert len(taken_first) == 2 and len(taken_second) == 1
    assert taken_first[0].source == _sources("alpha")[0]  # the whole definition travels
    assert _pending(memory_redis, first) == 3
    for lease in taken_first:
        first.done(lease.entry_id)
    assert _pending(memory_redis, first) == 1 and first.depth() == 1
    assert first.take(5) == []  # nothing new; the other's entry is not handed out again


def test_a_dead_crawlers_entries_are_reclaimed_and_it_leaves_the_group(memory_redis: redis.Redis) -> None:
    settings = get_settings()
    dead, alive = CrawlQueue(memory_redis, settings, "dead"), CrawlQueue(memory_redis, settings, "alive")
    dead.enqueue(_sources("alpha", "bravo"))
    dead.heartbeat()
    alive.heartbeat()
    assert len(dead.take(5)) == 2
    assert alive.reclaim() == []  # its heartbeat is fresh: busy, not dead
    memory_redis.delete(settings.redis_key("crawler-alive", "dead"))  # as when the key expires
    pending = cast(list[dict[str, Any]], memory_redis.xpending_range(dead.key, GROUP, "-", "+", 10))
    ids: list[Any] = [entry["message_id"] for entry in pending]
    memory_redis.xclaim(dead.key, GROUP, "dead", 0, ids, idle=5000)  # as if delivered five seconds ago
    reclaimed = alive.reclaim()
    assert sorted(lease.source.name for lease in reclaimed) == ["alpha", "bravo"]
    assert {lease.taken_from for lease in reclaimed} == {"dead"}
    consumers = {entry["name"] for entry in cast(list[dict[str, Any]], memory_redis.xinfo_consumers(dead.key, GROUP))}
    assert consumers == {b"alive"} or consumers == {"alive"}


def test_an_entry_held_past_its_lease_is_reclaimed_from_a_live_crawler(memory_redis: redis.Redis) -> None:
    settings = get_settings()
    stuck, other = CrawlQueue(memory_redis, settings, "stuck"), CrawlQueue(memory_redis, settings, "other")
    stuck.enqueue(_sources("alpha"))
    stuck.heartbeat()
    assert len(stuck.take(1)) == 1
    assert other.reclaim() == []  # within the lease
    other.lease_ms = 0
    reclaimed = other.reclaim()
    assert [lease.source.name for lease in reclaimed] == ["alpha"] and reclaimed[0].taken_from == "stuck"


def test_an_entry_that_is_no_source_is_dropped_not_retried(memory_redis: redis.Redis) -> None:
    queue = CrawlQueue(memory_redis, get_settings(), "one")
    queue.ensure_group()
    memory_redis.xadd(queue.key, {"source": '{"name": "x"}'})
    assert queue.take(5) == []
    assert queue.depth() == 0 and _pending(memory_redis, queue) == 0
