"""Signed webhooks: any other https URL (plain http only to this machine) gets
the alert as JSON, signed with ``COVERWATCH_WEBHOOK_SECRET`` so the receiver
can tell it came from us and when."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from alerts.channels import Channel, ChannelNotConfigured, register_channel
from alerts.channels._http import post_json
from alerts.messages import AlertContext
from alerts.targets import webhook_url
from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import Settings

SIGNATURE_HEADER = "X-Coverwatch-Signature"
TIMESTAMP_HEADER = "X-Coverwatch-Timestamp"
DELIVERY_HEADER = "X-Coverwatch-Delivery"
JSON_IN_HTML = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp.body``: the timestamp is signed too, so a
    receiver that checks its age can refuse a replayed request."""
    return "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def signature_matches(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@register_channel
class WebhookChannel(Channel[bytes]):
    kind = "webhook"

    @classmethod
    def recipient_of(cls, target: str) -> str | None:
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
        timestamp = str(int(time.time()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(self.secret, timestamp, payload),
                   DELIVERY_HEADER: delivery_id}
        post_json("webhook", recipient, payload, headers, self.timeout, self.policy)
