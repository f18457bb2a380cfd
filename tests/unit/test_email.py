from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message

from alerts.email import render_article_alert
from alerts.rules import AlertRule
from coverwatch.models import Article
from coverwatch.settings import Settings


def _parts(message: Message) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode("utf-8")
    return parts


def _render(title: str = "Turla inside the ministry") -> Message:
    rule = AlertRule(name="Defence espionage", query_string="Turla AND defence",
                     subscribers=["analyst@example.org"])
    article = Article(url="https://news.example.com/a?utm_source=rss", title=title,
                      body="The FSB unit known as Turla read classified files. " * 10,
                      lead="A Russian unit <b>read</b> classified files.", source="northgate-wire",
                      published_at=datetime(2026, 11, 18, 7, 40, tzinfo=UTC))
    settings = Settings(public_url="https://coverwatch.example")
    built = render_article_alert(rule, article, "analyst@example.org", settings, "<x@coverwatch>")
    return message_from_bytes(built.as_bytes())


def test_subject_names_rule_and_title() -> None:
    message = _render()
    assert message["Subject"] == "[Coverwatch] Defence espionage: Turla inside the ministry"
    assert message["To"] == "analyst@example.org"
    assert message["Message-ID"] == "<x@coverwatch>"


def test_text_and_html_parts_link_the_canonical_article() -> None:
    parts = _parts(_render())
    assert set(parts) == {"text/plain", "text/html"}
    assert "https://news.example.com/a\n" in parts["text/plain"]
    assert 'href="https://news.example.com/a"' in parts["text/html"]
    assert "utm_source" not in parts["text/html"]
    assert "18 Nov 2026" in parts["text/plain"]


def test_html_is_escaped_and_subject_cannot_inject_headers() -> None:
    message = _render(title="Spies <script>x</script>\r\nBcc: victim@example.org")
    parts = _parts(message)
    assert "<script>" not in parts["text/html"]
    assert "&lt;b&gt;read&lt;/b&gt;" in parts["text/html"]
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"]).replace("\n ", " ")


def test_indicators_are_shown_defanged_and_techniques_listed() -> None:
    rule = AlertRule(name="C2", query_string="Turla", subscribers=["analyst@example.org"])
    article = Article(url="https://news.example.com/b", title="Turla C2", body="b", source="northgate-wire",
                      indicators=[{"type": "url", "value": "http://evil-update.net/gate.php"},
                                  {"type": "ipv4", "value": "45.77.12.9"}], techniques=["T1566.001"])
    built = render_article_alert(rule, article, "analyst@example.org", Settings(), "<y@coverwatch>")
    for body in _parts(message_from_bytes(built.as_bytes())).values():
        assert "hxxp://evil-update[.]net/gate.php" in body and "45.77.12[.]9" in body
        assert "evil-update.net" not in body and "45.77.12.9" not in body
        assert "T1566.001" in body
