"""What the incoming-webhook chat channels share (alerts/channels/slack.py,
teams.py): a JSON message a chat channel shows, rendered from the same
AlertContext as the email and the signed webhook. A target is one of these by
a prefix on its URL (``slack+https://...``, ``teams+https://...``) or by its
host, which each channel names. The URL is the credential for these services,
so nothing is signed.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar
from urllib.parse import urlsplit

from alerts.channels import CHANNELS, Channel
from alerts.channels._http import post_json
from alerts.messages import AlertContext
from alerts.targets import MAX_TARGET_CHARS, webhook_url
from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import Settings

# Slack and Teams cut long texts; ours stay well inside their limits.
TITLE_CHARS = 150
TEXT_CHARS = 2500


class ChatChannel(Channel[bytes]):
    """An incoming-webhook chat service: render to its JSON, POST it."""

    # Before the generic webhook: a chat hook is an https URL too.
    precedence = 0
    # The hosts its hooks live on; with ``host_subdomains`` any subdomain too.
    hosts: ClassVar[tuple[str, ...]] = ()
    host_subdomains: ClassVar[bool] = False

    @classmethod
    def recipient_of(cls, target: str) -> str | None:
        """The URL to post to, without the kind prefix; None when not ours."""
        stripped = target.strip()
        if len(stripped) > MAX_TARGET_CHARS:
            return None
        parts = urlsplit(stripped)
        if "+" in parts.scheme:
            # A prefix decides alone: ``teams+https://hooks.slack.com/...`` is a Teams target.
            named = parts.scheme.partition("+")[0]
            return webhook_url(stripped[len(named) + 1:]) if named == cls.kind else None
        return webhook_url(stripped) if cls.takes_host((parts.hostname or "").lower()) else None

    @classmethod
    def takes_host(cls, host: str) -> bool:
        return any(host == known or (cls.host_subdomains and host.endswith(f".{known}")) for known in cls.hosts)

    @classmethod
    def stored_target(cls, target: str) -> str | None:
        # The prefix stays with the rule: without it the URL reads as a generic webhook.
        return target.strip() if cls.recipient_of(target) is not None else None

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
        post_json(self.kind, recipient, payload, {}, self.timeout, self.policy)


def chat_kind(target: str) -> str | None:
    """The kind of the chat channel that takes a target (``slack``, ``teams``), else None."""
    return next((kind for kind, channel in sorted(CHANNELS.items())
                 if issubclass(channel, ChatChannel) and channel.recipient_of(target) is not None), None)


def safe_link(url: str) -> str | None:
    return url if urlsplit(url).scheme in {"http", "https"} else None


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def facts(context: AlertContext) -> list[tuple[str, str]]:
    """The alert's facts as (name, value) lines, unescaped: each service escapes its own way."""
    article = context.article
    lines = [("Rule", f"{context.rule_name} ({context.rule_type})"), ("Outlet", article.source)]
    if context.published:
        lines.append(("Published", context.published))
    if article.actor_names:
        lines.append(("Actors", ", ".join(article.actor_names)))
    if article.attributed_states:
        lines.append(("Attributed to", ", ".join(article.attributed_states)))
    if article.claim_type:
        lines.append(("Claim", article.claim_type))
    if context.summary:
        lines.append(("Why", context.summary))
    return lines
