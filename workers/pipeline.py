"""The chain one stored batch travels, built from task names: whoever hands work
on (the crawler, a backfill, a dead-letter replay) imports no task module, and
so neither the alerts nor the search code the stages use. The tasks themselves
are in workers/tasks.py, under these names."""

from __future__ import annotations

from typing import Any

from celery import chain

from workers.runtime.app import app
from workers.runtime.batches import BatchRef

INGEST = "workers.ingest"
ENRICH = "workers.enrich"
# The pipeline's stages, in order: ingest → dedupe → enrich → cluster and index → alerts.
PIPELINE = (INGEST, "workers.dedupe", ENRICH, "workers.cluster", "workers.alerts")


def pipeline_for(ref: BatchRef, keep_off_topic: bool = False) -> Any:
    """The chain one stored batch of articles travels, crawled or backfilled alike."""
    return pipeline_from(INGEST, ref, keep_off_topic)


def pipeline_from(task_name: str, ref: BatchRef, keep_off_topic: bool = False) -> Any:
    """The rest of the chain from the stage called ``task_name`` on: a replayed
    dead letter goes on through every later stage, not only the one that failed."""
    if task_name not in PIPELINE:
        raise ValueError(f"{task_name} is not a pipeline stage")
    rest = [app.signature(name, kwargs={"keep_off_topic": keep_off_topic}) if name == ENRICH
            else app.signature(name) for name in PIPELINE[PIPELINE.index(task_name):]]
    return chain(rest[0].clone(args=(ref,)), *rest[1:])


def is_pipeline_stage(task_name: str) -> bool:
    return task_name in PIPELINE
