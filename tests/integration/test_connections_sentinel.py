"""Sentinel for real: a sentinel of our own (redis-server --sentinel on a free
port) watching the run's Redis as its master; the app's client and Celery's
broker and result backend find the master through it."""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from kombu.connection import Connection

from coverwatch.connections import celery_connection, redis_client_for
from coverwatch.settings import Settings, get_settings

pytestmark = pytest.mark.integration
MASTER = "coverwatch-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def sentinel(settings: Settings, services: None, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    config = tmp_path / "sentinel.conf"
    # Slow to judge the master down and no replicas to promote: it only answers
    # "where is the master", it never fails anything over.
    config.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
                      f"sentinel monitor {MASTER} 127.0.0.1 {settings.redis_port} 1\n"
                      f"sentinel down-after-milliseconds {MASTER} 600000\n"
                      f"sentinel failover-timeout {MASTER} 6000000\n", encoding="utf-8")
    process = subprocess.Popen(["redis-server", str(config), "--sentinel"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.execute_command("SENTINEL", "get-master-addr-by-name", MASTER):  # type: ignore[no-untyped-call]
                    break
            except redis.RedisError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the test sentinel did not start")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _through(settings: Settings, sentinel: str) -> Settings:
    # The URL's host is one nobody answers at: only the sentinel can lead to the master.
    return settings.model_copy(update={"redis_url": "redis://unused.invalid:6379/0", "redis_sentinels": sentinel,
                                       "redis_sentinel_master": MASTER})


def test_the_app_client_finds_the_master_through_the_sentinel(settings: Settings, sentinel: str) -> None:
    client = redis_client_for(_through(settings, sentinel))
    key = settings.redis_key("sentinel-test", uuid.uuid4().hex)
    try:
        client.set(key, "through the sentinel", ex=60)
        assert redis.Redis(port=settings.redis_port).get(key) == b"through the sentinel"
    finally:
        client.delete(key)


def test_celery_broker_and_backend_through_the_sentinel(settings: Settings, sentinel: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    connection = celery_connection(_through(settings, sentinel))
    queue = settings.queue_name(f"sentinel-test-{uuid.uuid4().hex[:6]}")
    with Connection(connection.broker_url,  # type: ignore[no-untyped-call]
                    transport_options=connection.broker_transport_options) as broker:
        waiting = broker.SimpleQueue(queue)
        try:
            waiting.put({"article": "a1"})
            message = waiting.get(timeout=10)
            assert message.payload == {"article": "a1"}
            message.ack()
        finally:
            waiting.queue.delete()
            waiting.close()

    from workers.runtime.app import app as deployment_app
    from workers.runtime.app import make_app

    for name, value in {"REDIS_URL": "redis://unused.invalid:6379/0", "REDIS_SENTINELS": sentinel,
                        "REDIS_SENTINEL_MASTER": MASTER}.items():
        monkeypatch.setenv(f"COVERWATCH_{name}", value)
    get_settings.cache_clear()
    try:
        app = make_app()
        task_id = f"sentinel-test-{uuid.uuid4().hex}"
        app.backend.store_result(task_id, {"indexed": 3}, "SUCCESS")
        assert app.AsyncResult(task_id).get(timeout=10) == {"indexed": 3}
        app.backend.forget(task_id)
    finally:
        get_settings.cache_clear()
        deployment_app.set_current()  # a new Celery app makes itself current: later tests get ours back
