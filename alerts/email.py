"""Build alert emails. Templates live one folder per email (subject, text, html);
this code only fills them from an alert context and assembles the MIME parts."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts.messages import AlertContext, alert_context
from alerts.subscriber_mail import add_unsubscribe_headers, subscriber_links
from coverwatch.models import Article
from coverwatch.settings import Settings
from workers.indicators import defang

if TYPE_CHECKING:
    from alerts.rule_model import AlertRule

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)
# Indicators are stored refanged; an email shows them defanged, so no client links them.
_environment.filters["defang"] = defang


def render_alert_email(context: AlertContext, recipient: str, settings: Settings) -> EmailMessage:
    # Every email to a subscriber can be left in one click (RFC 8058), this rule only.
    links = subscriber_links(settings, recipient, context.rule_id)
    values = {**context.template_values(recipient), **links.template_values()}
    folder = context.template
    subject = _environment.get_template(f"{folder}/subject.txt").render(values)
    message = EmailMessage()
    # Header injection is impossible through a title: newlines are folded away.
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = context.message_id
    message["X-Coverwatch-Rule"] = context.rule_id
    add_unsubscribe_headers(message, links)
    message.set_content(_environment.get_template(f"{folder}/body.txt").render(values))
    message.add_alternative(_environment.get_template(f"{folder}/body.html").render(values),
                            subtype="html")
    return message


def render_article_alert(
    rule: AlertRule, article: Article, subscriber: str, settings: Settings, message_id: str
) -> EmailMessage:
    """One rule's alert on one article, as a match rule sends it."""
    context = alert_context(rule.id, rule.name, rule.type, rule.query_string, article, settings, message_id)
    return render_alert_email(context, subscriber, settings)
