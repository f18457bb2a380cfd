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


class TransientSendFailure(TransportError):
    """The server said "not now" (an SMTP 4xx, HTTP 429 or 5xx) or could not be
    reached: the same message should be tried again after a pause."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class RecipientRejected(RuntimeError):
    """The recipient was refused for good (an SMTP 5xx for the address, a webhook
    that is gone): sending again cannot help. Not a TransportError, so nothing
    retries it; the subscriber is marked bouncing instead."""

    def __init__(self, recipient: str, code: int, reason: str) -> None:
        super().__init__(f"{recipient} refused with {code}: {reason}")
        self.recipient = recipient
        self.code = code
        self.reason = reason


def _reply_text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def smtp_failure(failure: smtplib.SMTPException | OSError, recipient: str,
                 where: str) -> TransientSendFailure | RecipientRejected:
    """What an smtplib failure means for the delivery. A 5xx about the recipient
    (refused at RCPT, or at DATA for a one-recipient message) is a bounce; any
    4xx, a dropped connection or a refusal of our own sender is worth retrying
    (the last is the operator's to fix, and a dead letter says so)."""
    if isinstance(failure, smtplib.SMTPRecipientsRefused):
        refused, reply = next(iter(failure.recipients.values()), (451, b"refused"))
        if 500 <= refused < 600:
            return RecipientRejected(recipient, refused, _reply_text(reply))
        return TransientSendFailure(f"{where}: {recipient} deferred with {refused}: {_reply_text(reply)}",
                                    refused)
    if isinstance(failure, smtplib.SMTPDataError) and 500 <= failure.smtp_code < 600:
        return RecipientRejected(recipient, failure.smtp_code, _reply_text(failure.smtp_error))
    code: int | None = failure.smtp_code if isinstance(failure, smtplib.SMTPResponseException) else None
    return TransientSendFailure(f"{where}: {failure}", code)


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


TRUE_WORDS = {"1", "true", "yes", "on"}


class SmtpTransport(MailTransport):
    """``COVERWATCH_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (port 25;
    ``?starttls=1`` upgrades the connection before authenticating), or
    ``smtps://...`` for TLS from the first byte (port 465). User and password
    are percent-decoded (``%40`` for an ``@``); ``?timeout=SECONDS`` bounds each
    socket operation (30)."""

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
        options = parse_qs(parts.query)
        self.starttls = options.get("starttls", ["0"])[0].lower() in TRUE_WORDS
        if self.starttls and self.implicit_tls:
            raise ValueError("COVERWATCH_SMTP_URL: smtps:// is TLS already; starttls applies to smtp://")
        self.timeout = float(options.get("timeout", [str(timeout)])[0])

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
            raise smtp_failure(failure, str(message["To"]), f"SMTP {self.host}:{self.port}") from failure


# In order of preference: the outbox needs no configuration, so it comes last.
MAIL_TRANSPORTS: dict[str, type[MailTransport]] = {
    transport.name: transport for transport in (SmtpTransport, OutboxTransport)}


def transport_for(settings: Settings) -> MailTransport:
    for transport in MAIL_TRANSPORTS.values():
        chosen = transport.configured(settings)
        if chosen is not None:
            return chosen
    raise TransportError("no mail transport is configured")
