from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coverwatch.settings import PROJECT_ROOT, Settings
from search.engine import SearchEngine
from tests.conftest import SmtpSink


@pytest.fixture(scope="session")
def worker(settings: Settings, engine: SearchEngine, smtp_sink: SmtpSink,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real Celery worker process on this run's queues, mailing the SMTP sink."""
    from workers.process import start_worker, stop_worker

    log = tmp_path_factory.mktemp("worker") / "worker.log"
    process = start_worker(settings, log, concurrency=2,
                           extra_env={"COVERWATCH_SMTP_URL": smtp_sink.url})
    yield
    stop_worker(process)


def run_crawl_process(sources_yaml: str, folder: Path, timeout: float = 240) -> dict[str, Any]:
    """Run ``coverwatch crawl --wait`` as its own process (a real Scrapy crawl)."""
    sources_file = folder / "sources.yml"
    sources_file.write_text(sources_yaml, encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "coverwatch.cli", "crawl", "--sources", str(sources_file),
         "--wait", "--timeout", str(timeout)],
        capture_output=True, text=True, env={**os.environ}, cwd=PROJECT_ROOT,
        timeout=timeout + 60, check=False)
    (folder / "crawl.log").write_text(finished.stderr)
    assert finished.returncode == 0, finished.stderr[-4000:]
    outcome: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return outcome
