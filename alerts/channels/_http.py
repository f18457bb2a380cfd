"""What the channels that POST JSON share (the signed webhook, Slack, Teams):
the network-policy check before each request and what an HTTP answer means for
the delivery."""

from __future__ import annotations

import httpx

from alerts.channels import WebhookRefused
from alerts.transports import RecipientRejected, TransientSendFailure, TransportError
from coverwatch.netpolicy import NetPolicy


def http_failure(recipient: str, status: int, answer: str) -> TransportError | RecipientRejected:
    """A hook that is gone (404, 410) or may no longer post (403) is a bounce;
    429 and 5xx are worth retrying; any other answer is a fault to look into
    (retried, then a dead letter)."""
    if status in {403, 404, 410}:
        return RecipientRejected(recipient, status, answer[:300])
    if status == 429 or status >= 500:
        return TransientSendFailure(f"webhook {recipient}: HTTP {status}", status)
    return TransportError(f"webhook {recipient}: HTTP {status}: {answer[:300]}")


def post_json(label: str, recipient: str, body: bytes, headers: dict[str, str], timeout: float,
              policy: NetPolicy) -> None:
    """POST ``body`` to ``recipient``; ``label`` (the channel kind) starts every error message.

    The policy is asked at every send, not when the rule is saved: a name may
    resolve elsewhere by now. httpx resolves again to connect, so a name that
    flips in those milliseconds (DNS rebinding) is not caught; redirects are not
    followed, so the checked URL is the only one requested."""
    refusal = policy.refusal(recipient)
    if refusal is not None:
        raise WebhookRefused(f"{label} {recipient}: refused by the network policy: {refusal}")
    try:
        answer = httpx.post(recipient, content=body, timeout=timeout,
                            headers={"Content-Type": "application/json", **headers})
    except httpx.HTTPError as failure:
        raise TransientSendFailure(f"{label} {recipient}: {failure}") from failure
    if answer.status_code >= 300:
        raise http_failure(recipient, answer.status_code, answer.text)
