"""``GET /metrics``: the whole deployment in the Prometheus text format.

Public like ``/api/health``: it holds counts and ages, no article text or
subscriber. Every scrape reads the shared figures from Redis (web/operations.py),
so any API process answers for every worker and crawler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import redis
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from coverwatch.settings import Settings
from web.operations import DeploymentSnapshot, gather_snapshot
from web.routing import WebDeps, web_route

PREFIX = "coverwatch"
SOURCE_TOTALS = (
    ("polls", "polls_total", "Crawl runs of the source"),
    ("items", "items_total", "Entries listed by the source's feed or sitemap"),
    ("new_items", "new_items_total", "Articles extracted from the source that were new"),
    ("errors", "errors_total", "Fetch errors and rejected documents"),
    ("not_modified", "not_modified_total", "Polls answered 304 Not Modified"),
    ("failed_runs", "failed_runs_total", "Runs that could read nothing from the source"),
)
SOURCE_STATUSES = ("ok", "new", "failing", "drift", "disabled")


def snapshot_metrics(snapshot: DeploymentSnapshot) -> Iterator[Metric]:
    """The snapshot as metric families (pure: tests feed it snapshots directly)."""
    for name, attribute, documentation in SOURCE_TOTALS:
        family = CounterMetricFamily(f"{PREFIX}_source_{name}", documentation, labels=["source"])
        for state in snapshot.sources:
            family.add_metric([state.name], getattr(state, attribute))
        yield family
    status = GaugeMetricFamily(f"{PREFIX}_source_status", "1 for the status each source is in",
                               labels=["source", "status"])
    for state in snapshot.sources:
        status.add_metric([state.name, state.status], 1)
    yield status
    by_status = snapshot.sources_by_status()
    sources = GaugeMetricFamily(f"{PREFIX}_sources", "Sources per health status", labels=["status"])
    for name in SOURCE_STATUSES:
        sources.add_metric([name], by_status.get(name, 0))
    yield sources

    depth = GaugeMetricFamily(f"{PREFIX}_queue_messages", "Messages waiting in a stage's queue", labels=["stage"])
    age = GaugeMetricFamily(f"{PREFIX}_queue_oldest_message_age_seconds",
                            "Age of the stage's oldest waiting or held message", labels=["stage"])
    held = GaugeMetricFamily(f"{PREFIX}_queue_in_flight_messages", "Messages a worker holds, unacknowledged",
                             labels=["stage"])
    for stage, figures in snapshot.queues.items():
        depth.add_metric([stage], figures.waiting)
        age.add_metric([stage], figures.oldest_seconds)
        held.add_metric([stage], figures.in_flight)
    yield from (depth, age, held)
    yield GaugeMetricFamily(f"{PREFIX}_dead_letters", "Messages that used up their retries",
                            value=snapshot.dead_letters)

    for histogram in snapshot.histograms.values():
        yield HistogramMetricFamily(f"{PREFIX}_{histogram.spec.name}", histogram.spec.documentation,
                                    buckets=histogram.cumulative(), sum_value=histogram.total)

    outcomes = CounterMetricFamily(f"{PREFIX}_alert_deliveries", "Alert deliveries by outcome", labels=["outcome"])
    for outcome, value in snapshot.alert_outcomes.items():
        outcomes.add_metric([outcome], value)
    yield outcomes
    events = CounterMetricFamily(f"{PREFIX}_pipeline_events", "The shared pipeline counters (coverwatch stats)",
                                 labels=["event"])
    for event, value in sorted(snapshot.counters.items()):
        events.add_metric([event], value)
    yield events


class DeploymentCollector(Collector):
    def __init__(self, redis_connection: Callable[[], redis.Redis], settings: Settings) -> None:
        self._redis_connection = redis_connection
        self._settings = settings

    def collect(self) -> Iterator[Metric]:
        yield from snapshot_metrics(gather_snapshot(self._redis_connection(), self._settings))


@web_route(order=900)
def metrics_router(deps: WebDeps) -> APIRouter:
    settings, redis_connection = deps.settings, deps.redis_connection
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeploymentCollector(redis_connection, settings))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
