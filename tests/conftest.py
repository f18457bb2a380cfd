"""Test-run isolation: every run gets its own index/queue/key prefix and outbox,
so it can share the local services with a running demo without touching it."""

from __future__ import annotations

import os
import tempfile
import uuid

# Must run before anything reads the settings.
RUN_PREFIX = f"test-{uuid.uuid4().hex[:8]}"
os.environ["COVERWATCH_INDEX_PREFIX"] = RUN_PREFIX
os.environ["COVERWATCH_OUTBOX_DIR"] = tempfile.mkdtemp(prefix="coverwatch-outbox-")
os.environ.pop("COVERWATCH_SMTP_URL", None)
# Small failed-login limits: the refusal tests reach them without dozens of argon2 checks.
os.environ["COVERWATCH_LOGIN_FAILURES_PER_ACCOUNT"] = "3"
os.environ["COVERWATCH_LOGIN_FAILURES_PER_ADDRESS"] = "6"
# Fixture sites, webhook receivers and SMTP sinks are on 127.0.0.1, which the
# network policy refuses by default; the test run allows loopback explicitly.
os.environ["COVERWATCH_ALLOWED_PRIVATE_NETWORKS"] = "127.0.0.0/8"
# The scheduling test writes this file; the workers started for the run read it.
SOURCES_FILE = os.path.join(tempfile.mkdtemp(prefix="coverwatch-sources-"), "sources.yml")
with open(SOURCES_FILE, "w", encoding="utf-8") as sources_file:
    sources_file.write("sources: []\n")
os.environ["COVERWATCH_SOURCES_FILE"] = SOURCES_FILE

from collections.abc import Iterator  # noqa: E402 - after the environment is set
from email import message_from_bytes, policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import pytest  # noqa: E402
import redis  # noqa: E402

from coverwatch.settings import Settings, get_settings  # noqa: E402
from search.engine import SearchEngine  # noqa: E402

if TYPE_CHECKING:
    import httpx

    from web.accounts import AccountStore


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def services(settings: Settings) -> None:
    """The real OpenSearch node and Redis (started here if not already up)."""
    from deploy.services import up

    up(settings)


@pytest.fixture(scope="session")
def engine(settings: Settings, services: None) -> Iterator[SearchEngine]:
    from console.demo import reset_deployment
    from search.engine import connect
    from search.indexes import ensure_indices

    search_engine = connect(settings.search_url)
    ensure_indices(search_engine, settings)
    yield search_engine
    reset_deployment(settings)
    search_engine.close()


@pytest.fixture(scope="session")
def redis_client(settings: Settings, services: None) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        import socket

        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.messages: list[bytes] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port)
        self.url = f"smtp://127.0.0.1:{port}"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = getattr(envelope, "content", b"")
        self.messages.append(content if isinstance(content, bytes) else str(content).encode())
        return "250 Message accepted for delivery"

    def mail_to(self, address: str) -> list[EmailMessage]:
        """Every message received so far addressed to ``address``, parsed."""
        parsed = [message_from_bytes(raw, policy=policy.default) for raw in self.messages]
        return [message for message in parsed if isinstance(message, EmailMessage) and message["To"] == address]


def plain_text(message: EmailMessage) -> str:
    """A received message's plain-text part."""
    return str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture(scope="session")
def worker(settings: Settings, engine: SearchEngine, smtp_sink: SmtpSink,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Real Celery worker processes on this run's queues, mailing the SMTP sink."""
    from workers.process import start_worker, stop_worker

    log = tmp_path_factory.mktemp("worker") / "worker.log"
    # Two worker processes, as on two machines: shared state must make them agree.
    processes = [start_worker(settings, log, concurrency=1, name=name,
                              extra_env={"COVERWATCH_SMTP_URL": smtp_sink.url}) for name in ("one", "two")]
    yield
    for process in processes:
        stop_worker(process)


@pytest.fixture(scope="session")
def api_url(settings: Settings, engine: SearchEngine) -> Iterator[str]:
    """The analyst API served by a real uvicorn process on a free port."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "console.main", "serve"],
        env={**os.environ, "COVERWATCH_API_PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/api/health", timeout=2)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the API server did not start") from None
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


# --- access control: every endpoint but health and login needs a user ---------------------------
FIXTURE_PASSWORD = "fixture-password-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def accounts(settings: Settings, redis_client: redis.Redis) -> AccountStore:
    from web.accounts import AccountStore

    return AccountStore(redis_client, settings)


@pytest.fixture(scope="session")
def api_token(accounts: AccountStore) -> str:
    """An API token of an admin made for this run (scripts and API tests send it)."""
    from web.credentials import Role

    accounts.add_user("fixture-admin", Role.ADMIN, FIXTURE_PASSWORD, "fixture-admin@coverwatch.local")
    return accounts.issue_token("fixture-admin", "tests")[0]


@pytest.fixture(scope="session")
def api_headers(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


@pytest.fixture(scope="session")
def api(api_url: str, api_headers: dict[str, str]) -> Iterator[httpx.Client]:
    """A client of the served API, signed in with the admin token."""
    import httpx

    with httpx.Client(base_url=api_url, headers=api_headers, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def analyst_login(accounts: AccountStore) -> tuple[str, str]:
    """(name, password) of an analyst, for the browser tests' login page."""
    from web.credentials import Role

    accounts.add_user("fixture-analyst", Role.ANALYST, FIXTURE_PASSWORD, "fixture-analyst@coverwatch.local")
    return "fixture-analyst", FIXTURE_PASSWORD
