"""A poison message ends as a dead letter with its reason, and can be replayed."""

from __future__ import annotations

import time

import pytest
import redis

from coverwatch.settings import Settings
from tests.e2e.conftest import run_cli
from workers.celery_app import app
from workers.deadletter import list_dead_letters

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
