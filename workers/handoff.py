"""Hand batches to the workers and, when a caller must know, wait for them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from celery.result import AsyncResult

from workers.celery_app import app


def submit_batch(batch: Sequence[dict[str, Any]], keep_off_topic: bool = False) -> str:
    from coverwatch.settings import get_settings
    from workers.batches import BatchStore
    from workers.resources import redis_client
    from workers.tasks import pipeline_for

    ref = BatchStore(redis_client(), get_settings()).put(list(batch))
    result = pipeline_for(ref, keep_off_topic).apply_async()
    return str(result.id)


def _flush_stories() -> None:
    """Whoever waits for the pipeline also wants the story documents current."""
    from coverwatch.settings import get_settings
    from workers.resources import engine, redis_client
    from workers.stories import flush_dirty_stories

    flush_dirty_stories(engine(), redis_client(), get_settings())


def wait_for_batches(chain_ids: Iterable[str], timeout: float = 300) -> dict[str, int]:
    """Wait until every submitted batch and the deliveries it queued have
    finished. Returns how many batches and deliveries succeeded or failed."""
    deadline = time.monotonic() + timeout
    figures = {"batches_ok": 0, "batches_failed": 0, "emails_sent": 0, "emails_already_sent": 0,
               "deliveries_failed": 0}
    delivery_ids: list[str] = []
    for chain_id in chain_ids:
        result = AsyncResult(chain_id, app=app)
        try:
            delivery_ids.extend(result.get(timeout=max(deadline - time.monotonic(), 1),
                                           propagate=True))
            figures["batches_ok"] += 1
        except Exception:  # noqa: BLE001 - any task failure is counted, not raised, here
            figures["batches_failed"] += 1
    _flush_stories()
    for delivery_id in delivery_ids:
        try:
            outcome = AsyncResult(delivery_id, app=app).get(timeout=max(deadline - time.monotonic(), 1))
            figures["emails_sent" if outcome == "sent" else "emails_already_sent"] += 1
        except Exception:  # noqa: BLE001 - as above
            figures["deliveries_failed"] += 1
    return figures
