"""Operators see what waits: messages per stage queue and dead letters, from Redis."""

from __future__ import annotations

import json
import uuid

import pytest
import redis

from coverwatch.settings import Settings
from workers.backlog import pipeline_backlog
from workers.runtime.app import app
from workers.runtime.queues import STAGES

pytestmark = pytest.mark.integration


def test_backlog_counts_queued_messages_and_dead_letters(redis_client: redis.Redis, settings: Settings) -> None:
    idle = settings.model_copy(update={"index_prefix": f"backlog-{uuid.uuid4().hex[:8]}"})  # no worker listens
    try:
        assert pipeline_backlog(redis_client, idle).total_queued == 0
        for _ in range(2):
            app.send_task("workers.dedupe", args=["batch-key"], queue=idle.queue_name("dedupe"))
        app.send_task("workers.crawl", args=["wire"], queue=idle.queue_name("crawl"))
        redis_client.rpush(idle.redis_key("dead-letter"), json.dumps({"task": "workers.enrich"}))

        backlog = pipeline_backlog(redis_client, idle)
        assert backlog.queued["dedupe"] == 2 and backlog.queued["crawl"] == 1
        assert backlog.total_queued == 3 and set(backlog.queued) == set(STAGES)
        assert backlog.dead_letters == 1
    finally:
        keys = [*redis_client.scan_iter(match=f"{idle.index_prefix}*")]
        if keys:
            redis_client.unlink(*keys)
