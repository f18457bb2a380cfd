"""Slack and Teams targets, their messages from one context, and what SMTP
and HTTP failures mean for a delivery."""

from __future__ import annotations

import json
import smtplib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.channels import channel_kind, open_channel
from alerts.channels._chat import chat_kind
from alerts.channels._http import http_failure
from alerts.channels.slack import SlackChannel, slack_escape
from alerts.channels.teams import TeamsChannel, teams_escape
from alerts.channels.webhook import WebhookChannel
from alerts.messages import AlertContext, alert_context
from alerts.rule_model import AlertRule
from alerts.transports import RecipientRejected, SmtpTransport, TransientSendFailure, TransportError, smtp_failure
from coverwatch.models import Article
from coverwatch.settings import Settings

HOSTILE = "Turla <@channel> & *APT* [click](https://evil.example) <https://evil.example|here>"


def _context() -> AlertContext:
    article = Article(url="https://news.example.com/turla", title=HOSTILE,
                      body="Turla used Kazuar against ministries for a year. " * 5, source="wire",
                      published_at=datetime(2026, 11, 19, 6, 0, tzinfo=UTC), story_id="s9",
                      actor_names=["Turla"], attributed_states=["RU"], claim_type="government")
    return alert_context("r1", "Bears", "match", "Turla", article,
                         Settings(public_url="https://coverwatch.example", outbox_dir=Path("/nonexistent")),
                         "<d1@coverwatch.local>", "reached 3 outlets within 6 hours")


@pytest.mark.parametrize(("target", "kind"), [
    ("https://hooks.slack.com/services/T0/B0/xyz", "slack"),
    ("slack+https://chat.example.org/hooks/1", "slack"),
    ("https://acme.webhook.office.com/webhookb2/abc", "teams"),
    ("teams+https://prod-01.westus.logic.azure.com/workflows/1", "teams"),
    ("https://hooks.example.com/coverwatch", "webhook"),
    ("https://hooks.slack.com.evil.example/x", "webhook"),
    # A prefix decides alone, whatever host follows it.
    ("teams+https://hooks.slack.com/services/T0", "teams"),
])
def test_chat_targets_are_known_by_prefix_or_host(target: str, kind: str) -> None:
    assert channel_kind(target) == kind
    assert (chat_kind(target) or "webhook") == kind


def test_a_rule_keeps_the_prefix_and_the_channel_posts_without_it() -> None:
    rule = AlertRule(name="chat", query_string="Turla", subscribers=["slack+https://chat.example.org/hooks/1"])
    assert rule.subscribers == ["slack+https://chat.example.org/hooks/1"]
    channel, url = open_channel(rule.subscribers[0], Settings())
    assert isinstance(channel, SlackChannel) and url == "https://chat.example.org/hooks/1"
    with pytest.raises(ValueError, match="neither"):
        AlertRule(name="chat", query_string="Turla", subscribers=["slack+http://chat.example.org/hooks/1"])


def test_slack_message_escapes_article_text() -> None:
    message = json.loads(SlackChannel(5).render(_context(), "https://hooks.slack.com/x"))
    text = json.dumps(message)
    assert "<@channel>" not in text and "<https://evil.example|here>" not in text
    assert slack_escape("a <b> & c") == "a &lt;b&gt; &amp; c"
    heading = message["blocks"][0]["text"]["text"]
    assert heading.startswith("*<https://news.example.com/turla|Turla &lt;@channel&gt; &amp;")
    facts = message["blocks"][2]["text"]["text"]
    assert "*Actors:* Turla" in facts and "*Why:* reached 3 outlets" in facts
    assert message["blocks"][3]["elements"][0]["text"].startswith("<https://coverwatch.example/stories/s9|Story>")


def test_teams_card_escapes_markdown_and_links_only_http() -> None:
    message = json.loads(TeamsChannel(5).render(_context(), "https://x.webhook.office.com/y"))
    card = message["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    title = card["body"][0]["text"]
    assert "[click](" not in title and r"\[click\]\(https://evil\.example\)" in title
    assert teams_escape("*bold*") == r"\*bold\*"
    assert [action["url"] for action in card["actions"]] == [
        "https://news.example.com/turla", "https://coverwatch.example/stories/s9",
        card["actions"][2]["url"]]
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Claim"] == "government" and facts["Attributed to"] == "RU"


def test_one_context_three_renderings_agree_on_the_article() -> None:
    context = _context()
    signed = json.loads(WebhookChannel(b"s", 5).render(context, "https://h.example"))
    slack = json.loads(SlackChannel(5).render(context, "https://hooks.slack.com/x"))
    teams = json.loads(TeamsChannel(5).render(context, "https://x.webhook.office.com/y"))
    assert signed["article"]["title"] == HOSTILE
    assert "Turla &lt;@channel&gt;" in slack["text"]
    assert teams["summary"].startswith("[Coverwatch] Bears: Turla <@channel>")


def test_smtp_5xx_for_the_recipient_is_a_bounce_and_4xx_a_retry() -> None:
    refused = smtplib.SMTPRecipientsRefused({"gone@example.org": (550, b"5.1.1 no such user")})
    bounce = smtp_failure(refused, "gone@example.org", "SMTP h:25")
    assert isinstance(bounce, RecipientRejected) and (bounce.code, bounce.reason) == (550, "5.1.1 no such user")
    later = smtp_failure(smtplib.SMTPRecipientsRefused({"x@example.org": (451, b"4.3.0 try later")}), "x@example.org",
                         "SMTP h:25")
    assert isinstance(later, TransientSendFailure) and later.code == 451
    assert isinstance(smtp_failure(smtplib.SMTPDataError(554, b"5.7.1 rejected"), "x@example.org", "h"),
                      RecipientRejected)
    assert isinstance(smtp_failure(smtplib.SMTPDataError(452, b"full"), "x@example.org", "h"), TransientSendFailure)
    # Our own sender refused, or no connection at all: retried (the operator fixes it).
    assert isinstance(smtp_failure(smtplib.SMTPSenderRefused(553, b"no", "a@b"), "x@example.org", "h"),
                      TransientSendFailure)
    assert isinstance(smtp_failure(ConnectionRefusedError(), "x@example.org", "h"), TransientSendFailure)


def test_http_answers_of_a_hook() -> None:
    assert isinstance(http_failure("u", 410, "channel archived"), RecipientRejected)
    assert isinstance(http_failure("u", 429, ""), TransientSendFailure)
    assert isinstance(http_failure("u", 503, ""), TransientSendFailure)
    other = http_failure("u", 400, "invalid_payload")
    assert isinstance(other, TransportError) and not isinstance(other, TransientSendFailure)


def test_smtp_url_options() -> None:
    plain = SmtpTransport("smtp://alerts%40corp:p%3Ass@relay.example:587?starttls=yes&timeout=5")
    assert (plain.host, plain.port, plain.starttls, plain.implicit_tls) == ("relay.example", 587, True, False)
    assert (plain.username, plain.password, plain.timeout) == ("alerts@corp", "p:ss", 5.0)
    tls = SmtpTransport("smtps://relay.example")
    assert (tls.port, tls.implicit_tls, tls.starttls) == (465, True, False)
    with pytest.raises(ValueError, match="TLS already"):
        SmtpTransport("smtps://relay.example?starttls=1")
    with pytest.raises(ValueError, match="smtp:// or smtps://"):
        SmtpTransport("http://relay.example")
