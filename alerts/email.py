"""Build alert emails. Templates live one folder per email (subject, text, html);
this code only assembles the context and the MIME structure."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alerts.rules import AlertRule
from coverwatch.models import Article
from coverwatch.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"
LEAD_CHARS = 400

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def render_article_alert(
    rule: AlertRule, article: Article, subscriber: str, settings: Settings, message_id: str
) -> EmailMessage:
    context = {
        "rule": rule,
        "article": article,
        "subscriber": subscriber,
        "lead": _shorten(article.lead or article.body, LEAD_CHARS),
        "published": article.published_at.strftime("%d %b %Y %H:%M UTC")
        if article.published_at else "",
        "search_url": f"{settings.public_url}/?{urlencode({'q': rule.query_string})}",
    }
    folder = "article_alert"
    subject = _environment.get_template(f"{folder}/subject.txt").render(context)
    message = EmailMessage()
    # Header injection is impossible through a title: newlines are folded away.
    message["Subject"] = " ".join(subject.split())
    message["From"] = settings.mail_from
    message["To"] = subscriber
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["X-Coverwatch-Rule"] = rule.id
    message.set_content(_environment.get_template(f"{folder}/body.txt").render(context))
    message.add_alternative(_environment.get_template(f"{folder}/body.html").render(context),
                            subtype="html")
    return message
