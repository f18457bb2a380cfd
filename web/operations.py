"""What the whole deployment is doing, read from Redis in a few round trips: the
figures behind ``/metrics`` and ``coverwatch status``."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

import redis

from coverwatch.metrics import HISTOGRAMS, HistogramSnapshot, MetricStore, oldest_waiting_seconds
from coverwatch.settings import Settings
from crawlers.health import SourceState, SourceStates
from search.health import check_health

log = logging.getLogger(__name__)

# How the deliver task's outcomes are counted (workers/tasks.py, workers/base.py):
# its return value as ``alerts.<outcome>``, a transient refusal that will be retried
# as ``alerts.retried``, a message out of retries by the task base.
ALERT_OUTCOMES = ("sent", "already_delivered", "realert_suppressed", "bounced", "skipped_bouncing")
DELIVER_TASK = "workers.deliver"


@dataclass(frozen=True)
class QueueFigures:
    waiting: int
    oldest_seconds: float
    in_flight: int


@dataclass(frozen=True)
class DeploymentSnapshot:
    sources: list[SourceState] = field(default_factory=list)
    queues: dict[str, QueueFigures] = field(default_factory=dict)
    dead_letters: int = 0
    histograms: dict[str, HistogramSnapshot] = field(default_factory=dict)
    alert_outcomes: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def sources_by_status(self) -> dict[str, int]:
        return dict(Counter(state.status for state in self.sources))


def alert_outcomes(counters: dict[str, int]) -> dict[str, int]:
    outcomes = {outcome: counters.get(f"alerts.{outcome}", 0) for outcome in ALERT_OUTCOMES}
    outcomes["failed_transiently"] = counters.get("alerts.retried", 0)
    outcomes["failed"] = counters.get(f"task.{DELIVER_TASK}.failed", 0)
    return outcomes


def _source_names(settings: Settings) -> list[str]:
    from crawlers.sources import SourceFileError, load_sources

    try:
        return [source.name for source in load_sources(settings.sources_file)]
    except SourceFileError as failure:
        log.warning("no source figures: %s", failure)
        return []


def stage_queue_keys(settings: Settings) -> dict[str, list[str]]:
    """Every Redis list a stage's messages wait in (its queue and the priority lists)."""
    from workers.backlog import _PRIORITY_SEPARATOR, _PRIORITY_STEPS
    from workers.runtime.queues import STAGES

    return {stage: [settings.queue_name(stage),
                    *(f"{settings.queue_name(stage)}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)]
            for stage in STAGES}


def gather_snapshot(client: redis.Redis, settings: Settings) -> DeploymentSnapshot:
    from workers.backlog import pipeline_backlog

    backlog = pipeline_backlog(client, settings)
    ages = oldest_waiting_seconds(client, stage_queue_keys(settings), time.time())
    queues = {}
    for stage, waiting in backlog.queued.items():
        flight = backlog.in_flight.get(stage)
        # A message a worker holds has waited at least as long as it has been held.
        oldest = max(ages.get(stage, 0.0), flight.oldest_seconds if flight else 0.0)
        queues[stage] = QueueFigures(waiting, oldest, flight.messages if flight else 0)
    raw = cast(dict[bytes, bytes], client.hgetall(settings.redis_key("counters")))
    counters = {name.decode(): int(value) for name, value in raw.items()}
    store = MetricStore(client, settings)
    return DeploymentSnapshot(
        sources=SourceStates(client, settings).get_many(_source_names(settings)), queues=queues,
        dead_letters=backlog.dead_letters,
        histograms={spec.name: store.histogram(spec) for spec in HISTOGRAMS},
        alert_outcomes=alert_outcomes(counters), counters=counters)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f}s"
    return f"{value / 60:.1f}m" if value < 7200 else f"{value / 3600:.1f}h"


def status_lines(snapshot: DeploymentSnapshot, listed: int = 10) -> list[str]:
    """``coverwatch status``: sources, queues, lag, alerts, in that order."""
    by_status = snapshot.sources_by_status()
    lines = [f"sources: {len(snapshot.sources)} (" + ", ".join(
        f"{status} {by_status.get(status, 0)}" for status in ("ok", "new", "failing", "drift", "disabled")) + ")"]
    for status, note in (("disabled", "disabled_reason"), ("failing", "last_error"), ("drift", "drift")):
        troubled = [state for state in snapshot.sources if state.status == status]
        for state in troubled[:listed]:
            lines.append(f"  {status:<9} {state.name:<28} {getattr(state, note) or ''}")
        if len(troubled) > listed:
            lines.append(f"  {status:<9} ... and {len(troubled) - listed} more (coverwatch sources)")
    lines.append(f"{'queue':<18} {'waiting':>8} {'in flight':>10} {'oldest':>9}")
    for stage, figures in snapshot.queues.items():
        lines.append(f"  {stage:<16} {figures.waiting:>8} {figures.in_flight:>10} "
                     f"{_seconds(figures.oldest_seconds if figures.waiting or figures.in_flight else None):>9}")
    lines.append(f"dead letters: {snapshot.dead_letters}")
    for title, name in (("pipeline lag, crawl to index", "pipeline_lag_seconds"),
                        ("alert latency, crawl to sent", "alert_latency_seconds")):
        histogram = snapshot.histograms.get(name)
        if histogram is None or histogram.count == 0:
            lines.append(f"{title}: nothing measured yet")
            continue
        lines.append(f"{title}: p50 {_seconds(histogram.quantile(0.5))}, p95 {_seconds(histogram.quantile(0.95))} "
                     f"over {histogram.count}")
    lines.append("alert deliveries: " + ", ".join(f"{outcome} {value}"
                                                  for outcome, value in snapshot.alert_outcomes.items()))
    return lines


def status_report(settings: Settings, client: redis.Redis) -> tuple[list[str], int]:
    """``coverwatch status``: the storage's health through the real connections,
    then, when Redis answers, the deployment's figures; exit status 1 when a part
    is down, with the part named in the first lines rather than a traceback."""
    health = check_health(settings)
    lines = health.lines()
    if "redis" not in health.failing:
        lines += status_lines(gather_snapshot(client, settings))
    return lines, 0 if health.healthy else 1
