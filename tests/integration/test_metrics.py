"""GET /metrics after a small run on real workers, Redis and the engine, parsed
with prometheus_client's own parser; queue age from the publish-time header."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from crawlers.health import SourceStates
from crawlers.sources import load_sources
from search.engine import SearchEngine

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
SOURCES = """
sources:
  - {name: metrics-wire, urls: "https://wire.example/feed.xml", country: GB, tags: [wire]}
  - {name: metrics-gone, urls: "https://gone.example/feed.xml", country: US, tags: [trade-press]}
"""


def _scrape(api_url: str) -> Samples:
    answer = httpx.get(f"{api_url}/metrics", timeout=10)  # no login: /metrics is public
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text) for sample in family.samples}


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture()
def two_sources(settings: Settings) -> Iterator[None]:
    """The run's sources file lists two outlets for the length of the test."""
    path = Path(settings.sources_file)
    before = path.read_text(encoding="utf-8")
    path.write_text(SOURCES, encoding="utf-8")
    yield
    path.write_text(before, encoding="utf-8")


def _article(slug: str) -> dict[str, Any]:
    article = Article(url=f"https://metrics-desk.example/{slug}", title=f"Quillmoth intrusion at Vexport {slug}",
                      body=f"Investigators said the Quillmoth operators entered the Vexport {slug} network. " * 6,
                      source="metrics-wire", crawled_at=utc_now() - timedelta(seconds=3))
    return article.model_dump(mode="json")


def test_metrics_after_a_small_run(settings: Settings, engine: SearchEngine, worker: None, api_url: str,
                                   redis_client: redis.Redis, two_sources: None) -> None:
    from alerts.rule_types import parse_rule
    from alerts.tasks import deliver
    from workers.handoff import submit_batch, wait_for_batches

    states = SourceStates(redis_client, settings)
    wire, gone = load_sources(settings.sources_file)
    states.record(wire, {"entries": 12, "articles": 3, "errors": {}, "rejected": {}})
    states.record(wire, {"entries": 12, "articles": 0, "not_modified": 1, "errors": {}, "rejected": {}})
    states.record(gone, {"entries": 0, "articles": 0, "errors": {"feed_http_404": 1}, "rejected": {}})
    before = _scrape(api_url)

    tag = uuid.uuid4().hex[:6]
    figures = wait_for_batches([submit_batch([_article(f"{tag}-{n}") for n in range(3)], keep_off_topic=True)],
                               timeout=120)
    assert figures["batches_ok"] == 1, figures
    rule = parse_rule({"name": f"metrics {tag}", "query_string": "Quillmoth",
                       "subscribers": ["desk@example.org"]}).model_dump(mode="json")
    alerted = {**_article(f"{tag}-alert"), "story_id": f"story-{tag}", "on_topic": True}
    occasion = {"group_key": alerted["story_id"], "fired_at": utc_now().isoformat(), "summary": "", "details": {}}
    assert deliver.delay(rule, alerted, "desk@example.org", occasion).get(timeout=60) == "sent"
    after = _scrape(api_url)

    assert _value(after, "coverwatch_source_polls_total", source="metrics-wire") == 2
    assert _value(after, "coverwatch_source_items_total", source="metrics-wire") == 24
    assert _value(after, "coverwatch_source_not_modified_total", source="metrics-wire") == 1
    assert _value(after, "coverwatch_source_errors_total", source="metrics-gone") == 1
    assert _value(after, "coverwatch_source_status", source="metrics-gone", status="disabled") == 1
    assert _value(after, "coverwatch_sources", status="ok") == 1
    # Other tests' leftovers may add observations between the scrapes, never remove any:
    # ours are three articles crawled three seconds before they were submitted.
    lag = "coverwatch_pipeline_lag_seconds"

    def above(samples: Samples, bound: str) -> float:
        return _value(samples, f"{lag}_count") - _value(samples, f"{lag}_bucket", le=bound)

    assert above(after, "2.5") - above(before, "2.5") >= 3
    assert _value(after, f"{lag}_sum") - _value(before, f"{lag}_sum") >= 9
    assert (_value(after, "coverwatch_alert_deliveries_total", outcome="sent")
            - _value(before, "coverwatch_alert_deliveries_total", outcome="sent")) >= 1
    assert _value(after, "coverwatch_alert_latency_seconds_count") - _value(
        before, "coverwatch_alert_latency_seconds_count") >= 1
    assert _value(after, "coverwatch_pipeline_events_total", event="articles.indexed") >= 3
    assert ("coverwatch_queue_messages", (("stage", "ingest"),)) in after
    assert ("coverwatch_queue_oldest_message_age_seconds", (("stage", "cluster"),)) in after


def test_oldest_message_age_comes_from_the_publish_time(redis_client: redis.Redis, settings: Settings) -> None:
    from web.operations import gather_snapshot
    from workers.runtime.app import app
    from workers.tasks import dedupe  # noqa: F401 - loads the task base, which stamps the publish time

    idle = settings.model_copy(update={"index_prefix": f"age-{uuid.uuid4().hex[:8]}"})  # no worker listens
    try:
        app.send_task("workers.dedupe", args=["batch-key"], queue=idle.queue_name("dedupe"))
        time.sleep(1.2)
        app.send_task("workers.dedupe", args=["batch-key-2"], queue=idle.queue_name("dedupe"))
        snapshot = gather_snapshot(redis_client, idle)
        assert snapshot.queues["dedupe"].waiting == 2
        assert 1.0 <= snapshot.queues["dedupe"].oldest_seconds < 30
        assert snapshot.queues["enrich"].oldest_seconds == 0.0
    finally:
        keys = [*redis_client.scan_iter(match=f"{idle.index_prefix}*")]
        if keys:
            redis_client.unlink(*keys)
