"""Deployment-wide latency histograms and message ages, kept in Redis.

Why Redis and not prometheus-client's multiprocess mode: that mode shares
counters through files in one directory, so it only sums the processes of one
host, while our workers, crawlers and web processes run on several machines
(containers, pods). Every one of them already talks to the same Redis, where the
pipeline counters (``coverwatch stats``) and source health live, so a histogram
is one more hash there: recording is a single pipelined round trip, and any web
process's ``/metrics`` shows the whole deployment. Prometheus computes rates
from the running totals, so nothing here resets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import redis

from coverwatch.settings import Settings

# From "seconds" (a live worker) to "a day" (a backlog after an outage).
LATENCY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0, 86400.0)
INFINITY = "+Inf"
# Set on every task message when it is published; the oldest waiting message's
# value is how long the queue has been behind.
ENQUEUED_HEADER = "coverwatch_enqueued_at"


@dataclass(frozen=True)
class HistogramSpec:
    name: str
    documentation: str
    buckets: tuple[float, ...] = LATENCY_BUCKETS


PIPELINE_LAG = HistogramSpec("pipeline_lag_seconds", "Seconds from an article's crawl to its write to the index")
ALERT_LATENCY = HistogramSpec("alert_latency_seconds", "Seconds from an article's crawl to its alert being sent")
HISTOGRAMS = (PIPELINE_LAG, ALERT_LATENCY)


def bucket_label(buckets: tuple[float, ...], value: float) -> str:
    """The upper bound of the first bucket that holds ``value``, as Prometheus writes it."""
    for bound in buckets:
        if value <= bound:
            return repr(bound)
    return INFINITY


@dataclass(frozen=True)
class HistogramSnapshot:
    spec: HistogramSpec
    counts: Mapping[str, int]  # per bucket label, not cumulative
    total: float
    count: int

    def cumulative(self) -> list[tuple[str, int]]:
        running, rows = 0, []
        for label in [*(repr(bound) for bound in self.spec.buckets), INFINITY]:
            running += self.counts.get(label, 0)
            rows.append((label, running))
        return rows

    def quantile(self, q: float) -> float | None:
        """Estimated as Prometheus' histogram_quantile does: linear within the bucket
        that holds the q-th observation; the last finite bound when it falls past them."""
        if self.count == 0:
            return None
        rank, lower, below = q * self.count, 0.0, 0
        for bound, (_, cumulative) in zip(self.spec.buckets, self.cumulative(), strict=False):
            if cumulative >= rank:
                inside = cumulative - below
                return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = bound, cumulative
        return self.spec.buckets[-1]


class MetricStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def _key(self, spec: HistogramSpec) -> str:
        return self._settings.redis_key("histogram", spec.name)

    def observe(self, spec: HistogramSpec, values: Iterable[float]) -> None:
        values = [max(value, 0.0) for value in values]
        if not values:
            return
        pipeline = self._client.pipeline(transaction=False)
        key = self._key(spec)
        for value in values:
            pipeline.hincrby(key, bucket_label(spec.buckets, value), 1)
        pipeline.hincrbyfloat(key, "sum", sum(values))
        pipeline.hincrby(key, "count", len(values))
        pipeline.execute()

    def histogram(self, spec: HistogramSpec) -> HistogramSnapshot:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._key(spec)))
        fields = {name.decode(): value for name, value in raw.items()}
        counts = {name: int(value) for name, value in fields.items() if name not in {"sum", "count"}}
        return HistogramSnapshot(spec, counts, float(fields.get("sum", 0.0)), int(fields.get("count", 0)))


def seconds_since(moments: Iterable[datetime], now: datetime) -> list[float]:
    return [(now - moment).total_seconds() for moment in moments]


def stamp_enqueue_time(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """Celery ``before_task_publish`` receiver: note when the message was queued."""
    if headers is not None:
        headers.setdefault(ENQUEUED_HEADER, time.time())


def message_enqueued_at(raw: bytes | str) -> float | None:
    """When a message waiting in a kombu Redis list was published, if it says."""
    try:
        envelope = json.loads(raw)
    except (ValueError, TypeError):
        return None
    headers = envelope.get("headers") if isinstance(envelope, dict) else None
    value = headers.get(ENQUEUED_HEADER) if isinstance(headers, dict) else None
    return float(value) if isinstance(value, int | float) else None


def oldest_waiting_seconds(client: redis.Redis, queues: Mapping[str, list[str]], now: float) -> dict[str, float]:
    """Per stage, the age of its oldest queued message (0 when none waits or none says).
    Kombu pushes on the left and takes from the right, so the oldest is at index -1."""
    pipeline = client.pipeline(transaction=False)
    order = [(stage, key) for stage, keys in queues.items() for key in keys]
    for _, key in order:
        pipeline.lindex(key, -1)
    ages: dict[str, float] = dict.fromkeys(queues, 0.0)
    for (stage, _), raw in zip(order, cast(list[bytes | None], pipeline.execute()), strict=True):
        enqueued = message_enqueued_at(raw) if raw else None
        if enqueued is not None:
            ages[stage] = max(ages[stage], round(now - enqueued, 1))
    return ages
