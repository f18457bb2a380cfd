"""How a stage lets its input batch go, on an in-memory Redis (fakeredis): a
repeat of a message is a no-op once the output is recorded and runs again
before that, however late it comes; the source's keep_off_topic flag travels
with the batch, so a dead letter from any stage replays with it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import fakeredis
import pytest
import redis

from coverwatch.settings import Settings, get_settings
from workers.runtime.batches import DROPPED_BATCH_LINGER_SECONDS, BatchStore

RECORD = {"url": "https://handoff.example.org/news/one", "title": "Ministry breach",
          "body": "State-backed hackers breached a ministry network, officials said. " * 5,
          "source": "handoff-desk"}


@pytest.fixture
def memory_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """Every Redis user the stages reach, pointed at one in-memory server."""
    import workers.resources
    import workers.runtime.base
    import workers.runtime.resources
    import workers.tasks

    client = fakeredis.FakeRedis()
    for module in (workers.runtime.base, workers.runtime.resources, workers.resources, workers.tasks):
        monkeypatch.setattr(module, "redis_client", lambda: client)
    yield client
    client.close()


def _settings() -> Settings:
    return get_settings()


def _let_the_linger_pass(client: redis.Redis) -> None:
    """What Redis does once the short linger of a dropped batch has run out."""
    for key in client.scan_iter():
        if 0 <= cast(int, client.ttl(key)) <= DROPPED_BATCH_LINGER_SECONDS:
            client.delete(key)


def _letters(client: redis.Redis) -> list[dict[str, Any]]:
    raw = cast(list[bytes], client.lrange(_settings().redis_key("dead-letter"), 0, -1))
    return [json.loads(entry) for entry in raw]


def test_a_repeat_after_the_output_was_recorded_hands_on_that_output_and_does_nothing(
        memory_redis: redis.Redis) -> None:
    from workers.tasks import ingest

    batches = BatchStore(memory_redis, _settings())
    consumed = batches.put([RECORD])
    first = ingest.apply(args=(consumed,)).get()
    assert memory_redis.get(consumed) is None  # let go together with the record
    _let_the_linger_pass(memory_redis)
    again = ingest.apply(args=(consumed,)).get()
    assert again == first
    assert [article["url"] for article in batches.get(first)] == [RECORD["url"]]
    received = cast(bytes, memory_redis.hget(_settings().redis_key("counters"), "articles.received"))
    assert int(received) == 1  # the stage's work ran once


def test_a_stage_killed_before_recording_its_output_runs_again_however_late_the_repeat(
        memory_redis: redis.Redis) -> None:
    """The worker ran the stage's body (output stored) and died before the record:
    the redelivered message, an hour later at the visibility timeout, must not
    find its input gone (that was a BatchMissing dead letter, articles lost)."""
    from workers.tasks import ingest

    batches = BatchStore(memory_redis, _settings())
    consumed = batches.put([RECORD])
    ingest.run(consumed)  # the body alone, as the killed worker ran it
    _let_the_linger_pass(memory_redis)
    repeat = ingest.apply(args=(consumed,))
    assert repeat.successful(), repeat.result
    assert [article["url"] for article in batches.get(repeat.get())] == [RECORD["url"]]
    assert _letters(memory_redis) == []


def test_the_keep_off_topic_flag_travels_from_a_stage_input_to_its_output(memory_redis: redis.Redis) -> None:
    from workers.tasks import ingest

    batches = BatchStore(memory_redis, _settings())
    kept, plain = batches.put([RECORD], keep_off_topic=True), batches.put([RECORD])
    assert batches.keeps_off_topic(kept) and not batches.keeps_off_topic(plain)
    assert batches.keeps_off_topic(ingest.apply(args=(kept,)).get())
    assert not batches.keeps_off_topic(ingest.apply(args=(plain,)).get())
    assert not batches.keeps_off_topic(kept)  # let go with its batch


@dataclass
class _Sent:
    id: str


# What each stage cannot read: ingest a record that is no mapping, dedupe an invalid article.
@pytest.mark.parametrize(("stage", "poison"), [("workers.ingest", "not a record"), ("workers.dedupe", {"url": 7})])
def test_a_letter_from_a_stage_without_the_argument_replays_with_the_sources_flag(
        stage: str, poison: Any, memory_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.pipeline
    import workers.tasks  # registers the stages on the app
    from workers.deadletter import list_dead_letters, replay
    from workers.runtime.app import app

    batches = BatchStore(memory_redis, _settings())
    poisoned = batches.put([poison], keep_off_topic=True)
    failed = app.tasks[stage].apply(args=(poisoned,))
    assert failed.failed()
    (letter,) = list_dead_letters(memory_redis, _settings())
    assert letter.task == stage and letter.kwargs == {} and letter.keep_off_topic

    restarted: list[tuple[str, str, bool]] = []

    class _Chain:
        def __init__(self, task_name: str, ref: str, keep_off_topic: bool) -> None:
            restarted.append((task_name, ref, keep_off_topic))

        def apply_async(self) -> _Sent:
            return _Sent("replayed")

    monkeypatch.setattr(workers.pipeline, "pipeline_from", _Chain)
    assert replay(memory_redis, _settings()) == ["replayed"]
    ((task_name, ref, keep_off_topic),) = restarted
    assert task_name == stage and keep_off_topic
    assert batches.keeps_off_topic(ref) and batches.get(ref) == [poison]
    assert list_dead_letters(memory_redis, _settings()) == []


def test_letters_written_before_the_flag_travelled_still_read_it_from_enrichs_arguments(
        memory_redis: redis.Redis) -> None:
    from workers.deadletter import list_dead_letters

    old = {"task": "workers.enrich", "task_id": "t1", "args": ["k"], "kwargs": {"keep_off_topic": True},
           "reason": "TypeError: x", "batch": []}
    plain = {**old, "task_id": "t2", "kwargs": {}}
    memory_redis.rpush(_settings().redis_key("dead-letter"), json.dumps(old), json.dumps(plain))
    assert [letter.keep_off_topic for letter in list_dead_letters(memory_redis, _settings())] == [True, False]


class _RestartingRedis(fakeredis.FakeRedis):
    """Refuses connections for its first few commands, as a broker that restarts."""

    refusals = 2

    def pipeline(self, *args: Any, **kwargs: Any) -> Any:
        if _RestartingRedis.refusals:
            _RestartingRedis.refusals -= 1
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return super().pipeline(*args, **kwargs)


def test_a_hand_over_waits_for_a_restarting_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.handoff
    import workers.pipeline
    import workers.runtime.resources

    client = _RestartingRedis()
    monkeypatch.setattr(workers.runtime.resources, "redis_client", lambda: client)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    queued: list[tuple[str, bool]] = []

    class _Chain:
        def __init__(self, ref: str, keep_off_topic: bool) -> None:
            queued.append((ref, keep_off_topic))

        def apply_async(self) -> _Sent:
            return _Sent("chain")

    monkeypatch.setattr(workers.pipeline, "pipeline_for", _Chain)
    assert workers.handoff.submit_batch([RECORD], keep_off_topic=True) == "chain"
    ((ref, keep_off_topic),) = queued
    batches = BatchStore(client, _settings())
    assert keep_off_topic and batches.get(ref) == [RECORD] and batches.keeps_off_topic(ref)
    assert _RestartingRedis.refusals == 0


class _RestartingOnExists(fakeredis.FakeRedis):
    """Refuses its next few EXISTS, the first command of recording a stage's output."""

    refusals = 0

    def exists(self, *names: Any) -> Any:
        if _RestartingOnExists.refusals:
            _RestartingOnExists.refusals -= 1
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return super().exists(*names)


def test_a_stage_records_its_output_through_a_redis_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Celery retries only the task's body: a connection error while recording
    the output was a failed task, acknowledged, its batch gone."""
    import workers.resources
    import workers.runtime.base
    import workers.runtime.resources
    import workers.tasks
    from workers.tasks import ingest

    client = _RestartingOnExists()
    for module in (workers.runtime.base, workers.runtime.resources, workers.resources, workers.tasks):
        monkeypatch.setattr(module, "redis_client", lambda: client)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    batches = BatchStore(client, _settings())
    consumed = batches.put([RECORD])
    _RestartingOnExists.refusals = 2
    outcome = ingest.apply(args=(consumed,))
    assert outcome.successful(), outcome.result
    assert batches.handed_on("workers.ingest", consumed) == (True, outcome.get())
    assert client.get(consumed) is None and _RestartingOnExists.refusals == 0
