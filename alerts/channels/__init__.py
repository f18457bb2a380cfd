"""Delivery channels behind a kind -> class registry, chosen by the subscriber
target: an email address (plain or ``mailto:``) goes by email, a Slack or
Teams incoming webhook gets a chat message (alerts/channels/_chat.py), any
other https URL gets a signed JSON POST. A new channel is one class with
:func:`register_channel`; the most specific (lowest ``precedence``) channel
that takes a target wins. Every channel renders from the same AlertContext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from abc import ABC, abstractmethod
from email.message import EmailMessage
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from alerts.email import render_alert_email
from alerts.messages import AlertContext
from alerts.targets import InvalidTarget, email_address, webhook_url
from alerts.transports import (
    MailTransport,
    RecipientRejected,
    TransientSendFailure,
    TransportError,
    transport_for,
)
from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import Settings

Payload = TypeVar("Payload")
SIGNATURE_HEADER = "X-Coverwatch-Signature"
TIMESTAMP_HEADER = "X-Coverwatch-Timestamp"
DELIVERY_HEADER = "X-Coverwatch-Delivery"
JSON_IN_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class ChannelNotConfigured(RuntimeError):
    """A channel the settings do not allow yet (a webhook without a secret)."""


class WebhookRefused(TransportError):
    """The webhook URL leads into an internal network (coverwatch/netpolicy.py);
    nothing was sent. A TransportError so the delivery claim is released and a
    dead letter replayed after the operator allows the range still sends."""


class Channel(ABC, Generic[Payload]):
    kind: ClassVar[str]
    # Asked first when lower: a Slack hook is an https URL too, but not a generic webhook.
    precedence: ClassVar[int] = 10

    @staticmethod
    @abstractmethod
    def recipient_of(target: str) -> str | None:
        """The recipient a target names for this channel, or None when it is not one of ours."""

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Channel[Payload]:
        ...

    @abstractmethod
    def render(self, context: AlertContext, recipient: str) -> Payload:
        ...

    @abstractmethod
    def send(self, payload: Payload, recipient: str, delivery_id: str) -> None:
        """Hand the message over; TransportError when it may be tried again."""

    def deliver(self, context: AlertContext, recipient: str, delivery_id: str) -> None:
        self.send(self.render(context, recipient), recipient, delivery_id)


CHANNELS: dict[str, type[Channel[Any]]] = {}
ChannelClass = TypeVar("ChannelClass", bound=type[Channel[Any]])


def register_channel(channel: ChannelClass) -> ChannelClass:
    CHANNELS[channel.kind] = channel
    return channel


def channel_kind(target: str) -> str:
    for kind, channel in sorted(CHANNELS.items(), key=lambda entry: entry[1].precedence):
        if channel.recipient_of(target) is not None:
            return kind
    raise InvalidTarget(f"no channel takes {target!r}")


def open_channel(target: str, settings: Settings) -> tuple[Channel[Any], str]:
    """The channel for a target and the recipient it names (``mailto:`` stripped)."""
    channel = CHANNELS[channel_kind(target)]
    return channel.from_settings(settings), channel.recipient_of(target) or target


@register_channel
class EmailChannel(Channel[EmailMessage]):
    kind = "email"

    @staticmethod
    def recipient_of(target: str) -> str | None:
        return email_address(target)

    def __init__(self, transport: MailTransport, settings: Settings) -> None:
        self.transport = transport
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailChannel:
        return cls(transport_for(settings), settings)

    def render(self, context: AlertContext, recipient: str) -> EmailMessage:
        return render_alert_email(context, recipient, self.settings)

    def send(self, payload: EmailMessage, recipient: str, delivery_id: str) -> None:
        self.transport.send(payload, delivery_id)


def http_failure(recipient: str, status: int, answer: str) -> TransportError | RecipientRejected:
    """A hook that is gone (404, 410) or may no longer post (403) is a bounce;
    429 and 5xx are worth retrying; any other answer is a fault to look into
    (retried, then a dead letter)."""
    if status in {403, 404, 410}:
        return RecipientRejected(recipient, status, answer[:300])
    if status == 429 or status >= 500:
        return TransientSendFailure(f"webhook {recipient}: HTTP {status}", status)
    return TransportError(f"webhook {recipient}: HTTP {status}: {answer[:300]}")


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``: the timestamp is signed too, so a
    receiver that checks its age can refuse a replayed request."""
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@register_channel
class WebhookChannel(Channel[bytes]):
    kind = "webhook"

    @staticmethod
    def recipient_of(target: str) -> str | None:
        return webhook_url(target)

    def __init__(self, secret: bytes, timeout: float, policy: NetPolicy | None = None) -> None:
        self.secret = secret
        self.timeout = timeout
        self.policy = policy or NetPolicy()

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookChannel:
        if settings.webhook_secret is None:
            # Unsigned alerts could be forged by anyone who learns the URL.
            raise ChannelNotConfigured("webhook targets need COVERWATCH_WEBHOOK_SECRET")
        return cls(settings.webhook_secret.get_secret_value().encode("utf-8"), settings.webhook_timeout,
                   NetPolicy.from_settings(settings))

    def render(self, context: AlertContext, recipient: str) -> bytes:
        text = json.dumps(context.payload(), ensure_ascii=False, sort_keys=True)
        # Article text is an outsider's: a receiver that drops the body into an
        # HTML page or <script> block must not find markup in it. The JSON
        # escapes decode to the same strings.
        return text.translate(JSON_IN_HTML).encode("utf-8")

    def send(self, payload: bytes, recipient: str, delivery_id: str) -> None:
        # Checked at every send, not when the rule is saved: a name may resolve
        # elsewhere by now. httpx resolves again to connect, so a name that
        # flips in those milliseconds (DNS rebinding) is not caught; redirects
        # are not followed, so the checked URL is the only one requested.
        refusal = self.policy.refusal(recipient)
        if refusal is not None:
            raise WebhookRefused(f"webhook {recipient}: refused by the network policy: {refusal}")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                   SIGNATURE_HEADER: sign(self.secret, timestamp, payload), DELIVERY_HEADER: delivery_id}
        try:
            answer = httpx.post(recipient, content=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as failure:
            raise TransientSendFailure(f"webhook {recipient}: {failure}") from failure
        if answer.status_code >= 300:
            raise http_failure(recipient, answer.status_code, answer.text)


# The chat channels register themselves on import; imported here so that every
# caller of the registry sees them.
import alerts.channels._chat  # noqa: E402,F401 - registers SlackChannel and TeamsChannel
