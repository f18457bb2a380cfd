"""The stage queues: a task named ``workers.<stage>`` goes to this deployment's
queue for that stage."""

from __future__ import annotations

from typing import Any

from coverwatch.settings import get_settings

STAGES = ("ingest", "dedupe", "enrich", "cluster", "alerts", "deliver", "merge_stories",
          "refresh_stories", "crawl", "dispatch_crawls", "evaluate_rules",
          "send_digests")


def route_to_stage_queue(name: str, args: Any, kwargs: Any, options: Any, task: Any = None,
                         **extra: Any) -> dict[str, str] | None:
    """Send ``workers.<stage>`` to this deployment's queue for that stage. Read at
    send time, so the prefix follows the settings in force then."""
    stage = name.removeprefix("workers.")
    if stage in STAGES:
        return {"queue": get_settings().queue_name(stage)}
    return None
