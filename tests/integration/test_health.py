"""/api/health and ``coverwatch status`` through the deployment's real
connections: a two-node search URL whose nodes are the run's OpenSearch under
two addresses, then with one node a closed port."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis

from coverwatch.settings import Settings
from web.app import create_app
from web.operations import status_report

pytestmark = pytest.mark.integration


def _other_address(url: str) -> str:
    """The same node under its other loopback name (127.0.0.1 <-> localhost)."""
    parts = urlsplit(url)
    other = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    return urlunsplit((parts.scheme, f"{other}:{parts.port or 9200}", parts.path, "", ""))


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again once the socket is


def _get_health(settings: Settings) -> httpx.Response:
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://coverwatch.test") as client:
            return await client.get("/api/health")

    return asyncio.run(get())


def test_a_two_node_url_with_both_nodes_up_is_healthy(settings: Settings, services: None) -> None:
    node = settings.search_url.rstrip("/")
    two_nodes = settings.model_copy(update={"search_url": f"{node},{_other_address(node)}"})
    answer = _get_health(two_nodes)
    assert answer.status_code == 200, answer.text
    health = answer.json()
    assert health["healthy"] and health["failing"] == []
    assert {f"search node {node}", f"search node {_other_address(node)}", "redis"} <= set(health["services"])
    assert "ingest" in health["pipeline"]["queued"]


def test_a_node_that_is_down_answers_503_naming_it(settings: Settings, services: None,
                                                   redis_client: redis.Redis) -> None:
    down = _closed_port_url()
    one_down = settings.model_copy(update={"search_url": f"{settings.search_url.rstrip('/')},{down}"})
    answer = _get_health(one_down)
    assert answer.status_code == 503, answer.text
    health = answer.json()
    assert health["failing"] == [f"search node {down}"]
    assert not health["services"][f"search node {down}"]["healthy"]
    lines, exit_status = status_report(one_down, redis_client)
    assert exit_status == 1
    assert any(line.startswith(f"search node {down}: FAILING") for line in lines)
    assert any(line.startswith("queue") for line in lines)  # Redis answers, so the figures follow


def test_redis_down_answers_503_naming_redis_and_status_prints_no_traceback(settings: Settings,
                                                                            services: None) -> None:
    no_redis = settings.model_copy(update={"redis_url": f"redis://{urlsplit(_closed_port_url()).netloc}/0"})
    answer = _get_health(no_redis)
    assert answer.status_code == 503, answer.text
    assert answer.json()["failing"] == ["redis"] and "pipeline" not in answer.json()
    lines, exit_status = status_report(no_redis, redis.Redis.from_url(no_redis.redis_url))
    assert exit_status == 1 and lines[0].startswith("redis: FAILING")
