"""Start and stop a real Celery worker process for this deployment's queues."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from coverwatch.settings import PROJECT_ROOT, Settings


def worker_command(settings: Settings, concurrency: int, node_name: str | None = None,
                   stages: Sequence[str] | None = None) -> list[str]:
    """The Celery worker command line for this deployment's stage queues (all of
    them unless ``stages`` names some), so no deployment file lists queues by hand."""
    from workers.runtime.queues import STAGES

    unknown = sorted(set(stages or ()) - set(STAGES))
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; stages are {', '.join(STAGES)}")
    queues = ",".join(settings.queue_name(stage) for stage in (stages or STAGES))
    command = [sys.executable, "-m", "celery", "-A", "workers", "worker", "-Q", queues,
               "-c", str(concurrency), "--loglevel", "INFO",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return command + (["-n", node_name] if node_name else [])


def start_worker(settings: Settings, log_path: Path, concurrency: int = 2,
                 extra_env: Mapping[str, str] | None = None, name: str = "w") -> subprocess.Popen[bytes]:
    node_name = f"{settings.index_prefix}-{os.getpid()}-{name}@{socket.gethostname()}"
    env = {**os.environ, **(extra_env or {}), "COVERWATCH_INDEX_PREFIX": settings.index_prefix}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            worker_command(settings, concurrency, node_name),
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            cwd=PROJECT_ROOT, start_new_session=True)
    _wait_until_answering(node_name, process, timeout=90)
    return process


def _wait_until_answering(node_name: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Block until the worker answers a broadcast ping, i.e. it consumes its queues."""
    from workers.runtime.app import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}")
        if app.control.ping(destination=[node_name], timeout=1.0):
            return
    raise RuntimeError(f"celery worker {node_name} did not answer within {timeout:.0f}s")


def worker_listening(settings: Settings) -> bool:
    """Is any worker consuming this deployment's ingest queue right now?"""
    from workers.runtime.app import app

    replies = app.control.inspect(timeout=1.5).active_queues() or {}
    wanted = settings.queue_name("ingest")
    return any(queue.get("name") == wanted for queues in replies.values() for queue in queues)


@contextmanager
def worker_available(settings: Settings, concurrency: int = 2) -> Iterator[None]:
    """Use the running workers if there are any; otherwise run one for the duration."""
    if worker_listening(settings):
        yield
        return
    process = start_worker(settings, settings.var_dir / "log" / "worker-cli.log", concurrency)
    try:
        yield
    finally:
        stop_worker(process)


def stop_worker(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
