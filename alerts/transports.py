"""How an email leaves: a mail transport registry (name -> class), the first
configured one wins. Which channel a subscriber gets (email, webhook) is
alerts/channels.py's business; this is only the email channel's last mile."""

from __future__ import annotations

import os
import smtplib
import ssl
from abc import ABC, abstractmethod
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from coverwatch.settings import Settings


class TransportError(RuntimeError):
    """The message could not be handed over; it is safe to try again later."""


class MailTransport(ABC):
    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def configured(cls, settings: Settings) -> MailTransport | None:
        """This transport as the settings ask for it, or None when they do not."""

    @abstractmethod
    def send(self, message: EmailMessage, delivery_id: str) -> None:
        ...


class OutboxTransport(MailTransport):
    """Zero-configuration default: one ``.eml`` file per message in a folder."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def configured(cls, settings: Settings) -> MailTransport:
        return cls(settings.outbox)

    def send(self, message: EmailMessage, delivery_id: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{delivery_id}.eml"
        staging = self.folder / f".{delivery_id}.eml.tmp"
        try:
            staging.write_bytes(message.as_bytes())
            os.replace(staging, target)  # atomic: a reader never sees half a message
        except OSError as failure:
            raise TransportError(f"cannot write {target}: {failure}") from failure


class SmtpTransport(MailTransport):
    """``smtp://user:pass@host:port`` (``?starttls=1``) or ``smtps://`` for implicit TLS."""

    name = "smtp"

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError(f"COVERWATCH_SMTP_URL must be smtp:// or smtps://, got {url!r}")
        self.host = parts.hostname
        self.implicit_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = parse_qs(parts.query).get("starttls", ["0"])[0] in {"1", "true", "yes"}
        self.timeout = timeout

    @classmethod
    def configured(cls, settings: Settings) -> MailTransport | None:
        return cls(settings.smtp_url) if settings.smtp_url else None

    def send(self, message: EmailMessage, delivery_id: str) -> None:
        try:
            if self.implicit_tls:
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout,
                    context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with connection:
                if self.starttls:
                    connection.starttls(context=ssl.create_default_context())
                if self.username and self.password:
                    connection.login(self.username, self.password)
                connection.send_message(message)
        except (smtplib.SMTPException, OSError) as failure:
            raise TransportError(f"SMTP {self.host}:{self.port}: {failure}") from failure


# In order of preference: the outbox needs no configuration, so it comes last.
MAIL_TRANSPORTS: dict[str, type[MailTransport]] = {
    transport.name: transport for transport in (SmtpTransport, OutboxTransport)}


def transport_for(settings: Settings) -> MailTransport:
    for transport in MAIL_TRANSPORTS.values():
        chosen = transport.configured(settings)
        if chosen is not None:
            return chosen
    raise TransportError("no mail transport is configured")
