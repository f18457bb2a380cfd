"""Hostile article text in every output a subscriber receives: the alert email
(HTML part escaped, no active markup) and the webhook body (JSON with no
markup characters, decoding to exactly the article's text)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from alerts.channels.webhook import WebhookChannel
from alerts.email import render_alert_email
from alerts.messages import AlertContext, alert_context
from coverwatch.models import Article
from coverwatch.settings import Settings
from tests.fixtures.hostile import SCRIPT_PAYLOADS, assert_inert
from tests.fixtures.hostile_figures import record_figures, tally

COUNTS: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record() -> Iterator[None]:
    yield
    record_figures("outputs", COUNTS)


def _context(payload: str) -> tuple[AlertContext, Settings]:
    settings = Settings(public_url="https://coverwatch.example", webhook_secret=SecretStr("s"),
                        subscriber_secret=SecretStr("subscriber links key"))
    article = Article(url="https://news.example/a/1", title=f"Breach {payload}", body=f"Body {payload} " * 20,
                      lead=f"Lead {payload}", source="hostile-outlet", authors=[payload],
                      image="https://news.example/i.png")
    return alert_context("rule-1", f"Rule {payload}", "match", f'"{payload}" OR Turla', article, settings,
                         "<m@coverwatch.local>", summary=f"Summary {payload}"), settings


@pytest.mark.parametrize("payload", SCRIPT_PAYLOADS)
def test_alert_email_html_is_inert_and_the_text_part_keeps_the_words(payload: str) -> None:
    context, settings = _context(payload)
    message = tally(COUNTS, lambda: render_alert_email(context, "desk@example.org", settings), ())
    assert message is not None
    html_part = message.get_body(("html",))
    text_part = message.get_body(("plain",))
    assert html_part is not None and text_part is not None
    assert_inert(html_part.get_content())
    assert "Breach" in text_part.get_content()
    assert "\n" not in str(message["Subject"] or "") and "\r" not in str(message["Subject"] or "")


@pytest.mark.parametrize("payload", SCRIPT_PAYLOADS)
def test_webhook_body_has_no_markup_and_decodes_to_the_article(payload: str) -> None:
    context, _ = _context(payload)
    body = tally(COUNTS, lambda: WebhookChannel(b"s", 5).render(context, "https://hooks.example/x"), ())
    assert body is not None
    assert not {b"<", b">", b"&"} & {bytes([byte]) for byte in body}
    decoded = json.loads(body)
    assert decoded["article"]["title"] == f"Breach {payload}"
    assert decoded["rule"]["name"] == f"Rule {payload}"


@pytest.mark.parametrize("payload", [p for p in SCRIPT_PAYLOADS if "data-pwned" in p])
def test_the_inertness_check_catches_each_payload_left_raw(payload: str) -> None:
    with pytest.raises(AssertionError):
        assert_inert(f"<html><body><p>{payload}</p></body></html>")
