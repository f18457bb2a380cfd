"""The channel registry, one context rendered per channel, webhook signing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.channels import (
    CHANNELS,
    Channel,
    ChannelNotConfigured,
    channel_kind,
    normalise_target,
    open_channel,
    register_channel,
)
from alerts.channels.email import EmailChannel
from alerts.channels.webhook import WebhookChannel, sign, signature_matches
from alerts.messages import AlertContext, alert_context
from alerts.rule_model import AlertRule
from alerts.targets import InvalidTarget
from alerts.transports import OutboxTransport, SmtpTransport, transport_for
from coverwatch.models import Article
from coverwatch.settings import Settings

SECRET = "correct horse battery staple"


def _settings(smtp_url: str | None = None) -> Settings:
    return Settings(public_url="https://coverwatch.example", webhook_secret=SecretStr(SECRET),
                    outbox_dir=Path("/nonexistent/outbox"), smtp_url=smtp_url)


def _context() -> AlertContext:
    article = Article(url="https://news.example.com/volt", title="Volt Typhoon <b>in</b> the grid",
                      body="Volt Typhoon hid in water utilities for months. " * 5, source="grid-news",
                      published_at=datetime(2026, 11, 19, 6, 0, tzinfo=UTC), story_id="s123",
                      attributed_states=["CN"])
    return alert_context("r1", "Grid", "story_growth", '"Volt Typhoon"', article, _settings(),
                         "<d1@coverwatch.local>", "reached 3 outlets within 6 hours",
                         {"outlets": ["a", "b", "c"], "within_hours": 6.0})


def test_targets_pick_their_channel() -> None:
    assert set(CHANNELS) == {"email", "webhook", "slack", "teams", "misp"}
    assert channel_kind("desk@example.org") == "email"
    assert channel_kind("mailto:desk@example.org") == "email"
    assert channel_kind("https://hooks.example.com/x") == "webhook"
    with pytest.raises(InvalidTarget):
        channel_kind("slack:#desk")


class PagerChannel(Channel[str]):
    """A channel of the test's own, to show a new module's targets become valid."""

    kind = "pager"

    @classmethod
    def recipient_of(cls, target: str) -> str | None:
        return target.removeprefix("pager:") if target.startswith("pager:") else None

    @classmethod
    def from_settings(cls, settings: Settings) -> PagerChannel:
        return cls()

    def render(self, context: AlertContext, recipient: str) -> str:
        return context.rule_name

    def send(self, payload: str, recipient: str, delivery_id: str) -> None:
        raise NotImplementedError


def test_target_parsing_asks_the_registry() -> None:
    assert normalise_target(" mailto:desk@example.org ") == "desk@example.org"
    assert normalise_target("slack+https://chat.example.org/h") == "slack+https://chat.example.org/h"
    with pytest.raises(ValueError, match="neither"):
        AlertRule(name="page", query_string="Turla", subscribers=["pager:oncall"])
    register_channel(PagerChannel)
    try:
        rule = AlertRule(name="page", query_string="Turla", subscribers=["pager:oncall"])
        assert rule.subscribers == ["oncall"] and channel_kind("pager:oncall") == "pager"
        with pytest.raises(TypeError, match="taken"):
            register_channel(PagerChannel)
    finally:
        del CHANNELS["pager"]


def test_open_channel_strips_mailto_and_uses_the_configured_transport() -> None:
    channel, recipient = open_channel("mailto:desk@example.org", _settings())
    assert isinstance(channel, EmailChannel) and recipient == "desk@example.org"
    assert isinstance(channel.transport, OutboxTransport)
    webhook, url = open_channel("https://hooks.example.com/x", _settings())
    assert isinstance(webhook, WebhookChannel) and url == "https://hooks.example.com/x"


def test_mail_transport_registry_prefers_smtp_when_configured() -> None:
    assert isinstance(transport_for(_settings()), OutboxTransport)
    assert isinstance(transport_for(_settings(smtp_url="smtp://relay.example:2525")), SmtpTransport)


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ChannelNotConfigured, match="COVERWATCH_WEBHOOK_SECRET"):
        WebhookChannel.from_settings(Settings(webhook_secret=None))


def test_one_context_renders_as_email_and_as_json() -> None:
    context = _context()
    email = EmailChannel(OutboxTransport(Path("/nonexistent")), _settings()).render(context, "desk@example.org")
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None and html is not None
    assert "reached 3 outlets within 6 hours" in text.get_content()
    assert "https://coverwatch.example/stories/s123" in text.get_content()
    assert "&lt;b&gt;in&lt;/b&gt;" in html.get_content()
    payload = json.loads(WebhookChannel(SECRET.encode(), 5).render(context, "https://h.example"))
    assert payload["rule"] == {"id": "r1", "name": "Grid", "type": "story_growth", "query_string": '"Volt Typhoon"'}
    assert payload["summary"] == "reached 3 outlets within 6 hours"
    assert payload["details"] == {"outlets": ["a", "b", "c"], "within_hours": 6.0}
    assert payload["article"]["title"] == "Volt Typhoon <b>in</b> the grid"  # JSON carries text, not markup
    assert payload["article"]["attributed_states"] == ["CN"]
    assert payload["story_url"] == "https://coverwatch.example/stories/s123"


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"a": 1}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET.encode(), "1700000000", body) == f"sha256={expected}"
    good = sign(SECRET.encode(), "1700000000", body)
    assert signature_matches(SECRET.encode(), "1700000000", body, good)
    assert not signature_matches(SECRET.encode(), "1700000001", body, good)
    assert not signature_matches(SECRET.encode(), "1700000000", b'{"a": 2}', good)
    assert not signature_matches(b"another secret", "1700000000", body, good)
