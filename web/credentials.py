"""The pure rules of access control: roles, which paths need no login, signed
cookie values, API token format, CSRF comparison and login throttling.

Nothing here does I/O; web/accounts.py stores what these functions check
and web/auth.py applies them to requests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit


class Role(StrEnum):
    VIEWER = "viewer"  # reads everything
    ANALYST = "analyst"  # also saves searches and turns them into alerts
    ADMIN = "admin"  # also manages users and rules


_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}

# Reachable without login: the login page, what operators and probes poll, the
# stylesheet the login page needs, the links in alert emails and the Atom feeds
# (they carry a token of their own, which web/feeds.py checks). Everything else
# is refused unless signed in.
PUBLIC_PATHS = frozenset({"/login", "/api/health", "/metrics", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static", "/unsubscribe", "/preferences", "/feeds")

TOKEN_PREFIX = "cw"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def role_allows(role: Role, needed: Role) -> bool:
    """True when ``role`` may do what ``needed`` may (roles are nested)."""
    return _RANK[role] >= _RANK[needed]


def is_public_path(path: str) -> bool:
    if path in PUBLIC_PATHS:
        return True
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PUBLIC_PREFIXES)


def new_secret(bytes_of_entropy: int = 32) -> str:
    return secrets.token_urlsafe(bytes_of_entropy)


def _signature(value: str, key: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def signed(value: str, key: str) -> str:
    """``value`` with an HMAC of it, for a cookie the browser cannot forge."""
    return f"{value}.{_signature(value, key)}"


def unsigned(cookie: str, key: str) -> str | None:
    """The value of a :func:`signed` cookie, or None when the signature is wrong."""
    value, _, signature = cookie.rpartition(".")
    if not value or not hmac.compare_digest(signature, _signature(value, key)):
        return None
    return value


def digest(secret: str) -> str:
    """What is stored of a session id or API token secret. They are long random
    strings, so a plain SHA-256 suffices (passwords get argon2 instead)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_text(token_id: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{token_id}_{secret}"


def split_api_token(text: str) -> tuple[str, str] | None:
    """(token id, secret) of a token as issued, or None for anything else."""
    prefix, _, rest = text.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id.isalnum() or len(secret) < 20:
        return None
    return token_id, secret


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def is_expired(expires_at: str | None, now: datetime) -> bool:
    return expires_at is not None and datetime.fromisoformat(expires_at) <= now


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_address: int
    window_seconds: int


def login_refusal(account_failures: int, address_failures: int, limits: LoginLimits) -> str | None:
    """Why a login attempt is refused before its password is even checked, or None."""
    if account_failures >= limits.per_account:
        return "too many failed logins for this account; try again later"
    if address_failures >= limits.per_address:
        return "too many failed logins from this address; try again later"
    return None


def local_path(target: str | None, fallback: str = "/") -> str:
    """Where to go after login: only a path on this site, never another host."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
