"""The emails a subscriber gets besides alerts (confirm, digest, goodbye), and
the unsubscribe links every email to a subscriber carries, alerts included.
Templates live one folder per kind under alerts/templates/; this module only
builds their context and the MIME message.

RFC 8058: ``List-Unsubscribe`` names an https URL (and a mailto: for clients
that only do mail) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
says a POST to that URL, with no page and no login, unsubscribes.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts.tokens import LIFETIMES, TokenPurpose, sign_token, signing_key
from coverwatch.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
ONE_CLICK = "List-Unsubscribe=One-Click"
# Headers may be 998 characters long (RFC 5322); folding at 78 would turn a long
# token URL into encoded words that mail clients do not read as a link.
HEADER_LINE_LIMIT = 998

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class SubscriberLinks:
    unsubscribe_url: str
    preferences_url: str
    unsubscribe_mailto: str

    def template_values(self) -> dict[str, str]:
        return {"unsubscribe_url": self.unsubscribe_url, "preferences_url": self.preferences_url}


def subscriber_links(settings: Settings, address: str, rule_id: str | None = None) -> SubscriberLinks:
    """Links for one recipient; with ``rule_id`` the one-click unsubscribe leaves
    that rule only (an alert's), without it every rule (a digest's)."""
    key = signing_key(settings)
    unsubscribe = sign_token(key, TokenPurpose.UNSUBSCRIBE, address, rule_id)
    preferences = sign_token(key, TokenPurpose.PREFERENCES, address)
    sender = parseaddr(settings.mail_from)[1] or "alerts@coverwatch.local"
    return SubscriberLinks(
        unsubscribe_url=f"{settings.public_url}/unsubscribe?token={unsubscribe}",
        preferences_url=f"{settings.public_url}/preferences?token={preferences}",
        unsubscribe_mailto=f"mailto:{sender}?subject={quote('unsubscribe ' + unsubscribe)}",
    )


def add_unsubscribe_headers(message: EmailMessage, links: SubscriberLinks) -> None:
    message.policy = message.policy.clone(max_line_length=HEADER_LINE_LIMIT)
    message["List-Unsubscribe"] = f"<{links.unsubscribe_url}>, <{links.unsubscribe_mailto}>"
    message["List-Unsubscribe-Post"] = ONE_CLICK


def render_parts(folder: str, values: dict[str, Any]) -> tuple[str, str, str]:
    """Subject (on one line, so no title can inject a header), text and HTML."""
    subject = _environment.get_template(f"{folder}/subject.txt").render(values)
    return (" ".join(subject.split()), _environment.get_template(f"{folder}/body.txt").render(values),
            _environment.get_template(f"{folder}/body.html").render(values))


def compose(folder: str, values: dict[str, Any], recipient: str, settings: Settings, message_id: str,
            links: SubscriberLinks | None) -> EmailMessage:
    subject, text, html = render_parts(folder, values)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    if links is not None:
        add_unsubscribe_headers(message, links)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def confirm_email(settings: Settings, address: str, message_id: str) -> EmailMessage:
    """The only message a pending subscriber ever gets. No unsubscribe headers:
    there is no subscription yet, and ignoring the message is the way out."""
    token = sign_token(signing_key(settings), TokenPurpose.CONFIRM, address)
    lifetime_hours = int(LIFETIMES[TokenPurpose.CONFIRM].total_seconds() // 3600)
    values = {"address": address, "confirm_url": f"{settings.public_url}/preferences/confirm?token={token}",
              "valid_hours": lifetime_hours}
    return compose("confirm", values, address, settings, message_id, None)


def goodbye_email(settings: Settings, address: str, message_id: str) -> EmailMessage:
    values = {"address": address, "signup_url": f"{settings.public_url}/preferences/signup"}
    return compose("goodbye", values, address, settings, message_id, None)


def digest_email(settings: Settings, address: str, values: dict[str, Any], message_id: str) -> EmailMessage:
    links = subscriber_links(settings, address)
    # Possibly on-topic items are explained once, above the stories, when there are any.
    has_possible = any(article.possibly_on_topic for story in values["stories"] for article in story.articles)
    shown = {**values, **links.template_values(), "address": address, "has_possible": has_possible}
    return compose("digest", shown, address, settings, message_id, links)

