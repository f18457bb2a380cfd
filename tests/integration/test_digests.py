"""One digest per subscriber on the real engine and SMTP server: three rules,
stories grouped and each once, newest first, a story already sent immediately
left out; claimed once however often it is tried; sent by the beat task on the
real Celery workers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from alerts.delivery import DeliveryOutcome, deliver_firing
from alerts.digests import DigestEntry, send_digest, send_due_digests
from alerts.matching import Notice
from alerts.rule_model import AlertRule, DeliveryMode, Firing
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from alerts.schedules import DigestSchedule
from alerts.subscribers import add_confirmed
from alerts.subscriptions import route_notices, subscribe
from alerts.transports import transport_for
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import DIGEST_ENTRIES
from tests.conftest import SmtpSink

pytestmark = pytest.mark.integration

QUEUED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 08:00 in Berlin, the next daily slot


@pytest.fixture
def mailed(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url})


@pytest.fixture
def rules(engine: SearchEngine, settings: Settings) -> Iterator[list[AlertRule]]:
    tag = uuid.uuid4().hex[:6]
    made = [parse_rule({"name": f"{name} {tag}", "query_string": name, "subscribers": [f"desk-{tag}@example.org"]})
            for name in ("Turla", "Sandworm", "Volt Typhoon")]
    for rule in made:
        register_rule(engine, settings, rule)
    yield made
    for rule in made:
        delete_rule(engine, settings, rule.name)


def _article(slug: str, story: str, minutes: int) -> Article:
    return Article(url=f"https://wire.example/{slug}", title=f"<script>alert(1)</script> {slug}",
                   body="State hackers again. " * 10, source=f"outlet-{slug}", story_id=story, on_topic=True,
                   published_at=QUEUED - timedelta(minutes=minutes))



def _entries(engine: SearchEngine, settings: Settings, address: str) -> list[dict[str, str]]:
    answer = engine.request("POST", f"/{settings.index_name(DIGEST_ENTRIES)}/_search",
                            {"query": {"term": {"address": address}}, "size": 100})
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def _subscribe_to_digests(engine: SearchEngine, settings: Settings, address: str, rules: list[AlertRule]) -> None:
    add_confirmed(engine, settings, address, "Europe/Berlin")
    for rule in rules:
        subscribe(engine, settings, address, rule, DeliveryMode.DIGEST, DigestSchedule(hour=8))


def test_one_digest_for_a_subscriber_of_three_rules(engine: SearchEngine, mailed: Settings,
                                                    smtp_sink: SmtpSink, rules: list[AlertRule]) -> None:
    address = f"digest-{uuid.uuid4().hex[:8]}@example.org"
    turla, sandworm, typhoon = rules
    tag = uuid.uuid4().hex[:6]
    ministry, grid, water = f"s-ministry-{tag}", f"s-grid-{tag}", f"s-water-{tag}"
    a1, a2 = _article(f"a1-{tag}", ministry, 300), _article(f"a2-{tag}", ministry, 60)
    b1, c1 = _article(f"b1-{tag}", grid, 30), _article(f"c1-{tag}", water, 10)

    # The water story already reached the subscriber at once, through a rule of its own.
    immediate = parse_rule({"name": f"Immediate {tag}", "query_string": "water", "subscribers": [address]})
    assert deliver_firing(engine, mailed, Firing(immediate, c1, water, QUEUED), address) is DeliveryOutcome.SENT
    _subscribe_to_digests(engine, mailed, address, rules)
    firings = [Firing(turla, a1, ministry, QUEUED), Firing(turla, a2, ministry, QUEUED),
               Firing(sandworm, a2, ministry, QUEUED),  # the same article through a second rule
               Firing(sandworm, b1, grid, QUEUED), Firing(typhoon, c1, water, QUEUED)]
    notices = [Notice(firing, firing.rule.subscribers[0]) for firing in firings]
    sent_now = route_notices(engine, mailed, notices, now=QUEUED)
    assert {notice.subscriber for notice in sent_now} == {turla.subscribers[0]}
    entries = _entries(engine, mailed, address)
    assert len(entries) == 5 and {entry["due_at"] for entry in entries} == {"2026-12-02T07:00:00Z"}

    assert send_due_digests(engine, mailed, now=DUE - timedelta(seconds=1)).get(address) is None  # not due yet
    assert send_due_digests(engine, mailed, now=DUE)[address] == "sent"
    assert send_due_digests(engine, mailed, now=DUE + timedelta(minutes=5)).get(address) is None
    immediate_mail, digest = smtp_sink.mail_to(address)
    assert str(immediate_mail["Subject"]).startswith(f"[Coverwatch] Immediate {tag}")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "2 stories" in text
    # Newest coverage first: the grid story (30 min old) before the ministry (latest 60 min old),
    # each headed by the article that opened it; within a story, newest article first.
    headings = [line.split()[-1] for line in text.splitlines() if line.startswith("== ")]
    assert headings == [f"b1-{tag}", f"a1-{tag}"]
    listed = [line.split()[-1] for line in text.splitlines() if line.startswith(" * ")]
    assert listed == [f"b1-{tag}", f"a2-{tag}", f"a1-{tag}"]  # a2 once, though two rules matched it
    assert f"c1-{tag}" not in text  # sent immediately before
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert {entry["status"] for entry in _entries(engine, mailed, address)} == {"sent"}


def test_a_digest_tried_again_after_a_crash_is_not_sent_twice(engine: SearchEngine, mailed: Settings,
                                                              smtp_sink: SmtpSink, rules: list[AlertRule]) -> None:
    address = f"again-{uuid.uuid4().hex[:8]}@example.org"
    _subscribe_to_digests(engine, mailed, address, rules[:1])
    story = f"s-retry-{uuid.uuid4().hex[:6]}"
    route_notices(engine, mailed, [Notice(Firing(rules[0], _article(story, story, 5), story, QUEUED), address)],
                  now=QUEUED)
    entries = [DigestEntry.model_validate(entry) for entry in _entries(engine, mailed, address)]
    transport = transport_for(mailed)
    assert send_digest(engine, mailed, address, entries, transport, DUE) == "sent"
    # As if the worker died after sending but before marking its entries: the claim holds.
    assert send_digest(engine, mailed, address, entries, transport, DUE) == "already_delivered"
    assert len(smtp_sink.mail_to(address)) == 1


def test_digest_beat_task_on_real_workers(engine: SearchEngine, mailed: Settings, smtp_sink: SmtpSink,
                                          rules: list[AlertRule], worker: None) -> None:
    from alerts.tasks import send_digests

    address = f"beat-{uuid.uuid4().hex[:8]}@example.org"
    _subscribe_to_digests(engine, mailed, address, rules)
    story = f"s-beat-{uuid.uuid4().hex[:6]}"
    long_ago = datetime.now(UTC) - timedelta(days=3)  # its slot has passed: due now
    route_notices(engine, mailed, [Notice(Firing(rule, _article(f"{story}-{n}", story, n), story, long_ago), address)
                                   for n, rule in enumerate(rules)], now=long_ago)
    outcomes = send_digests.delay().get(timeout=60)
    assert outcomes[address] == "sent"
    deadline = time.monotonic() + 30
    while not smtp_sink.mail_to(address) and time.monotonic() < deadline:
        time.sleep(0.2)
    [digest] = smtp_sink.mail_to(address)
    assert "1 story" in str(digest["Subject"])
    assert send_digests.delay().get(timeout=60).get(address) is None
