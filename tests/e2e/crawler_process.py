"""Run a real ``coverwatch crawler`` process for the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from coverwatch.settings import PROJECT_ROOT, Settings

TIME_LIMIT = 6


def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def _alive_crawlers(redis_client: redis.Redis, settings: Settings) -> set[bytes]:
    return set(redis_client.scan_iter(settings.redis_key("crawler-alive", "*"), count=1000))


@contextmanager
def crawler_process(log: Path, redis_client: redis.Redis, settings: Settings,
                    time_limit: int = TIME_LIMIT, jobs: int = 50) -> Iterator[subprocess.Popen[bytes]]:
    """A ``coverwatch crawler`` process, yielded once it heartbeats (its imports
    and warm-up done), so timings in the tests start at its first job."""
    env = {**os.environ, "COVERWATCH_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
           "COVERWATCH_CRAWL_TIME_LIMIT": str(time_limit)}
    before = _alive_crawlers(redis_client, settings)
    with log.open("ab") as output:
        process = subprocess.Popen([sys.executable, "-m", "console.main", "crawler", "--jobs", str(jobs)],
                                   env=env, cwd=PROJECT_ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        eventually(lambda: bool(_alive_crawlers(redis_client, settings) - before), 60, "the crawler to start")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
