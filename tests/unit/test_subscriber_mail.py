"""Confirm, digest and alert emails to subscribers: RFC 8058 headers with
working signed links, and hostile article text escaped."""

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts.digests import DigestEntry, group_digest
from alerts.email import render_article_alert
from alerts.rules import AlertRule
from alerts.subscriber_mail import confirm_email, digest_email, goodbye_email
from alerts.tokens import TokenPurpose, signing_key, verify_token
from coverwatch.models import Article
from coverwatch.settings import Settings

HOSTILE = '<script>alert("x")</script> Turla & <b>friends</b>'
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, public_url="https://cw.example", subscriber_secret=None,
                    mail_from="Coverwatch <alerts@cw.example>")


def _parsed(message: EmailMessage) -> Message:
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def _parts(message: Message) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode("utf-8")
    return parts


def _token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def _unsubscribe_links(message: Message) -> tuple[str, str]:
    header = str(message["List-Unsubscribe"])
    https, mailto = (part.strip().strip("<>") for part in header.split(","))
    return https, mailto


def _digest(settings: Settings, title: str, url: str = "https://news.example/a1") -> Message:
    return _parsed(_digest_message(settings, title, url))


def _digest_message(settings: Settings, title: str, url: str = "https://news.example/a1") -> EmailMessage:
    entry = DigestEntry(address="desk@example.org", recipient="desk@example.org", rule_id="r", rule_name=title,
                        group_key="s1", story_id="s1", article_id="a1", title=title, url=url, source="wire",
                        published_at=NOW, lead=f"Lead {title}", queued_at=NOW, due_at=NOW)
    values = {"stories": group_digest([entry], set(), settings.public_url), "rule_names": [title],
              "since": "1 Dec 2026"}
    return digest_email(settings, "desk@example.org", values, "<d@cw>")


def test_digest_carries_one_click_unsubscribe_for_every_rule(settings: Settings) -> None:
    message = _digest(settings, "Turla")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = _unsubscribe_links(message)
    assert https.startswith("https://cw.example/unsubscribe?token=")
    assert mailto.startswith("mailto:alerts@cw.example?subject=unsubscribe")
    grant = verify_token(signing_key(settings), _token(https), TokenPurpose.UNSUBSCRIBE)
    assert (grant.address, grant.rule_id) == ("desk@example.org", None)
    # The header stays one readable line (no encoded words a client cannot click).
    assert b"List-Unsubscribe: <https://cw.example/unsubscribe?token=" in _digest_message(settings, "T").as_bytes()
    html = _parts(message)["text/html"]
    assert "/preferences?token=" in html and "/unsubscribe?token=" in html


def test_digest_escapes_hostile_titles_and_drops_script_links(settings: Settings) -> None:
    message = _digest(settings, HOSTILE, url="javascript:alert(1)")
    html = _parts(message)["text/html"]
    assert "<script>" not in html and "<b>friends" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Turla &amp; &lt;b&gt;friends&lt;/b&gt;" in html
    assert "javascript:" not in html
    assert "\n" not in str(message["Subject"])


def test_subject_cannot_carry_a_header(settings: Settings) -> None:
    message = _digest(settings, "Turla\nBcc: victim@example.org")
    assert message["Bcc"] is None


def test_alert_email_unsubscribes_from_its_rule_only(settings: Settings) -> None:
    rule = AlertRule(name="Defence", query_string="Turla", subscribers=["desk@example.org"])
    article = Article(url="https://news.example/t", title=HOSTILE, body="Turla again. " * 20, source="wire")
    message = _parsed(render_article_alert(rule, article, "desk@example.org", settings, "<a@cw>"))
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, _ = _unsubscribe_links(message)
    grant = verify_token(signing_key(settings), _token(https), TokenPurpose.UNSUBSCRIBE)
    assert grant.rule_id == rule.id
    parts = _parts(message)
    assert "<script>" not in parts["text/html"] and "&lt;script&gt;" in parts["text/html"]
    assert https in parts["text/plain"]


def test_confirm_email_has_a_working_confirm_link_and_nothing_to_unsubscribe(settings: Settings) -> None:
    message = _parsed(confirm_email(settings, "desk@example.org", "<c@cw>"))
    assert message["List-Unsubscribe"] is None
    text = _parts(message)["text/plain"]
    link = next(word for word in text.split() if word.startswith("https://cw.example/preferences/confirm?token="))
    assert verify_token(signing_key(settings), _token(link), TokenPurpose.CONFIRM).address == "desk@example.org"
    assert "72 hours" in text


def test_goodbye_email_says_it_is_the_last(settings: Settings) -> None:
    message = _parsed(goodbye_email(settings, "desk@example.org", "<g@cw>"))
    assert "last message" in " ".join(_parts(message)["text/plain"].split())
    assert message["Subject"] == "[Coverwatch] You are unsubscribed"
