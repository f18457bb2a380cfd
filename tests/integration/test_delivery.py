"""Exactly-once delivery through a real SMTP server and the real engine."""

from __future__ import annotations

from email import message_from_bytes

import pytest

from alerts.delivery import DeliveryOutcome, deliver_article_alert
from alerts.rules import AlertRule
from alerts.transports import OutboxTransport, SmtpTransport, TransportError
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.conftest import SmtpSink

pytestmark = pytest.mark.integration

RULE = AlertRule(name="delivery-test", query_string="Lazarus", subscribers=["soc@example.org"])


def _article(path: str) -> Article:
    return Article(url=f"https://news.example.com/{path}", title=f"Lazarus lures engineers {path}",
                   body="Lazarus Group sent fake job offers to aerospace engineers. " * 5,
                   source="packet-signal")


def test_smtp_delivery_happens_once(engine: SearchEngine, settings: Settings,
                                    smtp_sink: SmtpSink) -> None:
    transport = SmtpTransport(smtp_sink.url)
    article = _article("once")
    before = len(smtp_sink.messages)
    outcomes = [deliver_article_alert(engine, settings, transport, RULE, article, "soc@example.org")
                for _ in range(3)]
    assert outcomes == [DeliveryOutcome.SENT] + [DeliveryOutcome.ALREADY_DELIVERED] * 2
    received = smtp_sink.messages[before:]
    assert len(received) == 1
    message = message_from_bytes(received[0])
    assert message["Subject"] == f"[Coverwatch] delivery-test: {article.title}"
    assert message["To"] == "soc@example.org"


def test_failed_handover_releases_the_claim(engine: SearchEngine, settings: Settings,
                                            smtp_sink: SmtpSink) -> None:
    article = _article("retry")
    dead = SmtpTransport("smtp://127.0.0.1:1", timeout=2)
    with pytest.raises(TransportError):
        deliver_article_alert(engine, settings, dead, RULE, article, "soc@example.org")
    before = len(smtp_sink.messages)
    outcome = deliver_article_alert(engine, settings, SmtpTransport(smtp_sink.url), RULE, article,
                                    "soc@example.org")
    assert outcome is DeliveryOutcome.SENT
    assert len(smtp_sink.messages) == before + 1


def test_outbox_writes_one_eml_per_delivery(engine: SearchEngine, settings: Settings,
                                            tmp_path: object) -> None:
    from pathlib import Path

    outbox = OutboxTransport(Path(str(tmp_path)))
    article = _article("outbox")
    for _ in range(2):
        deliver_article_alert(engine, settings, outbox, RULE, article, "soc@example.org")
    files = list(Path(str(tmp_path)).glob("*.eml"))
    assert len(files) == 1
    assert b"Lazarus lures engineers outbox" in files[0].read_bytes()
