"""Email: a target that is an address (plain or ``mailto:``) gets the alert
rendered by alerts/email.py, handed to the configured mail transport (SMTP
relay or the local outbox, alerts/transports.py)."""

from __future__ import annotations

from email.message import EmailMessage

from alerts.channels import Channel, register_channel
from alerts.email import render_alert_email
from alerts.messages import AlertContext
from alerts.targets import email_address
from alerts.transports import MailTransport, transport_for
from coverwatch.settings import Settings


@register_channel
class EmailChannel(Channel[EmailMessage]):
    kind = "email"

    @classmethod
    def recipient_of(cls, target: str) -> str | None:
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
