"""Is the storage this deployment runs on reachable, through the connections it
really uses: every node of ``COVERWATCH_SEARCH_URL`` with the configured
credentials and CA (search/engine_options.py), and Redis through
coverwatch/connections.py (password, TLS, Sentinel).

``/api/health`` and ``coverwatch status`` read this. The local launcher's probes
(deploy/services.py) know one node on this machine and no credentials, so a
production readiness probe built on them failed on a multi-node URL. Every
failure here is an unhealthy part with a detail that names it (the node URL,
Redis' address or sentinels), never an exception to the caller.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis

from coverwatch.connections import parse_sentinels, redis_client_for
from coverwatch.settings import Settings
from search.engine_options import EngineOptions

# A readiness probe asks every few seconds: a node slower than this is as good as down.
PROBE_SECONDS = 3.0
# Yellow is a cluster missing replicas (any one-node cluster): it still reads and writes.
SERVING_STATUSES = frozenset({"green", "yellow"})


@dataclass(frozen=True)
class PartHealth:
    name: str
    healthy: bool
    detail: str


@dataclass(frozen=True)
class Health:
    parts: tuple[PartHealth, ...]

    @property
    def healthy(self) -> bool:
        return all(part.healthy for part in self.parts)

    @property
    def failing(self) -> list[str]:
        return [part.name for part in self.parts if not part.healthy]

    def part(self, name: str) -> PartHealth | None:
        return next((part for part in self.parts if part.name == name), None)

    def answer(self) -> dict[str, Any]:
        """The JSON ``/api/health`` serves, 200 or 503 alike."""
        return {"healthy": self.healthy, "failing": self.failing,
                "services": {part.name: {"healthy": part.healthy, "detail": part.detail} for part in self.parts}}

    def lines(self) -> list[str]:
        return [f"{part.name}: {'ok' if part.healthy else 'FAILING'} ({part.detail})" for part in self.parts]


def _without_credentials(url: str) -> str:
    """A URL fit for a public answer: no user or password in it. Cut as text,
    so a URL too broken to parse (a bad port) is still named."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def search_node_health(node: str, options: EngineOptions, timeout: float = PROBE_SECONDS) -> PartHealth:
    """One node asked for its cluster's health with the deployment's credentials and trust."""
    name = f"search node {_without_credentials(node)}"
    try:
        answer = httpx.get(f"{node}/_cluster/health", headers=options.headers(), verify=options.ssl_verify(),
                           timeout=timeout)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as failure:
        return PartHealth(name, False, f"not answering: {type(failure).__name__}: {failure}")
    if answer.status_code != 200:
        # 401 and 403 are most often wrong credentials; the status says which.
        return PartHealth(name, False, f"HTTP {answer.status_code}")
    try:
        cluster = answer.json()
        status = str(cluster.get("status", "unknown"))
        cluster_name = str(cluster.get("cluster_name", "?"))
    except (ValueError, AttributeError):
        return PartHealth(name, False, "answered, but not with a cluster health document")
    return PartHealth(name, status in SERVING_STATUSES, f"cluster {cluster_name} {status}")


def search_health(settings: Settings, timeout: float = PROBE_SECONDS) -> list[PartHealth]:
    """Every node, asked at once: one node down must not hold up the answer about the others."""
    try:
        options = EngineOptions.from_settings(settings)
    except ValueError as failure:
        return [PartHealth("search configuration", False, str(failure))]
    with ThreadPoolExecutor(max_workers=len(options.hosts)) as pool:
        return list(pool.map(lambda node: search_node_health(node, options, timeout), options.hosts))


def redis_address(settings: Settings) -> str:
    """Where Redis is reached, without secrets: its sentinels and master name, or its URL."""
    try:
        sentinels = parse_sentinels(settings.redis_sentinels)
    except ValueError:
        sentinels = []
    if sentinels:
        listed = ",".join(f"{host}:{port}" for host, port in sentinels)
        return f"master {settings.redis_sentinel_master} via sentinels {listed}"
    return _without_credentials(settings.redis_url)


def redis_health(settings: Settings, timeout: float = PROBE_SECONDS) -> PartHealth:
    """A PING through the same client every Coverwatch process builds (Sentinel included)."""
    where = redis_address(settings)
    client: redis.Redis | None = None
    try:
        client = redis_client_for(settings, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
    except (redis.RedisError, OSError, ValueError) as failure:
        return PartHealth("redis", False, f"not answering at {where}: {type(failure).__name__}: {failure}")
    finally:
        if client is not None:
            client.close()
    return PartHealth("redis", True, f"answering at {where}")


def check_health(settings: Settings, timeout: float = PROBE_SECONDS) -> Health:
    return Health((redis_health(settings, timeout), *search_health(settings, timeout)))
