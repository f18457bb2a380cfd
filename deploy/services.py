"""Start, stop and check the local services (idempotent, PID files, logs under var/).

OpenSearch runs from the Maven-built launcher in ``deploy/opensearch``; Redis is
Debian's ``redis-server``. Both bind to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import redis

from coverwatch.settings import PROJECT_ROOT, Settings

LAUNCHER_DIR = PROJECT_ROOT / "deploy" / "opensearch"
LAUNCHER_JAR = LAUNCHER_DIR / "target" / "coverwatch-opensearch-launcher-1.0.0.jar"
LAUNCHER_MAIN = "io.coverwatch.deploy.EmbeddedOpenSearch"


class ServiceError(RuntimeError):
    """A service could not be started or did not become healthy."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    healthy: bool
    detail: str


@dataclass(frozen=True)
class Service:
    name: str
    command: Callable[[Settings], list[str]]
    probe: Callable[[Settings], ServiceStatus]
    start_timeout: float

    def pid_file(self, settings: Settings) -> Path:
        return settings.var_dir / "run" / f"{self.name}.pid"

    def log_file(self, settings: Settings) -> Path:
        return settings.var_dir / "log" / f"{self.name}.log"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise ServiceError("no java on PATH: OpenSearch 2.19 needs JDK 17 or newer")
    return found


def _launcher_is_current() -> bool:
    if not LAUNCHER_JAR.exists() or not (LAUNCHER_DIR / "target" / "lib").is_dir():
        return False
    built = LAUNCHER_JAR.stat().st_mtime
    inputs = [LAUNCHER_DIR / "pom.xml", *(LAUNCHER_DIR / "src").rglob("*.java")]
    return all(path.stat().st_mtime <= built for path in inputs)


def build_launcher() -> None:
    """Resolve the OpenSearch artifacts from Maven Central and build the launcher
    (again when its source or pom changed since the last build)."""
    if _launcher_is_current():
        return
    mvn = shutil.which("mvn")
    if not mvn:
        raise ServiceError("Maven (mvn) is needed once to fetch the OpenSearch artifacts")
    subprocess.run([mvn, "-q", "-B", "-f", str(LAUNCHER_DIR / "pom.xml"), "package"], check=True)


def _opensearch_command(settings: Settings) -> list[str]:
    build_launcher()
    classpath = f"{LAUNCHER_JAR}{os.pathsep}{LAUNCHER_DIR / 'target' / 'lib' / '*'}"
    return [
        _java(),
        f"-Xms{settings.opensearch_heap}",
        f"-Xmx{settings.opensearch_heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        "-Dlog4j2.formatMsgNoLookups=true",
        f"-Dcoverwatch.home={settings.var_dir / 'opensearch'}",
        f"-Dcoverwatch.http.port={settings.search_port}",
        f"-Dcoverwatch.transport.port={settings.opensearch_transport_port}",
        f"-Dcoverwatch.path.repo={settings.snapshots}",
        f"-Dcoverwatch.cluster.name={settings.opensearch_cluster_name}",
        *([f"-Dcoverwatch.node.name={settings.opensearch_node_name}"] if settings.opensearch_node_name else []),
        *([f"-Dcoverwatch.seed.hosts={settings.opensearch_seed_hosts}",
           f"-Dcoverwatch.initial.managers={settings.opensearch_initial_managers}"]
          if settings.opensearch_seed_hosts else []),
        "-cp",
        classpath,
        LAUNCHER_MAIN,
    ]


def _opensearch_probe(settings: Settings) -> ServiceStatus:
    try:
        answer = httpx.get(f"{settings.search_url}/_cluster/health", timeout=3)
        health = answer.json()
    except (httpx.HTTPError, ValueError) as failure:
        return ServiceStatus("opensearch", False, f"not answering at {settings.search_url}: {failure}")
    status = health.get("status", "unknown")
    return ServiceStatus("opensearch", status in {"green", "yellow"},
                         f"{settings.search_url} cluster {health.get('cluster_name')} {status}")


def _redis_command(settings: Settings) -> list[str]:
    server = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server).exists():
        raise ServiceError("redis-server is not installed (Debian package redis-server)")
    data_dir = settings.var_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    return [server, "--bind", "127.0.0.1", "--port", str(settings.redis_port),
            "--dir", str(data_dir), "--appendonly", "yes", "--save", "",
            "--daemonize", "no", "--protected-mode", "yes"]


def _redis_probe(settings: Settings) -> ServiceStatus:
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
        client.ping()
        info = cast(dict[str, object], client.info("server"))  # sync client: a dict
        version = info.get("redis_version", "?")
    except redis.RedisError as failure:
        return ServiceStatus("redis", False, f"not answering at {settings.redis_url}: {failure}")
    return ServiceStatus("redis", True, f"{settings.redis_url} redis {version}")


SERVICES = (
    Service("redis", _redis_command, _redis_probe, start_timeout=20),
    Service("opensearch", _opensearch_command, _opensearch_probe, start_timeout=180),
)


# Processes this interpreter started, kept so that they are reaped when stopped
# (not reported as "still running" when their Popen object is collected).
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def _read_pid(path: Path) -> int | None:
    """The live process named by a PID file, or None."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    started = _STARTED.get(pid)
    if started is not None:
        # Our own child: poll() reaps it once it has exited, so a zombie is not alive.
        if started.poll() is not None:
            del _STARTED[pid]
            return None
        return pid
    try:
        # Reap it if it is an exited child started without a Popen we kept.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return None
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def start(service: Service, settings: Settings) -> ServiceStatus:
    status = service.probe(settings)
    if status.healthy:
        return status
    if _read_pid(service.pid_file(settings)) is None:
        service.pid_file(settings).parent.mkdir(parents=True, exist_ok=True)
        service.log_file(settings).parent.mkdir(parents=True, exist_ok=True)
        command = service.command(settings)
        with service.log_file(settings).open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True,
                                       cwd=PROJECT_ROOT)
        service.pid_file(settings).write_text(str(process.pid))
        _STARTED[process.pid] = process
    deadline = time.monotonic() + service.start_timeout
    while time.monotonic() < deadline:
        status = service.probe(settings)
        if status.healthy:
            return status
        if _read_pid(service.pid_file(settings)) is None:
            break
        time.sleep(0.5)
    raise ServiceError(f"{service.name} did not become healthy: {status.detail}; "
                       f"see {service.log_file(settings)}")


def stop(service: Service, settings: Settings, timeout: float = 30) -> bool:
    """Stop a service we started; True if something was stopped."""
    pid = _read_pid(service.pid_file(settings))
    if pid is None:
        service.pid_file(settings).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _read_pid(service.pid_file(settings)) is not None:
        time.sleep(0.2)
    if _read_pid(service.pid_file(settings)) is not None:
        os.kill(pid, signal.SIGKILL)
    started = _STARTED.pop(pid, None)
    if started is not None:
        started.wait(timeout)
    service.pid_file(settings).unlink(missing_ok=True)
    return True


def up(settings: Settings) -> list[ServiceStatus]:
    return [start(service, settings) for service in SERVICES]


def down(settings: Settings) -> list[str]:
    return [service.name for service in reversed(SERVICES) if stop(service, settings)]


def status(settings: Settings) -> list[ServiceStatus]:
    return [service.probe(settings) for service in SERVICES]
