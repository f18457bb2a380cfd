"""Celery's worker signals wired to crash recovery: in a worker's main process a
thread heartbeats and runs a recovery round (workers/runtime/recovery.py) at
start and every few seconds, and every message received is noted as held by
this worker."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

import redis
from celery import Celery, signals

from coverwatch.connections import redis_client_for
from coverwatch.settings import Settings, get_settings
from workers.runtime.recovery import beat, record_owner, recover, retire

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
RECOVERY_SECONDS = 5.0


class WorkerLife(threading.Thread):
    """In a worker's main process: the heartbeat, and a recovery round at start
    and every few seconds. Each worker process gets a fresh id, so a restarted
    worker never passes for the one that died."""

    def __init__(self, settings: Settings, app: Celery) -> None:
        super().__init__(name="coverwatch-worker-life", daemon=True)
        self.settings = settings
        self.app = app
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.client = redis_client_for(settings)
        self.stopping = threading.Event()
        beat(self.client, settings, self.worker_id)

    def run(self) -> None:
        next_recovery = 0.0
        while not self.stopping.is_set():
            try:
                beat(self.client, self.settings, self.worker_id)
                if time.monotonic() >= next_recovery:
                    next_recovery = time.monotonic() + RECOVERY_SECONDS
                    self._recover_once()
            except redis.RedisError as failure:
                log.warning("heartbeat or recovery round failed: %s", failure)
            except Exception:  # the beat thread must outlive any one bad round
                log.exception("recovery round failed")
            self.stopping.wait(HEARTBEAT_SECONDS)

    def _recover_once(self) -> None:
        with self.app.connection_for_write() as connection:
            recover(self.client, self.settings, connection.default_channel.qos.restore_by_tag)

    def stop(self) -> None:
        self.stopping.set()
        try:
            retire(self.client, self.settings, self.worker_id)
        except redis.RedisError as failure:
            log.warning("could not retire heartbeat %s: %s", self.worker_id, failure)


_app: list[Celery] = []
_life: list[WorkerLife] = []
_life_guard = threading.Lock()


def worker_life() -> WorkerLife:
    """This worker process's life thread, started on first use."""
    with _life_guard:
        if not _life:
            life = WorkerLife(get_settings(), _app[0])
            life.start()
            _life.append(life)
        return _life[0]


def on_task_received(request: Any, **_: Any) -> None:
    """Celery's ``task_received`` (in the worker's main process, before the task
    runs): note which worker holds the message's tag."""
    tag = getattr(request.message, "delivery_tag", None)
    queue = (request.delivery_info or {}).get("routing_key") or ""
    if not tag:
        return
    life = worker_life()
    try:
        record_owner(life.client, life.settings, str(tag), life.worker_id, str(queue))
    except redis.RedisError as failure:
        log.warning("could not record the holder of %s: %s", tag, failure)


def on_worker_ready(**_: Any) -> None:
    worker_life()


def on_worker_shutdown(**_: Any) -> None:
    with _life_guard:
        for life in _life:
            life.stop()


def watch_worker_lifecycle(app: Celery) -> None:
    """Connect the handlers to Celery's worker signals, recovering through
    ``app``'s broker connection (idempotent)."""
    with _life_guard:
        _app[:] = [app]
    signals.task_received.connect(on_task_received, weak=False, dispatch_uid="coverwatch-owner")
    signals.worker_ready.connect(on_worker_ready, weak=False, dispatch_uid="coverwatch-life")
    signals.worker_shutdown.connect(on_worker_shutdown, weak=False, dispatch_uid="coverwatch-retire")
