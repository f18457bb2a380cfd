"""A real SMTP server (aiosmtpd) for the fault suite that keeps each message
with its Message-ID and can stall one conversation on request, so a sender can
be killed in the middle of a send."""

from __future__ import annotations

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import Message
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class StallingSmtpSink:
    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.url = f"smtp://127.0.0.1:{self.controller.port}"
        self.stalled = threading.Event()  # set while a conversation is held
        self._stall_seconds = 0.0
        self._lock = threading.Lock()

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def stall_next_recipient(self, seconds: float) -> None:
        """Hold the next RCPT for ``seconds`` before answering: the sender is then
        inside its send, its message not yet handed over."""
        with self._lock:
            self._stall_seconds = seconds
            self.stalled.clear()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self._lock:
            seconds, self._stall_seconds = self._stall_seconds, 0.0
        if seconds:
            self.stalled.set()
            await asyncio.sleep(seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content
        with self._lock:
            self.messages.append(content if isinstance(content, bytes) else str(content).encode())
        return "250 Message accepted for delivery"

    def received(self) -> list[tuple[str, str]]:
        """(Message-ID, decoded text of every text part) of each message received, repeats included."""
        with self._lock:
            raw_messages = list(self.messages)
        return [(str(message["Message-ID"]), _text_of(message))
                for message in map(message_from_bytes, raw_messages)]


def _text_of(message: Message) -> str:
    # Decoded: a quoted-printable body breaks long lines, URLs included.
    parts = []
    for part in message.walk():
        payload = part.get_payload(decode=True) if part.get_content_maintype() == "text" else None
        if isinstance(payload, bytes):
            parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(parts)
