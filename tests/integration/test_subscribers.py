"""Subscribers on the real engine and a real SMTP server: double opt-in end to
end, the preferences page, bouncing, and RFC 8058 one-click unsubscribe through
the served app (public, no login) after which nothing more is sent."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from fastapi import FastAPI

from alerts.delivery import DeliveryOutcome, deliver_firing
from alerts.matching import Notice
from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from alerts.subscriber_mail import subscriber_links
from alerts.subscribers import SubscriberStatus, add_confirmed, get_subscriber, mark_bouncing
from alerts.subscriptions import route_notices, still_wanted, subscribe
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import DIGEST_ENTRIES
from tests.conftest import SmtpSink
from web.routing import WebDeps
from web.subscriber_pages import subscribers_router

pytestmark = pytest.mark.integration


@pytest.fixture
def mailed(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_url": smtp_sink.url})


@pytest.fixture
def client(mailed: Settings, engine: SearchEngine, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    """The subscriber router alone, served by uvicorn in this process, mailing the SMTP sink."""
    import socket
    import threading

    import uvicorn

    app = FastAPI()
    app.include_router(subscribers_router(WebDeps(mailed, lambda: engine, lambda: redis_client)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        yield http
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def rule(engine: SearchEngine, settings: Settings) -> Iterator[AlertRule]:
    made = parse_rule({"name": f"Turla watch {uuid.uuid4().hex[:6]}", "query_string": "Turla",
                       "subscribers": [f"desk-{uuid.uuid4().hex[:6]}@example.org"]})
    register_rule(engine, settings, made)
    yield made
    delete_rule(engine, settings, made.name)


def _address(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:8]}@example.org"


def _firing(rule: AlertRule, slug: str) -> Firing:
    story = f"s-{slug}-{uuid.uuid4().hex[:6]}"
    article = Article(url=f"https://wire.example/{story}", title=f"Turla <script>x</script> {slug}",
                      body="Turla read the ministry's mail for months. " * 5, source="wire",
                      published_at=utc_now() - timedelta(minutes=5), story_id=story, on_topic=True)
    return Firing(rule, article, story, utc_now())



def _send(engine: SearchEngine, settings: Settings, rule: AlertRule, firing: Firing,
          now: datetime | None = None) -> list[str]:
    """Route one firing like the alerts stage does and send what is due now; the recipients."""
    sent = []
    for notice in route_notices(engine, settings, [Notice(firing, rule.subscribers[0])], now):
        assert deliver_firing(engine, settings, notice.firing, notice.subscriber) is DeliveryOutcome.SENT
        sent.append(notice.subscriber)
    return sent


def _link(message: EmailMessage, prefix: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return next(word for word in str(body.get_content()).split() if word.startswith(prefix))


def test_double_opt_in_end_to_end(client: httpx.Client, engine: SearchEngine, mailed: Settings,
                                  smtp_sink: SmtpSink, rule: AlertRule) -> None:
    address = _address("optin")
    answer = client.post("/preferences/signup", data={"address": address, "timezone": "Europe/Berlin"})
    assert answer.status_code == 200 and "Check your mailbox" in answer.text
    record = get_subscriber(engine, mailed, address)
    assert record is not None and (record.status, record.timezone) == (SubscriberStatus.PENDING, "Europe/Berlin")
    subscribe(engine, mailed, address, rule)

    # Pending: the alert goes to the rule's own subscriber only; a second sign-up sends no second confirm.
    assert _send(engine, mailed, rule, _firing(rule, "pending")) == [rule.subscribers[0]]
    client.post("/preferences/signup", data={"address": address})
    [confirm_mail] = smtp_sink.mail_to(address)
    assert confirm_mail["List-Unsubscribe"] is None
    link = urlsplit(_link(confirm_mail, f"{mailed.public_url}/preferences/confirm?token="))
    target = f"{link.path}?{link.query}"

    assert client.get(target[:-3] + "AAA").status_code == 400  # a tampered link does nothing
    shown = client.get(target)
    assert shown.status_code == 200 and "<form method=\"post\"" in shown.text
    assert get_subscriber(engine, mailed, address).status is SubscriberStatus.PENDING  # type: ignore[union-attr]
    assert client.post(target).status_code == 200
    confirmed = get_subscriber(engine, mailed, address)
    assert confirmed is not None and confirmed.status is SubscriberStatus.CONFIRMED and confirmed.confirmed_at

    assert address in _send(engine, mailed, rule, _firing(rule, "confirmed"))
    confirm_again, alert = smtp_sink.mail_to(address)
    assert confirm_again["Message-ID"] == confirm_mail["Message-ID"]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<{mailed.public_url}/unsubscribe?token=" in str(alert["List-Unsubscribe"])


def test_preferences_page_moves_a_rule_target_to_a_digest(client: httpx.Client, engine: SearchEngine,
                                                          mailed: Settings, rule: AlertRule) -> None:
    address = rule.subscribers[0]
    token = urlsplit(subscriber_links(mailed, address).preferences_url).query
    page = client.get(f"/preferences?{token}")
    assert page.status_code == 200 and rule.name in page.text
    refused = client.post(f"/preferences?{token}", data={f"hour-{rule.id}": "25", f"mode-{rule.id}": "digest"})
    assert refused.status_code == 400 and "hour" in refused.text
    saved = client.post(f"/preferences?{token}", data={"timezone": "Europe/Berlin", f"mode-{rule.id}": "digest",
                                                       f"frequency-{rule.id}": "daily", f"hour-{rule.id}": "7"})
    assert saved.status_code == 200
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    firing = _firing(rule, "prefs")
    assert _send(engine, mailed, rule, firing, now) == []
    answer = engine.request("POST", f"/{mailed.index_name(DIGEST_ENTRIES)}/_search",
                            {"query": {"term": {"group_key": firing.group_key}}})
    [entry] = [hit["_source"] for hit in answer["hits"]["hits"]]
    assert (entry["address"], entry["due_at"]) == (address, "2026-12-02T06:00:00Z")  # 07:00 in Berlin


def test_bouncing_address_gets_nothing(engine: SearchEngine, mailed: Settings, rule: AlertRule) -> None:
    assert still_wanted(engine, mailed, rule, rule.subscribers[0])
    mark_bouncing(rule.subscribers[0], "550 5.1.1 no such user", engine, mailed)
    assert not still_wanted(engine, mailed, rule, rule.subscribers[0])  # an alert queued before is not sent
    assert _send(engine, mailed, rule, _firing(rule, "bounce")) == []
    record = get_subscriber(engine, mailed, rule.subscribers[0])
    assert record is not None and record.status is SubscriberStatus.BOUNCING and "550" in record.status_reason


def _outbox_subjects(folder: Path, address: str) -> list[str]:
    subjects = []
    for path in folder.glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            subjects.append(str(message["Subject"]))
    return subjects


def test_one_click_unsubscribe_on_the_served_app_then_no_more_mail(
        api_url: str, engine: SearchEngine, settings: Settings, mailed: Settings, smtp_sink: SmtpSink,
        rule: AlertRule) -> None:
    address = _address("leaver")
    add_confirmed(engine, mailed, address)
    other = parse_rule({"name": f"Sandworm watch {uuid.uuid4().hex[:6]}", "query_string": "Sandworm",
                        "subscribers": [rule.subscribers[0]]})
    register_rule(engine, settings, other)
    try:
        for subscribed in (rule, other):
            subscribe(engine, mailed, address, subscribed)
        assert address in _send(engine, mailed, rule, _firing(rule, "before"))
        [alert] = smtp_sink.mail_to(address)
        https = str(alert["List-Unsubscribe"]).split(",")[0].strip().strip("<>")
        one_click = api_url + urlsplit(https).path + "?" + urlsplit(https).query

        # GET only shows the button (no login asked for); the POST mail clients send unsubscribes.
        page = httpx.get(one_click, timeout=10)
        assert page.status_code == 200 and "List-Unsubscribe" in page.text
        assert _send(engine, mailed, rule, _firing(rule, "still")) == [rule.subscribers[0], address]
        left = httpx.post(one_click, content="List-Unsubscribe=One-Click", timeout=10,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert left.status_code == 200 and "no more alerts" in left.text
        assert address not in _send(engine, mailed, rule, _firing(rule, "after-rule"))
        assert not still_wanted(engine, mailed, rule, address) and still_wanted(engine, mailed, other, address)
        assert address in _send(engine, mailed, other, _firing(other, "other-rule"))  # only that rule was left

        everything = urlsplit(subscriber_links(settings, address).unsubscribe_url)
        left = httpx.post(f"{api_url}{everything.path}?{everything.query}", content="List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
        assert left.status_code == 200
        before = len(smtp_sink.mail_to(address))
        for subscribed in (rule, other):
            assert address not in _send(engine, mailed, subscribed, _firing(subscribed, "after-all"))
        time.sleep(0.5)
        assert len(smtp_sink.mail_to(address)) == before == 3
        record = get_subscriber(engine, mailed, address)
        assert record is not None and record.status is SubscriberStatus.UNSUBSCRIBED
        # The server's goodbye, the last message, went to its own outbox (the run's COVERWATCH_OUTBOX_DIR).
        assert _outbox_subjects(settings.outbox, address) == ["[Coverwatch] You are unsubscribed"]
    finally:
        delete_rule(engine, settings, other.name)


def test_rest_api_manages_subscribers_for_admins_only(api: httpx.Client, api_url: str, settings: Settings,
                                                      rule: AlertRule) -> None:
    address = _address("rest")
    assert httpx.get(f"{api_url}/api/v1/subscribers", timeout=10).status_code == 401
    added = api.post("/api/v1/subscribers", json={"address": address, "timezone": "Asia/Tokyo"})
    assert added.status_code == 201 and added.json()["status"] == "pending"
    assert api.post("/api/v1/subscribers", json={"address": _address("bad"), "timezone": "Nowhere"}).status_code == 422
    assert address in [record["address"] for record in api.get("/api/v1/subscribers").json()]
    assert api.post(f"/api/v1/subscribers/{address}/confirm").json()["status"] == "confirmed"
    made = api.put(f"/api/v1/subscribers/{address}/subscriptions/{rule.name}",
                   json={"mode": "digest", "digest": {"frequency": "weekly", "weekday": 2, "hour": 9}})
    assert made.status_code == 200 and made.json()["digest"]["weekday"] == 2
    assert api.put(f"/api/v1/subscribers/{address}/subscriptions/no such rule", json={}).status_code == 404
    shown = api.get(f"/api/v1/subscribers/{address}").json()
    assert shown["subscriber"]["timezone"] == "Asia/Tokyo"
    assert [(s["rule_name"], s["mode"], s["active"]) for s in shown["subscriptions"]] == [(rule.name, "digest", True)]
    left = api.delete(f"/api/v1/subscribers/{address}/subscriptions/{rule.name}").json()
    assert left["active"] is False
    assert api.delete(f"/api/v1/subscribers/{address}").json() == {"removed": True}
    assert api.get(f"/api/v1/subscribers/{address}").status_code == 404
    # The confirm email went out through the server's own transport (this run's outbox).
    assert _outbox_subjects(settings.outbox, address) == ["[Coverwatch] Confirm your subscription"]
