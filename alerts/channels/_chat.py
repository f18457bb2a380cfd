"""Slack-style and Teams-style incoming webhooks: a JSON message a chat
channel shows, rendered from the same AlertContext as the email and the
signed webhook. A target is one of these by a prefix on its URL
(``slack+https://...``, ``teams+https://...``) or by its host
(``hooks.slack.com``; ``*.webhook.office.com``, ``outlook.office.com``).
The URL is the credential for these services, so nothing is signed.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from alerts.channels import Channel, WebhookRefused, http_failure, register_channel
from alerts.messages import AlertContext
from alerts.targets import webhook_url
from alerts.transports import TransientSendFailure
from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import Settings

SLACK_HOSTS = ("hooks.slack.com",)
TEAMS_HOSTS = ("webhook.office.com", "outlook.office.com")
# Slack and Teams cut long texts; ours stay well inside their limits.
TITLE_CHARS = 150
TEXT_CHARS = 2500


def chat_kind(target: str) -> str | None:
    """``slack`` or ``teams`` for a chat target, else None."""
    stripped = target.strip()
    for kind in ("slack", "teams"):
        if stripped.lower().startswith(f"{kind}+"):
            return kind
    host = (urlsplit(stripped).hostname or "").lower()
    if any(host == known for known in SLACK_HOSTS):
        return "slack"
    if any(host == known or host.endswith(f".{known}") for known in TEAMS_HOSTS):
        return "teams"
    return None


def chat_url(target: str, kind: str) -> str | None:
    """The URL to post to, without the kind prefix; None when not a ``kind`` target."""
    if chat_kind(target) != kind:
        return None
    stripped = target.strip()
    if stripped.lower().startswith(f"{kind}+"):
        stripped = stripped[len(kind) + 1:]
    return webhook_url(stripped)


def _safe_link(url: str) -> str | None:
    return url if urlsplit(url).scheme in {"http", "https"} else None


def slack_escape(text: str) -> str:
    # Slack's mrkdwn reads <...> as links and mentions; these three are all it asks to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_escape(text: str) -> str:
    """Backslash before the characters Teams' markdown acts on, so a title
    cannot bold, link or list anything."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>~|])", r"\\\1", text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _facts(context: AlertContext) -> list[tuple[str, str]]:
    article = context.article
    facts = [("Rule", f"{context.rule_name} ({context.rule_type})"), ("Outlet", article.source)]
    if context.published:
        facts.append(("Published", context.published))
    if article.actor_names:
        facts.append(("Actors", ", ".join(article.actor_names)))
    if article.attributed_states:
        facts.append(("Attributed to", ", ".join(article.attributed_states)))
    if article.claim_type:
        facts.append(("Claim", article.claim_type))
    if context.summary:
        facts.append(("Why", context.summary))
    return facts


class ChatChannel(Channel[bytes]):
    """An incoming-webhook chat service: render to its JSON, POST it."""

    kind: ClassVar[str]

    def __init__(self, timeout: float, policy: NetPolicy | None = None) -> None:
        self.timeout = timeout
        self.policy = policy or NetPolicy()

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatChannel:
        return cls(settings.webhook_timeout, NetPolicy.from_settings(settings))

    def render(self, context: AlertContext, recipient: str) -> bytes:
        return json.dumps(self.message(context), ensure_ascii=False).encode("utf-8")

    def message(self, context: AlertContext) -> dict[str, Any]:
        raise NotImplementedError

    def send(self, payload: bytes, recipient: str, delivery_id: str) -> None:
        refusal = self.policy.refusal(recipient)
        if refusal is not None:
            raise WebhookRefused(f"{self.kind} {recipient}: refused by the network policy: {refusal}")
        try:
            answer = httpx.post(recipient, content=payload, timeout=self.timeout,
                                headers={"Content-Type": "application/json"})
        except httpx.HTTPError as failure:
            raise TransientSendFailure(f"{self.kind} {recipient}: {failure}") from failure
        if answer.status_code >= 300:
            raise http_failure(recipient, answer.status_code, answer.text)


@register_channel
class SlackChannel(ChatChannel):
    kind = "slack"
    precedence = 0

    @staticmethod
    def recipient_of(target: str) -> str | None:
        return chat_url(target, "slack")

    def message(self, context: AlertContext) -> dict[str, Any]:
        article = context.article
        title = slack_escape(_shorten(article.title, TITLE_CHARS))
        link = _safe_link(article.canonical_url or article.url)
        heading = f"*<{link}|{title}>*" if link else f"*{title}*"
        facts = "\n".join(f"*{name}:* {slack_escape(value)}" for name, value in _facts(context))
        links = [f"<{url}|{label}>" for label, url in (("Story", context.story_url), ("Search", context.search_url))
                 if url and _safe_link(url)]
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _shorten(slack_escape(context.lead), TEXT_CHARS)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
        ]
        if links:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(links)}]})
        # ``text`` is what notifications and clients without blocks show.
        return {"text": f"[Coverwatch] {slack_escape(context.rule_name)}: {title}", "blocks": blocks}


@register_channel
class TeamsChannel(ChatChannel):
    kind = "teams"
    precedence = 0

    @staticmethod
    def recipient_of(target: str) -> str | None:
        return chat_url(target, "teams")

    def message(self, context: AlertContext) -> dict[str, Any]:
        article = context.article
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": teams_escape(_shorten(article.title, TITLE_CHARS)), "weight": "Bolder",
             "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": teams_escape(_shorten(context.lead, TEXT_CHARS)), "wrap": True},
            {"type": "FactSet", "facts": [{"title": name, "value": teams_escape(value)}
                                          for name, value in _facts(context)]},
        ]
        actions = [{"type": "Action.OpenUrl", "title": label, "url": url}
                   for label, url in (("Read the article", article.canonical_url or article.url),
                                      ("Story", context.story_url), ("Search", context.search_url))
                   if url and _safe_link(url)]
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": body, "actions": actions}
        return {"type": "message", "summary": f"[Coverwatch] {context.rule_name}: {article.title}"[:TITLE_CHARS],
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
