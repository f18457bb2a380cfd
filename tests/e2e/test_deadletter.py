"""A poison message ends as a dead letter with its reason, and can be replayed."""

from __future__ import annotations

import json
import time

import pytest
import redis

from coverwatch.settings import Settings
from search.documents import get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.e2e.conftest import run_cli
from workers.deadletter import list_dead_letters
from workers.runtime.app import app
from workers.stages import parse_articles

pytestmark = pytest.mark.e2e


def _wait_for_letters(client: redis.Redis, settings: Settings, count: int) -> None:
    deadline = time.monotonic() + 60
    while len(list_dead_letters(client, settings)) < count and time.monotonic() < deadline:
        time.sleep(0.2)


def test_poison_message_is_kept_and_replayable(settings: Settings, worker: None,
                                               redis_client: redis.Redis) -> None:
    before = len(list_dead_letters(redis_client, settings))
    app.send_task("workers.ingest", args=[12345])  # not a batch: fails, and retrying cannot help
    _wait_for_letters(redis_client, settings, before + 1)
    letters = list_dead_letters(redis_client, settings)
    assert len(letters) == before + 1
    poison = letters[-1]
    assert poison.task == "workers.ingest" and poison.args == [12345]
    assert "TypeError" in poison.reason
    assert poison.task_id in run_cli("deadletter", "list")

    run_cli("deadletter", "replay", str(poison.position))
    _wait_for_letters(redis_client, settings, before + 1)
    again = list_dead_letters(redis_client, settings)
    assert len(again) == before + 1 and again[-1].task_id != poison.task_id


def test_a_failed_stage_fails_its_batch_at_once(settings: Settings, worker: None) -> None:
    from workers.handoff import wait_for_batches
    from workers.tasks import cluster, dedupe, enrich, ingest, match_alerts

    poisoned = (ingest.s(12345) | dedupe.s() | enrich.s() | cluster.s() | match_alerts.s()).apply_async()
    started = time.monotonic()
    figures = wait_for_batches([str(poisoned.id)], timeout=60)
    assert figures["batches_failed"] == 1 and figures["batches_ok"] == 0
    assert time.monotonic() - started < 30


def test_a_stage_letter_keeps_its_articles_and_replay_finishes_the_pipeline(
        settings: Settings, worker: None, redis_client: redis.Redis, engine: SearchEngine) -> None:
    from workers.runtime.batches import BatchStore

    batches = BatchStore(redis_client, settings)
    good = {"url": "https://replay.example.org/news/turla-replayed", "title": "Turla replayed",
            "body": "Turla hackers kept access to a foreign ministry network, officials said. " * 6,
            "source": "replay-desk", "language": "en"}
    # enrich cannot read this batch (an article record without a body): it fails for good.
    sent = app.send_task("workers.enrich", args=[batches.put([{"url": good["url"]}])])
    # Other tests' letters come and go meanwhile: find this one by its task id.
    deadline = time.monotonic() + 60
    while not (mine := [x for x in list_dead_letters(redis_client, settings) if x.task_id == sent.id]):
        assert time.monotonic() < deadline, "the failed enrich left no dead letter"
        time.sleep(0.2)
    letter = mine[0]
    assert letter.task == "workers.enrich" and letter.batch == [{"url": good["url"]}]

    # An operator mends the kept batch and replays it: the articles go on through
    # enrich, cluster and index, not just the stage that failed.
    raw = redis_client.lindex(settings.redis_key("dead-letter"), letter.position)
    assert isinstance(raw, bytes)
    record = json.loads(raw)
    ingested, _ = parse_articles([good])
    record["batch"] = [ingested[0].model_dump(mode="json")]
    redis_client.lset(settings.redis_key("dead-letter"), letter.position, json.dumps(record))
    run_cli("deadletter", "replay", str(letter.position))
    index = settings.index_name(ARTICLES)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not get_documents(engine, index, [ingested[0].id]):
        time.sleep(0.3)
    stored = get_documents(engine, index, [ingested[0].id])[ingested[0].id]
    assert stored["story_id"] and "G0010" in stored["actors"]
    assert sent.id not in {x.task_id for x in list_dead_letters(redis_client, settings)}
