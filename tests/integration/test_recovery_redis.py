"""Recovery on the real broker: a message held by a worker whose heartbeat is
gone goes back to its queue, one held by a live worker stays; a stage that sees
its input batch again hands on the same output and does nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis
from fastapi import Response
from fastapi.routing import APIRoute

from coverwatch.connections import redis_client_for
from coverwatch.settings import Settings
from search.engine import connect
from web.routing import WebDeps
from web.unversioned_api import unversioned_router
from workers.backlog import pipeline_backlog
from workers.runtime.app import app
from workers.runtime.batches import BatchStore
from workers.runtime.recovery import UNACKED_KEY, beat, record_owner, recover

pytestmark = pytest.mark.integration


@pytest.fixture
def idle(redis_client: redis.Redis, settings: Settings) -> Iterator[Settings]:
    """A deployment no worker listens to."""
    idle = settings.model_copy(update={"index_prefix": f"recovery-{uuid.uuid4().hex[:8]}"})
    yield idle
    keys = [*redis_client.scan_iter(match=f"{idle.index_prefix}*")]
    if keys:
        redis_client.unlink(*keys)


def _health(settings: Settings) -> dict[str, Any]:
    """What GET /api/health answers (the endpoint called as a function: starlette's
    test client warns about its own httpx use, and warnings are errors here), from
    the router web/app.py includes (web/unversioned_api.py)."""
    deps = WebDeps(settings, lambda: connect(settings.search_url), lambda: redis_client_for(settings))
    endpoint = next(route.endpoint for route in unversioned_router(deps).routes
                    if isinstance(route, APIRoute) and route.path == "/api/health")
    answer: dict[str, Any] = endpoint(Response())
    return answer


def test_messages_of_dead_workers_return_and_those_of_live_ones_stay(
        redis_client: redis.Redis, idle: Settings) -> None:
    queue = idle.queue_name("dedupe")
    for n in range(2):
        app.send_task("workers.dedupe", args=[f"batch-{n}"], queue=queue)
    with app.connection_for_read() as connection:
        channel = connection.channel()
        # Taken without an ack, as a worker does: both now sit in kombu's unacked hash.
        dead_tag = channel.basic_get(queue, no_ack=False).delivery_tag
        live_tag = channel.basic_get(queue, no_ack=False).delivery_tag
        record_owner(redis_client, idle, dead_tag, "host:1:gone", queue)
        record_owner(redis_client, idle, live_tag, "host:2:alive", queue)
        beat(redis_client, idle, "host:2:alive")
        assert redis_client.llen(queue) == 0
        held = pipeline_backlog(redis_client, idle).in_flight["dedupe"]
        assert held.messages == 2 and held.oldest_seconds < 60

        with app.connection_for_write() as recoverer:
            returned = recover(redis_client, idle, recoverer.default_channel.qos.restore_by_tag)
            assert returned == [(dead_tag, "dedupe")]
            assert recover(redis_client, idle, recoverer.default_channel.qos.restore_by_tag) == []

        assert redis_client.llen(queue) == 1
        payload = json.loads(cast(bytes, redis_client.lindex(queue, 0)))
        assert payload["properties"]["delivery_tag"] == dead_tag
        assert payload["headers"]["redelivered"] is True
        assert not redis_client.hexists(UNACKED_KEY, dead_tag)
        assert redis_client.hexists(UNACKED_KEY, live_tag)
        backlog = pipeline_backlog(redis_client, idle)
        assert backlog.returned_after_worker_death == {"total": 1, "dedupe": 1}
        assert backlog.in_flight["dedupe"].messages == 1 and backlog.queued["dedupe"] == 1
        health = _health(idle)
        assert health["pipeline"]["in_flight"]["dedupe"]["messages"] == 1
        assert health["pipeline"]["returned_after_worker_death"]["total"] == 1
        channel.basic_ack(live_tag)
        channel.close()


def test_a_repeated_stage_hands_on_the_same_output_once(redis_client: redis.Redis, settings: Settings) -> None:
    from workers.tasks import ingest

    batches = BatchStore(redis_client, settings)
    record = {"url": f"https://repeat.example.org/{uuid.uuid4().hex}", "title": "Repeat",
              "body": "State-backed hackers breached a ministry, officials said. " * 5, "source": "repeat"}
    consumed = batches.put([record])
    first = ingest.apply(args=(consumed,)).get()
    assert redis_client.get(consumed) is None  # the input is let go once the output is recorded
    # The same message again, as after a worker killed before its ack: no BatchMissing.
    again = ingest.apply(args=(consumed,)).get()
    assert again == first
    assert [article["url"] for article in batches.get(first)] == [record["url"]]


def test_an_input_dropped_before_the_output_was_recorded_is_still_there(
        redis_client: redis.Redis, settings: Settings) -> None:
    from workers.tasks import ingest

    batches = BatchStore(redis_client, settings)
    consumed = batches.put([{"url": f"https://linger.example.org/{uuid.uuid4().hex}", "title": "Linger",
                             "body": "Officials blamed a state-backed group for the breach. " * 5,
                             "source": "linger"}])
    batches.drop(consumed)  # the stage died right after dropping its input
    output = ingest.apply(args=(consumed,)).get()
    assert len(batches.get(output)) == 1


def test_a_stage_lock_of_a_dead_worker_is_broken_in_the_same_round(
        redis_client: redis.Redis, idle: Settings) -> None:
    from workers.runtime.locks import cluster_lock

    queue = idle.queue_name("cluster")
    app.send_task("workers.cluster", args=["batch-locked"], queue=queue)
    lock = cluster_lock(redis_client, idle)
    with app.connection_for_read() as connection:
        channel = connection.channel()
        tag = channel.basic_get(queue, no_ack=False).delivery_tag
        # The dead worker's pool child took the lock: its token names the parent.
        record_owner(redis_client, idle, tag, "crashed-host:31337:feedface", queue)
        assert lock.acquire(token="crashed-host:31338:31337|deadbeef")
        with app.connection_for_write() as recoverer:
            assert recover(redis_client, idle, recoverer.default_channel.qos.restore_by_tag) == [(tag, "cluster")]
        assert not redis_client.exists(lock.name)  # not left to its 300 s timeout
        counters = cast(dict[bytes, bytes], redis_client.hgetall(idle.redis_key("counters")))
        assert counters[b"recovery.locks_broken"] == b"1"

        # A lock whose token names nobody (a plain holder) is only suspected this round.
        app.send_task("workers.cluster", args=["batch-plain"], queue=queue)
        tag = channel.basic_get(queue, no_ack=False).delivery_tag
        record_owner(redis_client, idle, tag, "crashed-host:4000:cafe", queue)
        assert lock.acquire(token="plain-token")
        with app.connection_for_write() as recoverer:
            recover(redis_client, idle, recoverer.default_channel.qos.restore_by_tag)
        assert redis_client.get(lock.name) == b"plain-token"
        redis_client.delete(lock.name)
        channel.close()
