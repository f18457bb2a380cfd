"""Metrics: histogram buckets and quantiles, message ages, the exposition of a
deployment snapshot (parsed back as Prometheus would), the status screen."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from coverwatch.metrics import (
    ALERT_LATENCY,
    ENQUEUED_HEADER,
    PIPELINE_LAG,
    HistogramSnapshot,
    HistogramSpec,
    bucket_label,
    message_enqueued_at,
    stamp_enqueue_time,
)
from crawlers.health import SourceState
from web.metrics import snapshot_metrics
from web.operations import DeploymentSnapshot, QueueFigures, alert_outcomes, status_lines

SMALL = HistogramSpec("test_seconds", "test", (1.0, 2.5, 10.0))


def test_bucket_label_is_the_first_bound_that_holds_the_value() -> None:
    assert bucket_label(SMALL.buckets, 0.2) == "1.0"
    assert bucket_label(SMALL.buckets, 1.0) == "1.0"
    assert bucket_label(SMALL.buckets, 1.01) == "2.5"
    assert bucket_label(SMALL.buckets, 11) == "+Inf"


def test_cumulative_buckets_and_interpolated_quantiles() -> None:
    snapshot = HistogramSnapshot(SMALL, {"1.0": 50, "2.5": 50}, total=120.0, count=100)
    assert snapshot.cumulative() == [("1.0", 50), ("2.5", 100), ("10.0", 100), ("+Inf", 100)]
    assert snapshot.quantile(0.5) == pytest.approx(1.0)
    assert snapshot.quantile(0.95) == pytest.approx(1.0 + 1.5 * 45 / 50)
    assert snapshot.quantile(0.25) == pytest.approx(0.5)
    beyond = HistogramSnapshot(SMALL, {"+Inf": 4}, total=400.0, count=4)
    assert beyond.quantile(0.5) == 10.0  # past the last bound: that bound, as Prometheus answers
    assert HistogramSnapshot(SMALL, {}, 0.0, 0).quantile(0.5) is None


def test_publish_time_is_stamped_once_and_read_back_from_a_queued_message() -> None:
    headers: dict[str, object] = {"id": "t1", "task": "workers.ingest"}
    stamp_enqueue_time(headers=headers, body=None)
    first = headers[ENQUEUED_HEADER]
    assert isinstance(first, float)
    stamp_enqueue_time(headers=headers)  # a retry republishes: the first queueing time stays
    assert headers[ENQUEUED_HEADER] == first
    envelope = json.dumps({"body": "e30=", "headers": headers, "properties": {"delivery_tag": "x"}})
    assert message_enqueued_at(envelope.encode()) == first
    assert message_enqueued_at(json.dumps({"headers": {"id": "t2"}})) is None
    assert message_enqueued_at(b"not json") is None
    stamp_enqueue_time(headers=None)  # some publishers send no headers: nothing to do


def _snapshot() -> DeploymentSnapshot:
    ok = SourceState("desk-wire", last_success="2026-11-03T10:00:00+00:00", polls_total=12, items_total=340,
                     new_items_total=25, not_modified_total=7, errors_total=1)
    dead = SourceState("gone-feed", disabled_reason="dead address", polls_total=1, errors_total=1,
                       failed_runs_total=1, consecutive_failures=1)
    lag = HistogramSnapshot(PIPELINE_LAG, {"2.5": 3, "10.0": 1}, total=12.0, count=4)
    alerts = HistogramSnapshot(ALERT_LATENCY, {}, 0.0, 0)
    # The task base counts every retry (lease waits too); alerts.retried only transport refusals.
    counters = {"alerts.sent": 5, "alerts.bounced": 1, "alerts.retried": 2, "task.workers.deliver.retried": 3,
                "articles.indexed": 40}
    return DeploymentSnapshot(
        sources=[ok, dead],
        queues={"ingest": QueueFigures(3, 42.5, 1), "alerts": QueueFigures(0, 0.0, 0)}, dead_letters=2,
        histograms={PIPELINE_LAG.name: lag, ALERT_LATENCY.name: alerts},
        alert_outcomes=alert_outcomes(counters), counters=counters)


def _scrape(snapshot: DeploymentSnapshot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    class _Fixed(Collector):
        def collect(self) -> Iterator[Metric]:
            return snapshot_metrics(snapshot)

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed())
    text = generate_latest(registry).decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_snapshot_exposition_parses_back_to_the_same_figures() -> None:
    samples = _scrape(_snapshot())
    assert samples[("coverwatch_source_polls_total", (("source", "desk-wire"),))] == 12
    assert samples[("coverwatch_source_not_modified_total", (("source", "desk-wire"),))] == 7
    assert samples[("coverwatch_source_failed_runs_total", (("source", "gone-feed"),))] == 1
    assert samples[("coverwatch_source_status", (("source", "gone-feed"), ("status", "disabled")))] == 1
    assert samples[("coverwatch_sources", (("status", "ok"),))] == 1
    assert samples[("coverwatch_queue_messages", (("stage", "ingest"),))] == 3
    assert samples[("coverwatch_queue_oldest_message_age_seconds", (("stage", "ingest"),))] == 42.5
    assert samples[("coverwatch_dead_letters", ())] == 2
    assert samples[("coverwatch_pipeline_lag_seconds_bucket", (("le", "2.5"),))] == 3
    assert samples[("coverwatch_pipeline_lag_seconds_bucket", (("le", "+Inf"),))] == 4
    assert samples[("coverwatch_pipeline_lag_seconds_count", ())] == 4
    assert samples[("coverwatch_pipeline_lag_seconds_sum", ())] == 12.0
    assert samples[("coverwatch_alert_deliveries_total", (("outcome", "sent"),))] == 5
    assert samples[("coverwatch_alert_deliveries_total", (("outcome", "failed_transiently"),))] == 2
    assert samples[("coverwatch_pipeline_events_total", (("event", "articles.indexed"),))] == 40


def test_status_screen_names_the_trouble_and_the_figures() -> None:
    text = "\n".join(status_lines(_snapshot()))
    assert "sources: 2 (ok 1, new 0, failing 0, drift 0, disabled 1)" in text
    assert "disabled  gone-feed" in text and "dead address" in text
    assert "ingest" in text and "42.5s" in text
    assert "dead letters: 2" in text
    assert "pipeline lag, crawl to index: p50 2.0s, p95 9.0s over 4" in text
    assert "alert latency, crawl to sent: nothing measured yet" in text
    assert "sent 5" in text and "bounced 1" in text
