"""Dispatch on an in-memory Redis (fakeredis): a due source is queued once, not
again while it runs; its health state decides when it is due next; a disabled
source is skipped; edits to the sources file take effect on the next tick."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fakeredis
import pytest
import redis

from coverwatch.settings import get_settings
from crawlers.crawl_queue import CrawlQueue
from crawlers.dispatch import RECHECK, DueIndex, dispatch_due
from crawlers.health import SourceState, SourceStates

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def memory_redis() -> Iterator[redis.Redis]:
    client = fakeredis.FakeRedis()
    yield client
    client.close()


def _write(path: Path, *names: str) -> None:
    path.write_text("sources:\n" + "".join(
        f"  - {{name: {name}, urls: 'https://{name}.example.org/feed.xml', schedule: every 15m}}\n"
        for name in names))


def _queued(client: redis.Redis) -> list[str]:
    queue = CrawlQueue(client, get_settings(), "reader")
    return [lease.source.name for lease in queue.take(100)]


def test_a_due_source_is_queued_once_until_its_run_reschedules_it(memory_redis: redis.Redis,
                                                                   tmp_path: Path) -> None:
    settings, sources = get_settings(), tmp_path / "sources.yml"
    _write(sources, "alpha", "bravo")
    assert sorted(dispatch_due(sources, memory_redis, settings, NOW)) == ["alpha", "bravo"]
    assert sorted(_queued(memory_redis)) == ["alpha", "bravo"]
    # Still running (no state recorded): the lease keeps it from being queued again.
    assert dispatch_due(sources, memory_redis, settings, NOW + timedelta(minutes=10)) == []

    # alpha's run finished and says when it is next due, as the crawler records it.
    states = SourceStates(memory_redis, settings)
    next_run = NOW + timedelta(minutes=15)
    states.put(replace(SourceState("alpha"), last_run=NOW.isoformat(), next_run=next_run.isoformat()))
    DueIndex(memory_redis, settings).schedule("alpha", next_run)
    assert dispatch_due(sources, memory_redis, settings, NOW + timedelta(minutes=14)) == []
    assert dispatch_due(sources, memory_redis, settings, NOW + timedelta(minutes=16)) == ["alpha"]


def test_state_decides_a_source_scored_early_and_a_disabled_one_is_looked_at_later(
        memory_redis: redis.Redis, tmp_path: Path) -> None:
    settings, sources = get_settings(), tmp_path / "sources.yml"
    _write(sources, "alpha", "bravo")
    states = SourceStates(memory_redis, settings)
    # Crawled by `coverwatch crawl` meanwhile: not due although the index says so.
    states.put(replace(SourceState("alpha"), next_run=(NOW + timedelta(minutes=3)).isoformat()))
    states.put(replace(SourceState("bravo"), disabled_reason="dead address"))
    assert dispatch_due(sources, memory_redis, settings, NOW) == []
    index = DueIndex(memory_redis, settings)
    assert index.due(NOW + timedelta(minutes=2)) == []
    assert index.due(NOW + timedelta(minutes=3)) == ["alpha"]
    assert "bravo" in index.due(NOW + RECHECK)


def test_an_edit_to_the_file_takes_effect_on_the_next_tick(memory_redis: redis.Redis, tmp_path: Path) -> None:
    settings, sources = get_settings(), tmp_path / "sources.yml"
    _write(sources, "alpha")
    assert dispatch_due(sources, memory_redis, settings, NOW) == ["alpha"]
    _write(sources, "bravo", "charlie-news")
    assert sorted(dispatch_due(sources, memory_redis, settings, NOW)) == ["bravo", "charlie-news"]
    assert "alpha" not in DueIndex(memory_redis, settings).due(NOW + timedelta(days=30))
