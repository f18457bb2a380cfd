"""COVERWATCH_LOG_FORMAT=json on a real worker: each stage that handles an
article writes a JSON line naming it and the batch, so one search finds its path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from coverwatch.models import Article
from coverwatch.settings import PROJECT_ROOT, Settings
from search.engine import SearchEngine

pytestmark = pytest.mark.integration

SUBMIT = """
import json, sys
from workers.handoff import submit_batch, wait_for_batches
batch = json.loads(sys.stdin.read())
print(json.dumps(wait_for_batches([submit_batch(batch, keep_off_topic=True)], timeout=120)))
"""


def test_every_stage_logs_the_article_and_batch_ids(settings: Settings, engine: SearchEngine,
                                                     tmp_path: Path) -> None:
    from console.demo import reset_deployment
    from workers.process import start_worker, stop_worker

    own = settings.model_copy(update={"index_prefix": f"jsonlog-{uuid.uuid4().hex[:8]}"})
    article = Article(url=f"https://jsonlog.example/{own.index_prefix}", title="Quillmoth seen at Vexport port",
                      body="Port officials said Quillmoth operators were inside the Vexport network. " * 5,
                      source="jsonlog-wire")
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "COVERWATCH_INDEX_PREFIX": own.index_prefix}
    worker = start_worker(own, log_path, concurrency=1, name="jsonlog",
                          extra_env={"COVERWATCH_LOG_FORMAT": "json"})
    try:
        finished = subprocess.run([sys.executable, "-c", SUBMIT], input=json.dumps([article.model_dump(mode="json")]),
                                  capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=180, check=True)
        assert json.loads(finished.stdout.strip().splitlines()[-1])["batches_ok"] == 1, finished.stderr[-2000:]
    finally:
        stop_worker(worker)
        reset_deployment(own)
    lines = []
    for raw in log_path.read_text(encoding="utf-8").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    about_it = [line for line in lines if article.id in line.get("article_ids", [])]
    stages = {line["stage"] for line in about_it}
    assert stages >= {"workers.ingest", "workers.dedupe", "workers.enrich", "workers.cluster", "workers.alerts"}, \
        [line for line in lines if line.get("stage")][:10]
    assert all(line["batch_id"].startswith(own.index_prefix) and line["task_id"] for line in about_it)
    assert len({line["batch_id"] for line in about_it}) >= 2  # each stage hands on a batch of its own
