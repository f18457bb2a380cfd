from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from coverwatch.settings import PROJECT_ROOT, Settings, get_settings
from search.engine import SearchEngine
from search.indexes import ensure_indices


def run_crawl_process(sources_yaml: str, folder: Path, timeout: float = 240,
                      extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``coverwatch crawl --wait`` as its own process (a real Scrapy crawl)."""
    folder.mkdir(parents=True, exist_ok=True)
    sources_file = folder / "sources.yml"
    sources_file.write_text(sources_yaml, encoding="utf-8")
    finished = subprocess.run(
        [sys.executable, "-m", "console.main", "crawl", "--sources", str(sources_file),
         "--wait", "--timeout", str(timeout)],
        capture_output=True, text=True, env={**os.environ, **(extra_env or {})}, cwd=PROJECT_ROOT,
        timeout=timeout + 60, check=False)
    (folder / "crawl.log").write_text(finished.stderr)
    assert finished.returncode == 0, finished.stderr[-4000:]
    outcome: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    return outcome


def run_cli(*arguments: str, timeout: float = 600) -> str:
    """Run a ``coverwatch`` command as its own process; return its stdout."""
    finished = subprocess.run([sys.executable, "-m", "console.main", *arguments], capture_output=True,
                              text=True, env={**os.environ}, cwd=PROJECT_ROOT, timeout=timeout, check=False)
    assert finished.returncode == 0, finished.stderr[-4000:]
    return finished.stdout


@contextmanager
def own_deployment(engine: SearchEngine, label: str) -> Iterator[Settings]:
    """A prefix of its own (indices, queues, Redis keys) for one case, so the
    run's shared workers take none of its messages; forgotten afterwards."""
    from console.demo import reset_deployment

    previous = os.environ["COVERWATCH_INDEX_PREFIX"]
    os.environ["COVERWATCH_INDEX_PREFIX"] = f"{label}-{uuid.uuid4().hex[:8]}"
    get_settings.cache_clear()
    own = get_settings()
    ensure_indices(engine, own)
    try:
        yield own
    finally:
        reset_deployment(own)
        os.environ["COVERWATCH_INDEX_PREFIX"] = previous
        get_settings.cache_clear()
