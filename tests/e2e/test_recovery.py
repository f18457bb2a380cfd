"""A worker killed with SIGKILL in the middle of a stage: its messages come back
within seconds (not at the broker's one-hour visibility timeout), a second
worker finishes the backfill, every article is indexed once with its story, and
the waiting caller learns that the work is done."""

from __future__ import annotations

import importlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import ARTICLES, refresh
from tests.e2e.conftest import own_deployment

pytestmark = pytest.mark.e2e

RECOVERY_BOUND_SECONDS = 120


@pytest.fixture
def deployment(engine: SearchEngine) -> Iterator[Settings]:
    """A deployment of its own for the duration of one case: the run's shared
    workers take none of its messages, so the victim is alone until it dies."""
    with own_deployment(engine, "recovery") as own:
        yield own


def _articles(stage: str) -> list[dict[str, Any]]:
    """Synthetic articles, different for each case."""
    # bench/ lies outside mypy's files; its generator is imported at run time.
    synthetic = importlib.import_module("bench.synthetic")
    records: list[dict[str, Any]] = synthetic.synthetic_articles(240, seed=len(stage) * 31 + ord(stage[0]))
    for number, record in enumerate(records):
        record["url"] = f"{record['url']}/recovery-{stage}-{number}"
        record["body"] = f"{record['body']} Recovery case {stage} {number}."
    return records


def _indexed(engine: SearchEngine, settings: Settings, ids: list[str]) -> list[dict[str, Any]]:
    refresh(engine, settings, ARTICLES)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            {"query": {"ids": {"values": ids}}, "size": len(ids) + 10,
                             "_source": ["story_id"]})
    hits: list[dict[str, Any]] = answer["hits"]["hits"]
    return hits


def _kill_in_stage(settings: Settings, victim_pid: int, stage: str) -> None:
    """SIGKILL the victim's process group while it holds a message of ``stage``
    (in cluster: while it also holds the cluster lock, the worst moment)."""
    from workers.resources import redis_client
    from workers.runtime.locks import cluster_lock
    from workers.runtime.recovery import held_messages

    lock_name = cluster_lock(redis_client(), settings).name
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        holding = any(message.worker_pid == victim_pid and message.owner.stage == stage
                      for message in held_messages(redis_client(), settings))
        if holding and (stage != "cluster" or redis_client().exists(lock_name)):
            os.killpg(victim_pid, signal.SIGKILL)
            return
        time.sleep(0.002)  # an alerts message is held for milliseconds
    raise AssertionError(f"the victim never held a {stage} message")


@pytest.mark.parametrize("stage", ["ingest", "dedupe", "enrich", "cluster", "alerts"])
def test_a_killed_workers_batches_finish_on_another_worker(
        stage: str, deployment: Settings, engine: SearchEngine, tmp_path: Path) -> None:
    from workers.backlog import pipeline_backlog
    from workers.deadletter import list_dead_letters
    from workers.handoff import submit_batch, wait_for_batches
    from workers.process import start_worker, stop_worker
    from workers.resources import redis_client

    records = _articles(stage)
    ids = sorted({Article.model_validate(record).id for record in records})
    # The victim works alone until it dies; a second worker is started after.
    victim = start_worker(deployment, tmp_path / "victim.log", concurrency=1, name=f"victim-{stage}")
    survivor = None
    try:
        chains = [submit_batch(records[i:i + 20], keep_off_topic=True) for i in range(0, len(records), 20)]
        _kill_in_stage(deployment, victim.pid, stage)
        killed_at = time.monotonic()
        victim.wait()
        survivor = start_worker(deployment, tmp_path / "survivor.log", concurrency=1, name=f"survivor-{stage}")
        figures = wait_for_batches(chains, timeout=RECOVERY_BOUND_SECONDS, progress_every=10)
        recovered_in = time.monotonic() - killed_at
    finally:
        stop_worker(victim)
        if survivor is not None:
            stop_worker(survivor)

    assert figures["batches_failed"] == 0 and figures["batches_ok"] == len(chains), figures
    assert recovered_in < RECOVERY_BOUND_SECONDS
    hits = _indexed(engine, deployment, ids)
    assert sorted(hit["_id"] for hit in hits) == ids  # every article, each once
    assert all(hit["_source"].get("story_id") for hit in hits)
    assert list_dead_letters(redis_client(), deployment) == []
    backlog = pipeline_backlog(redis_client(), deployment)
    assert backlog.returned_after_worker_death.get(stage, 0) >= 1
    assert stage not in backlog.in_flight  # nothing left held by the dead worker
