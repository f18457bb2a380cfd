"""Channels and noise control on the real engine: a signed webhook to a local
receiver, realert through a real SMTP server, and the periodic rule task run by
the real Celery workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr

from alerts.channels.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_matches
from alerts.delivery import DeliveryOutcome, deliver_firing
from alerts.rule_model import Firing
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from alerts.transports import TransportError
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import NotFound, SearchEngine
from search.indexes import ARTICLES
from tests.conftest import SmtpSink

pytestmark = pytest.mark.integration

SECRET = "webhook test secret"


class Receiver:
    """A webhook endpoint on 127.0.0.1 that keeps what it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/coverwatch"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    thread = threading.Thread(target=endpoint.server.serve_forever, daemon=True)
    thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()
    thread.join(timeout=5)


def _article(slug: str, story: str | None = None, source: str = "hook-news") -> Article:
    return Article(url=f"https://{source}.example/{slug}", title=f"Volt Typhoon pre-positioned in {slug}",
                   body="Volt Typhoon kept access to water utilities for months. " * 4, source=source,
                   published_at=utc_now() - timedelta(minutes=30), story_id=story, on_topic=True)


def _firing(name: str, article: Article, subscriber: str, **spec: Any) -> Firing:
    rule = parse_rule({"name": name, "query_string": '"Volt Typhoon"', "subscribers": [subscriber], **spec})
    return Firing(rule, article, article.story_id or article.id, utc_now(), "a test firing")


def test_webhook_gets_one_signed_post(engine: SearchEngine, settings: Settings, receiver: Receiver) -> None:
    signing = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    firing = _firing("hook once", _article("utility", story="s-hook"), receiver.url)
    outcomes = [deliver_firing(engine, signing, firing, receiver.url) for _ in range(2)]
    assert outcomes == [DeliveryOutcome.SENT, DeliveryOutcome.ALREADY_DELIVERED]
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["content-type"] == "application/json"
    assert signature_matches(SECRET.encode(), headers[TIMESTAMP_HEADER.lower()], body,
                             headers[SIGNATURE_HEADER.lower()])
    assert abs(int(headers[TIMESTAMP_HEADER.lower()]) - time.time()) < 60
    assert len(headers[DELIVERY_HEADER.lower()]) == 32
    payload = json.loads(body)
    assert payload["rule"]["name"] == "hook once"
    assert payload["article"]["title"] == "Volt Typhoon pre-positioned in utility"
    assert payload["summary"] == "a test firing"


def test_webhook_error_releases_the_claim(engine: SearchEngine, settings: Settings, receiver: Receiver) -> None:
    signing = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    firing = _firing("hook retry", _article("pipeline", story="s-retry"), receiver.url)
    receiver.status = 503
    with pytest.raises(TransportError, match="HTTP 503"):
        deliver_firing(engine, signing, firing, receiver.url)
    receiver.status = 200
    assert deliver_firing(engine, signing, firing, receiver.url) is DeliveryOutcome.SENT
    assert len(receiver.requests) == 2


def test_realert_sends_again_only_after_the_window(engine: SearchEngine, settings: Settings,
                                                   smtp_sink: SmtpSink) -> None:
    subscriber = "realert@example.org"
    mailed = settings.model_copy(update={"smtp_url": smtp_sink.url})
    story = _article("reservoir", story="s-realert")
    firing = _firing("realert hourly", story, subscriber, realert_minutes=60)
    start = utc_now()
    outcomes = [deliver_firing(engine, mailed, firing, subscriber, now=start + timedelta(minutes=minutes))
                for minutes in (0, 10, 59, 61, 90)]
    assert outcomes == [DeliveryOutcome.SENT, DeliveryOutcome.REALERT_SUPPRESSED, DeliveryOutcome.REALERT_SUPPRESSED,
                        DeliveryOutcome.SENT, DeliveryOutcome.REALERT_SUPPRESSED]
    received = [message_from_bytes(raw) for raw in smtp_sink.messages]
    mine = [message for message in received if message["To"] == subscriber]
    assert len(mine) == 2
    assert len({message["Message-ID"] for message in mine}) == 2


def test_email_channel_goes_through_the_configured_smtp(engine: SearchEngine, settings: Settings,
                                                        smtp_sink: SmtpSink) -> None:
    mailed = settings.model_copy(update={"smtp_url": smtp_sink.url})
    firing = _firing("mailto target", _article("dam", story="s-mailto"), "mailto:mailto@example.org")
    assert deliver_firing(engine, mailed, firing, "mailto:mailto@example.org") is DeliveryOutcome.SENT
    mine = [message_from_bytes(raw) for raw in smtp_sink.messages]
    assert [m["To"] for m in mine if m["To"] == "mailto@example.org"] == ["mailto@example.org"]


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _wait_for_mail(sink: SmtpSink, recipient: str, count: int, timeout: float = 60) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while True:
        mine = [m for m in map(_parsed, sink.messages) if m["To"] == recipient]
        if len(mine) >= count or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)


def test_periodic_rules_task_on_real_workers(engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink,
                                             worker: None) -> None:
    from alerts.tasks import evaluate_rules

    subscriber = "beat@example.org"
    source = "beat-threshold-wire"  # no other test's rules or counts look at this outlet
    rule = parse_rule({"name": "beat threshold", "type": "threshold", "query_string": '"Volt Typhoon"',
                       "filters": {"sources": source}, "min_articles": 3, "window_hours": 1,
                       "subscribers": [subscriber]})
    articles = [_article(f"beat-{n}", story=f"s-beat-{n}", source=source) for n in range(3)]
    index = settings.index_name(ARTICLES)
    register_rule(engine, settings, rule)
    bulk_index(engine, index, [a.to_document() for a in articles], refresh=True)
    try:
        evaluate_rules.delay().get(timeout=60)
        mine = _wait_for_mail(smtp_sink, subscriber, 1)
        assert len(mine) == 1
        text = mine[0].get_body(("plain",))
        assert text is not None and "3 matching articles within 1 hour." in text.get_content()
        # The next tick finds the same window full: the claim and realert keep it at one email.
        evaluate_rules.delay().get(timeout=60)
        time.sleep(2)
        assert len(_wait_for_mail(smtp_sink, subscriber, 2, timeout=3)) == 1
    finally:
        delete_rule(engine, settings, rule.name)
        for article in articles:
            with suppress(NotFound):
                engine.request("DELETE", f"/{index}/_doc/{article.id}", params={"refresh": "true"})


def test_racing_senders_with_realert_send_once(engine: SearchEngine, settings: Settings,
                                               smtp_sink: SmtpSink) -> None:
    from concurrent.futures import ThreadPoolExecutor

    subscriber = "race@example.org"
    mailed = settings.model_copy(update={"smtp_url": smtp_sink.url})
    firing = _firing("race hourly", _article("canal", story="s-race"), subscriber, realert_minutes=60)
    later = utc_now() + timedelta(minutes=61)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = list(pool.map(lambda _: deliver_firing(engine, mailed, firing, subscriber), range(6)))
        again = list(pool.map(lambda _: deliver_firing(engine, mailed, firing, subscriber, now=later), range(6)))
    for outcomes in (first, again):
        assert sorted(outcomes) == sorted([DeliveryOutcome.SENT] + [DeliveryOutcome.REALERT_SUPPRESSED] * 5)
    assert len(_wait_for_mail(smtp_sink, subscriber, 3, timeout=2)) == 2
