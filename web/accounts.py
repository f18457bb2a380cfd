"""Analyst accounts in Redis: users with roles, API tokens, login sessions and
failed-login counters.

Redis rather than an engine index: every request looks up its session or token
(one key read, no refresh lag), sessions and counters need expiry (TTL) and
atomic increments, and the deployment's Redis already keeps state that must
survive restarts (source health; it runs with an append-only file). Keys carry
the deployment prefix, so a test run never sees the demo's accounts.

Passwords are hashed with argon2; session ids and API token secrets are long
random strings and only their SHA-256 is stored.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coverwatch.settings import Settings
from web.credentials import (
    LoginLimits,
    Role,
    api_token_text,
    digest,
    is_expired,
    login_refusal,
    new_secret,
    split_api_token,
)

USER_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()
# Checked when the account does not exist, so a wrong name costs as long as a wrong password.
_ABSENT_USER_HASH = _HASHER.hash(new_secret())


class AccountError(ValueError):
    """A refused change to the accounts (bad name, short password, unknown user)."""


class LoginRefused(PermissionError):
    """Too many failed logins; says which limit was reached."""


@dataclass
class User:
    name: str
    role: Role
    password_hash: str
    email: str | None = None
    disabled: bool = False
    created_at: str = ""


@dataclass
class ApiToken:
    id: str
    user: str
    secret_digest: str
    label: str = ""
    created_at: str = ""
    expires_at: str | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Session:
    user: str
    csrf_token: str


def _now() -> datetime:
    return datetime.now(UTC)


class AccountStore:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def _key(self, *parts: str) -> str:
        return self._settings.redis_key("auth", *parts)

    def _read(self, key: str) -> dict[str, object] | None:
        raw = cast(bytes | None, self._client.get(key))
        return cast(dict[str, object], json.loads(raw)) if raw else None

    # --- users -------------------------------------------------------------------------------

    def add_user(self, name: str, role: Role, password: str, email: str | None = None) -> User:
        name = name.strip().casefold()
        if not USER_NAME.match(name):
            raise AccountError(f"user name {name!r}: 2-64 of a-z, 0-9 and . _ @ -, starting with a letter or digit")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
        if email is not None and "@" not in email:
            raise AccountError(f"email {email!r} has no @")
        user = User(name, Role(role), _HASHER.hash(password), email, False, _now().isoformat())
        if not self._client.set(self._key("user", name), json.dumps(asdict(user)), nx=True):
            raise AccountError(f"user {name!r} exists already")
        self._client.sadd(self._key("users"), name)
        return user

    def get_user(self, name: str) -> User | None:
        stored = self._read(self._key("user", name.strip().casefold()))
        if stored is None:
            return None
        user = User(**stored)  # type: ignore[arg-type]
        user.role = Role(user.role)
        return user

    def _put_user(self, user: User) -> None:
        self._client.set(self._key("user", user.name), json.dumps(asdict(user)))

    def list_users(self) -> list[User]:
        names = sorted(name.decode() for name in cast(set[bytes], self._client.smembers(self._key("users"))))
        return [user for user in map(self.get_user, names) if user is not None]

    def set_disabled(self, name: str, disabled: bool = True) -> User:
        """Disabling takes effect at once: sessions and tokens are checked against the user on every request."""
        user = self.get_user(name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        user.disabled = disabled
        self._put_user(user)
        return user

    def check_password(self, name: str, password: str) -> User | None:
        """The enabled user whose password this is, or None."""
        user = self.get_user(name)
        try:
            _HASHER.verify(user.password_hash if user else _ABSENT_USER_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user if user is not None and not user.disabled else None

    # --- failed logins -------------------------------------------------------------------------

    def limits(self) -> LoginLimits:
        settings = self._settings
        return LoginLimits(settings.login_failures_per_account, settings.login_failures_per_address,
                           settings.login_window_seconds)

    def _failure_keys(self, name: str, address: str) -> tuple[str, str]:
        return self._key("failures", "account", name.strip().casefold()), self._key("failures", "address", address)

    def login(self, name: str, password: str, address: str) -> User | None:
        """The user, when the password is right and neither the account nor the
        address has used up its failed attempts; :class:`LoginRefused` when one has."""
        account_key, address_key = self._failure_keys(name, address)
        stored = cast(list[bytes | None], self._client.mget(account_key, address_key))
        counts = [int(value) if value else 0 for value in stored]
        limits = self.limits()
        refusal = login_refusal(counts[0], counts[1], limits)
        if refusal:
            raise LoginRefused(refusal)
        user = self.check_password(name, password)
        if user is not None:
            self._client.delete(account_key)
            return user
        pipeline = self._client.pipeline()
        for key in (account_key, address_key):
            pipeline.incr(key)
            pipeline.expire(key, limits.window_seconds, nx=True)
        pipeline.execute()
        return None

    # --- sessions ------------------------------------------------------------------------------

    def open_session(self, user: User) -> tuple[str, Session]:
        """A new session id (for the cookie; only its digest is stored) and the session."""
        session_id = new_secret()
        session = Session(user.name, new_secret())
        ttl = int(self._settings.session_hours * 3600)
        self._client.set(self._key("session", digest(session_id)), json.dumps(asdict(session)), ex=ttl)
        return session_id, session

    def session(self, session_id: str) -> tuple[User, Session] | None:
        stored = self._read(self._key("session", digest(session_id)))
        if stored is None:
            return None
        session = Session(**stored)  # type: ignore[arg-type]
        user = self.get_user(session.user)
        return (user, session) if user is not None and not user.disabled else None

    def close_session(self, session_id: str) -> None:
        self._client.delete(self._key("session", digest(session_id)))

    def signing_key(self) -> str:
        """The key session cookies are signed with: the configured one, or one made
        once per deployment and kept in Redis so every API process agrees."""
        if self._settings.session_secret is not None:
            return self._settings.session_secret.get_secret_value()
        key = self._key("signing-key")
        self._client.set(key, new_secret(), nx=True)
        return cast(bytes, self._client.get(key)).decode()

    # --- API tokens ----------------------------------------------------------------------------

    def issue_token(self, name: str, label: str = "", days: float | None = None) -> tuple[str, ApiToken]:
        """A new token for ``name``: its text (shown once, never stored) and its record."""
        user = self.get_user(name)
        if user is None:
            raise AccountError(f"no user {name!r}")
        now = _now()
        expires = (now + timedelta(days=days)).isoformat() if days is not None else None
        token_id, secret = new_secret(9).replace("-", "x").replace("_", "y"), new_secret()
        token = ApiToken(token_id, user.name, digest(secret), label, now.isoformat(), expires)
        self._client.set(self._key("token", token_id), json.dumps(asdict(token)))
        self._client.sadd(self._key("tokens", user.name), token_id)
        return api_token_text(token_id, secret), token

    def get_token(self, token_id: str) -> ApiToken | None:
        stored = self._read(self._key("token", token_id))
        return ApiToken(**stored) if stored else None  # type: ignore[arg-type]

    def token_user(self, text: str) -> User | None:
        """The enabled user an unrevoked, unexpired token belongs to, or None."""
        parts = split_api_token(text)
        token = self.get_token(parts[0]) if parts else None
        if parts is None or token is None or token.revoked or is_expired(token.expires_at, _now()):
            return None
        if not hmac.compare_digest(digest(parts[1]), token.secret_digest):
            return None
        user = self.get_user(token.user)
        return user if user is not None and not user.disabled else None

    def tokens_of(self, name: str) -> list[ApiToken]:
        ids = sorted(item.decode() for item in cast(set[bytes], self._client.smembers(
            self._key("tokens", name.strip().casefold()))))
        return [token for token in map(self.get_token, ids) if token is not None]

    def revoke_token(self, token_id: str) -> ApiToken:
        token = self.get_token(token_id)
        if token is None:
            raise AccountError(f"no token {token_id!r}")
        token.revoked = True
        self._client.set(self._key("token", token_id), json.dumps(asdict(token)))
        return token
