"""Exactly once with two alerting workers, on real Celery workers, Redis, the
engine and an SMTP server (aiosmtpd): a worker killed (SIGKILL) in the middle
of a send, a recipient whose server answers 550, one that answers 451 once.
Each (rule, subscriber, story) gives exactly one message at the server; the
bouncing address gets nothing more; the delivery log tells what happened."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.e2e.conftest import own_deployment, run_cli

pytestmark = pytest.mark.e2e

SLOW = "slow@example.org"  # its first RCPT hangs until the sender is killed
FLAKY = "flaky@example.org"  # 451 once, then accepted
BOUNCING = "gone@example.org"  # 550 always
STEADY = ("desk@example.org", "night@example.org")
SLOW_SECONDS = 60.0


class MisbehavingSmtp:
    """A real SMTP server whose replies depend on the recipient."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"smtp://127.0.0.1:{port}"
        self.messages: list[bytes] = []
        self.recipients_tried: Counter[str] = Counter()
        self.slow_started = threading.Event()
        self.flaky_refused = False
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.recipients_tried[address] += 1
        if address == BOUNCING:
            return "550 5.1.1 mailbox unavailable"
        if address == FLAKY and not self.flaky_refused:
            self.flaky_refused = True
            return "451 4.3.0 try again later"
        if address == SLOW and not self.slow_started.is_set():
            self.slow_started.set()
            # Cancelled when the killed client's connection drops: nothing is accepted.
            await asyncio.sleep(SLOW_SECONDS)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"

    def message_ids(self) -> Counter[str]:
        return Counter(str(message_from_bytes(raw)["Message-ID"]) for raw in self.messages)


@pytest.fixture
def smtp() -> Iterator[MisbehavingSmtp]:
    server = MisbehavingSmtp()
    server.controller.start()
    yield server
    server.controller.stop()


@pytest.fixture
def deployment(engine: SearchEngine) -> Iterator[Settings]:
    """A deployment of its own: only this test's workers take its messages."""
    with own_deployment(engine, "alertworkers") as own:
        yield own


def _rule(name: str, subscribers: list[str]) -> dict[str, Any]:
    from alerts.rule_types import parse_rule

    return parse_rule({"name": name, "query_string": "Sandworm", "subscribers": subscribers}).model_dump(mode="json")


def _article(slug: str) -> dict[str, Any]:
    article = Article(url=f"https://grid.example/{slug}", title=f"Sandworm and the grid: {slug}",
                      body="Sandworm cut power to substations again. " * 5, source="grid-wire",
                      published_at=utc_now() - timedelta(minutes=5), story_id=f"story-{slug}", on_topic=True)
    return article.model_dump(mode="json")


def _queue(rule: dict[str, Any], article: dict[str, Any], subscriber: str) -> Any:
    from alerts.tasks import deliver

    occasion = {"group_key": article["story_id"], "fired_at": utc_now().isoformat(), "summary": "",
                "details": {}}
    return deliver.delay(rule, article, subscriber, occasion)


def _victim_pid(settings: Settings, timeout: float = 30) -> int:
    """The worker that holds the (only) deliver message right now."""
    from workers.resources import redis_client
    from workers.runtime.recovery import held_messages

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = {held.worker_pid for held in held_messages(redis_client(), settings) if held.owner.stage == "deliver"}
        if len(holders) == 1:
            return holders.pop()
        time.sleep(0.05)
    raise AssertionError("no single worker holds the slow delivery")


def _wait(results: list[Any], timeout: float) -> list[Any]:
    return [result.get(timeout=timeout, propagate=False) for result in results]


def test_two_workers_one_killed_mid_send_each_delivery_once(
        deployment: Settings, engine: SearchEngine, smtp: MisbehavingSmtp, tmp_path: Path) -> None:
    from alerts.delivery import delivery_id, message_id
    from alerts.delivery_log import RedisBounceList
    from alerts.rule_model import rule_id
    from alerts.subscribers import SubscriberStatus, get_subscriber
    from workers.process import start_worker, stop_worker
    from workers.resources import redis_client

    env = {"COVERWATCH_SMTP_URL": smtp.url}
    workers = [start_worker(deployment, tmp_path / f"{name}.log", concurrency=1, extra_env=env, name=name)
               for name in ("alerting-one", "alerting-two")]
    try:
        slow_rule, steady_rule = _rule("slow grid", [SLOW]), _rule("grid watch", [*STEADY, FLAKY, BOUNCING])
        slow_article = _article("slow")
        first = [_queue(slow_rule, slow_article, SLOW)]
        assert smtp.slow_started.wait(60), "the slow send never reached the server"
        victim = _victim_pid(deployment)
        os.killpg(victim, signal.SIGKILL)
        killed = next(worker for worker in workers if worker.pid == victim)
        killed.wait()
        # Two alerting workers again, as an operator's supervisor would restart one.
        workers.append(start_worker(deployment, tmp_path / "replacement.log", concurrency=1, extra_env=env,
                                    name="alerting-three"))
        articles = [_article(f"sub-{n}") for n in range(3)]
        # Every delivery twice, as two beat ticks or two percolations would queue it.
        # The bouncing address gets one story here, so its first 550 comes before any other try.
        racing = [_queue(steady_rule, article, subscriber)
                  for article in articles for subscriber in steady_rule["subscribers"] for _ in range(2)
                  if subscriber != BOUNCING or article is articles[0]]
        racing.append(_queue(slow_rule, slow_article, SLOW))
        outcomes = _wait(racing, timeout=120)
        # After the bounce: a new story for the bouncing address is not even tried.
        later = _article("after-bounce")
        outcomes += _wait([_queue(steady_rule, later, BOUNCING), _queue(steady_rule, later, STEADY[0])], 60)
        slow_outcome = _wait(first, timeout=120)
    finally:
        for worker in workers:
            stop_worker(worker)

    # The killed attempt's message came back and either sent it itself or found
    # that the second firing had taken the lapsed claim over and sent it.
    assert slow_outcome in (["sent"], ["already_delivered"]), slow_outcome
    assert all(isinstance(outcome, str) for outcome in outcomes), outcomes
    rule_ids = {name: rule_id(name) for name in ("slow grid", "grid watch")}
    expected = {message_id(delivery_id(rule_ids["slow grid"], SLOW, "story-slow"))}
    expected |= {message_id(delivery_id(rule_ids["grid watch"], subscriber, article["story_id"]))
                 for article in [*articles, later] for subscriber in (*STEADY, FLAKY)
                 if article is not later or subscriber == STEADY[0]}
    received = smtp.message_ids()
    assert set(received) == expected
    assert set(received.values()) == {1}, received  # each exactly once
    assert smtp.recipients_tried[BOUNCING] == 1  # marked bouncing at the first 550, never tried again
    assert smtp.recipients_tried[FLAKY] == len(articles) + 1  # one 451, then one RCPT per story
    assert smtp.recipients_tried[SLOW] == 2  # the killed attempt and the one that took its claim over
    assert RedisBounceList(redis_client(), deployment).is_bouncing(BOUNCING)
    marked = get_subscriber(engine, deployment, BOUNCING)
    assert marked is not None and marked.status is SubscriberStatus.BOUNCING

    log = [json.loads(line) for line in run_cli("deliveries", "--json", "--limit", "500").splitlines()]
    by_outcome = Counter(entry["outcome"] for entry in log)
    assert by_outcome["sent"] == len(expected)
    gone = [entry["outcome"] for entry in reversed(log) if entry["subscriber"] == BOUNCING]
    # The later story is dropped by the subscriber check (the record says bouncing) or
    # by the bounce list; either way the log says so and the server never hears of it.
    # The story queued twice: one attempt bounced; its twin, whose log line may
    # come first, found the settled claim, the bounce list or the subscriber record.
    dropped = {"no_longer_wanted", "skipped_bouncing"}
    assert gone.count("bounced") == 1 and set(gone[:-1]) <= {"bounced", "already_delivered", *dropped}, gone
    assert gone[-1] in dropped, gone
    assert by_outcome["failed_transiently"] == 1
    assert by_outcome["already_delivered"] >= len(articles) * len(STEADY)
    [refused_story] = [entry["group_key"] for entry in log if entry["outcome"] == "failed_transiently"]
    flaky = [entry["outcome"] for entry in reversed(log) if entry["subscriber"] == FLAKY
             and entry["group_key"] == refused_story and entry["outcome"] != "already_delivered"]
    assert flaky == ["failed_transiently", "sent"]  # oldest first: refused with 451, then sent once
    only_rule = run_cli("deliveries", "--rule", "slow grid", "--subscriber", SLOW)
    assert "sent" in only_rule and "grid watch" not in only_rule
