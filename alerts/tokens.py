"""Signed, expiring tokens for the links a subscriber gets by email: confirm a
sign-up, unsubscribe, change preferences. A link works without a login, so the
token is the whole authority: it names its purpose, the address and (for a
per-rule unsubscribe) the rule, and carries its own expiry, all under one
HMAC-SHA256. A token for one purpose is refused for another.

The key comes from COVERWATCH_SUBSCRIBER_SECRET; without it a random key is made
on first use and kept in ``var/secrets/`` so links survive restarts and every
process of a deployment agrees, while no key ever sits in the code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from coverwatch.models import utc_now
from coverwatch.settings import Settings

SECRET_FILE = "subscriber-links.key"


class TokenPurpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"


# A confirm link is for the sign-up at hand; the others sit in mailboxes for months.
LIFETIMES = {TokenPurpose.CONFIRM: timedelta(days=3),
             TokenPurpose.UNSUBSCRIBE: timedelta(days=180),
             TokenPurpose.PREFERENCES: timedelta(days=180)}


class InvalidToken(ValueError):
    """Tampered with, malformed, expired or for another purpose."""


@dataclass(frozen=True)
class LinkGrant:
    """What a verified token allows."""

    purpose: TokenPurpose
    address: str
    rule_id: str | None
    expires_at: datetime


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as failure:
        raise InvalidToken("token is not base64") from failure


def _signature(key: bytes, body: str) -> str:
    return _encode(hmac.new(key, body.encode("ascii"), hashlib.sha256).digest())


def sign_token(key: bytes, purpose: TokenPurpose, address: str, rule_id: str | None = None,
               now: datetime | None = None, lifetime: timedelta | None = None) -> str:
    expires = (now or utc_now()) + (lifetime or LIFETIMES[purpose])
    claims = {"p": purpose.value, "a": address.casefold(), "r": rule_id, "e": int(expires.timestamp())}
    body = _encode(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_signature(key, body)}"


def verify_token(key: bytes, token: str, purpose: TokenPurpose, now: datetime | None = None) -> LinkGrant:
    body, _, signature = token.strip().partition(".")
    if not body or not signature or not body.isascii():
        raise InvalidToken("token is malformed")
    if not hmac.compare_digest(_signature(key, body), signature):
        raise InvalidToken("token signature does not match")
    try:
        claims = json.loads(_decode(body))
        granted = TokenPurpose(claims["p"])
        expires_at = datetime.fromtimestamp(int(claims["e"]), tz=(now or utc_now()).tzinfo)
        address, rule_id = str(claims["a"]), claims.get("r")
    except (ValueError, KeyError, TypeError) as failure:
        raise InvalidToken("token claims are unreadable") from failure
    if granted is not purpose:
        raise InvalidToken(f"token is for {granted.value}, not {purpose.value}")
    if (now or utc_now()) >= expires_at:
        raise InvalidToken("token has expired")
    return LinkGrant(granted, address, str(rule_id) if rule_id else None, expires_at)


def _stored_key(folder: Path) -> bytes:
    """The deployment's key file, made once. Written aside and linked into place:
    two processes starting at once cannot each keep a different key, and neither
    can read a half-written one."""
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
            key_file.write(secrets.token_urlsafe(48))
        try:
            os.link(staging, path)
        except FileExistsError:
            pass  # another process won; its key is the deployment's
        finally:
            staging.unlink()
    return path.read_text(encoding="ascii").strip().encode("ascii")


def signing_key(settings: Settings) -> bytes:
    if settings.subscriber_secret is not None:
        return settings.subscriber_secret.get_secret_value().encode("utf-8")
    return _stored_key(settings.var_dir / "secrets")
