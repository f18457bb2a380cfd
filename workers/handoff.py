"""Hand batches to the workers and, when a caller must know, wait for them.

The hand-off builds the pipeline's chain from task names (workers/pipeline.py):
the crawler that imports this module imports no task, and so neither the
alerts nor the search code the stages use."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from celery.result import AsyncResult

from workers.runtime.app import app

log = logging.getLogger(__name__)


def submit_batch(batch: Sequence[dict[str, Any]], keep_off_topic: bool = False) -> str:
    """Store the batch and queue its pipeline. A crawl hands over while the
    broker restarts: the store is retried until it answers again (the publish
    rides out the outage through the app's publish retry policy)."""
    from coverwatch.settings import get_settings
    from workers.pipeline import pipeline_for
    from workers.runtime.batches import BatchStore, through_outage
    from workers.runtime.resources import redis_client

    store = BatchStore(redis_client(), get_settings())
    ref = through_outage(lambda: store.put(list(batch), keep_off_topic=keep_off_topic),
                         f"hand over {len(batch)} articles")
    result = pipeline_for(ref, keep_off_topic).apply_async()
    return str(result.id)


def _flush_stories() -> None:
    """Whoever waits for the pipeline also wants the story documents current."""
    from coverwatch.settings import get_settings
    from workers.resources import engine, redis_client
    from workers.stories import flush_dirty_stories

    flush_dirty_stories(engine(), redis_client(), get_settings())


def wait_for_batches(chain_ids: Iterable[str], timeout: float = 300,
                     progress_every: float = 10.0) -> dict[str, int]:
    """Wait until every submitted batch and the deliveries it queued have
    finished, whichever worker finished them (results are kept per task id, so a
    batch redelivered after a worker's death counts once it is done anywhere).
    Logs progress and what is late every ``progress_every`` seconds. Returns how
    many batches and deliveries succeeded or failed (a batch still unfinished at
    the timeout counts as failed)."""
    deadline = time.monotonic() + timeout
    figures = {"batches_ok": 0, "batches_failed": 0, "emails_sent": 0, "emails_already_sent": 0,
               "deliveries_failed": 0}
    batches = [AsyncResult(chain_id, app=app) for chain_id in chain_ids]
    finished = _wait_all(batches, deadline, progress_every, "batches")
    delivery_ids: list[str] = []
    for result in batches:
        outcome = finished.get(result.id)
        if outcome is None or not outcome.successful():
            figures["batches_failed"] += 1
        else:
            figures["batches_ok"] += 1
            delivery_ids.extend(outcome.result or [])
    _flush_stories()
    deliveries = [AsyncResult(delivery_id, app=app) for delivery_id in delivery_ids]
    finished = _wait_all(deliveries, deadline, progress_every, "deliveries")
    for result in deliveries:
        outcome = finished.get(result.id)
        if outcome is None or not outcome.successful():
            figures["deliveries_failed"] += 1
        else:
            figures["emails_sent" if outcome.result == "sent" else "emails_already_sent"] += 1
    return figures


POLL_SECONDS = 0.5


def _wait_all(results: list[AsyncResult], deadline: float, progress_every: float,
              what: str) -> dict[str, AsyncResult]:
    """Poll until every result is ready or the deadline passes; the ready ones by id."""
    pending = {result.id: result for result in results}
    finished: dict[str, AsyncResult] = {}
    next_report = time.monotonic() + progress_every
    while pending:
        for task_id, result in list(pending.items()):
            if result.ready():
                finished[task_id] = pending.pop(task_id)
        if not pending:
            break
        now = time.monotonic()
        if now >= deadline:
            log.error("gave up waiting: %d of %d %s unfinished; %s", len(pending), len(results), what,
                      _whats_late())
            break
        if now >= next_report:
            next_report = now + progress_every
            log.info("waiting: %d of %d %s done; %s", len(finished), len(results), what, _whats_late())
        time.sleep(POLL_SECONDS)
    return finished


def _whats_late() -> str:
    from coverwatch.settings import get_settings
    from workers.backlog import pipeline_backlog
    from workers.resources import redis_client

    backlog = pipeline_backlog(redis_client(), get_settings())
    held = [f"{stage} {flight.messages} held (oldest {flight.oldest_seconds:.0f}s)"
            for stage, flight in backlog.in_flight.items()]
    queued = [f"{stage} {waiting} queued" for stage, waiting in backlog.queued.items() if waiting]
    returned = backlog.returned_after_worker_death.get("total", 0)
    late = ", ".join([*held, *queued]) or "nothing queued or held"
    return f"{late}; {returned} returned after a worker died" if returned else late
