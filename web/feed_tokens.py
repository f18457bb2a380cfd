"""Feed tokens: per-user secrets that go in feed URLs (``/feeds/{token}/…``),
because a feed reader cannot send a header or sign in.

A feed token reads that user's feeds and nothing else: it is a different kind
of secret from an API token (web/accounts.py), checked only by web/feeds.py,
and never accepted as a bearer token, so a leaked feed URL exposes a feed, not
the API. Tokens are revocable one by one; disabling the user stops them all.

Stored beside the accounts in Redis, like API tokens: the record keeps the
SHA-256 of the secret, never the secret. Unlike an API token's, the secret is
not random but an HMAC of the token id under the deployment's signing key
(web/accounts.py ``signing_key``): the pages can then show a user their feed
URL again (a feed URL is something one pastes into a reader, often more than
once) while Redis alone gives nothing to forge one from when the key is
configured (``COVERWATCH_SESSION_SECRET``). Changing that key retires every
feed token (its secret no longer matches the stored digest): make new ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import cast

import redis

from coverwatch.settings import Settings
from web.accounts import AccountError, AccountStore, User
from web.credentials import digest

FEED_TOKEN_PREFIX = "cwf"
# Live tokens per user: one per reader or device is plenty; revoked ones do not count.
MAX_FEED_TOKENS = 20


class FeedTokenRefused(AccountError):
    """A feed token that cannot be made or revoked; the message says why."""


@dataclass
class FeedToken:
    id: str
    user: str
    secret_digest: str
    label: str = ""
    created_at: str = ""
    revoked: bool = False


def feed_token_text(token_id: str, secret: str) -> str:
    return f"{FEED_TOKEN_PREFIX}_{token_id}_{secret}"


def split_feed_token(text: str) -> tuple[str, str] | None:
    """(token id, secret) of a feed token as issued, or None for anything else (an API token too)."""
    prefix, _, rest = text.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != FEED_TOKEN_PREFIX or not token_id.isalnum() or len(secret) < 32 or not secret.isalnum():
        return None
    return token_id, secret


def feed_secret(signing_key: str, token_id: str) -> str:
    """The secret of a feed token: the token id signed under the deployment's key."""
    return hmac.new(signing_key.encode(), f"feed-token\x1f{token_id}".encode(), hashlib.sha256).hexdigest()[:40]


class FeedTokens:
    """Every user's feed tokens, in the deployment's Redis."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._accounts = AccountStore(client, settings)
        self._settings = settings

    def _key(self, *parts: str) -> str:
        return self._settings.redis_key("auth", *parts)

    def _put(self, token: FeedToken) -> None:
        self._client.set(self._key("feed-token", token.id), json.dumps(asdict(token)))

    def issue(self, name: str, label: str = "") -> tuple[str, FeedToken]:
        """A new feed token for ``name``: its text and its record."""
        user = self._accounts.get_user(name)
        if user is None:
            raise FeedTokenRefused(f"no user {name!r}")
        if len(self.live_tokens_of(user.name)) >= MAX_FEED_TOKENS:
            raise FeedTokenRefused(f"at most {MAX_FEED_TOKENS} feed tokens per user; revoke some first")
        token_id = secrets.token_hex(6)
        secret = feed_secret(self._accounts.signing_key(), token_id)
        token = FeedToken(token_id, user.name, digest(secret), " ".join(label.split())[:80],
                          datetime.now(UTC).isoformat())
        self._put(token)
        self._client.sadd(self._key("feed-tokens", user.name), token_id)
        return feed_token_text(token_id, secret), token

    def get(self, token_id: str) -> FeedToken | None:
        raw = cast(bytes | None, self._client.get(self._key("feed-token", token_id)))
        return FeedToken(**json.loads(raw)) if raw else None

    def reader(self, text: str) -> User | None:
        """The enabled user a live feed token belongs to, or None (whatever the reason, which stays unsaid)."""
        parts = split_feed_token(text)
        token = self.get(parts[0]) if parts else None
        if parts is None or token is None or token.revoked:
            return None
        if not hmac.compare_digest(digest(parts[1]), token.secret_digest):
            return None
        user = self._accounts.get_user(token.user)
        return user if user is not None and not user.disabled else None

    def text_of(self, token: FeedToken) -> str | None:
        """The token's text again (for the pages), or None when revoked or made under another signing key."""
        secret = feed_secret(self._accounts.signing_key(), token.id)
        if token.revoked or not hmac.compare_digest(digest(secret), token.secret_digest):
            return None
        return feed_token_text(token.id, secret)

    def tokens_of(self, name: str) -> list[FeedToken]:
        """The user's feed tokens, revoked ones too, newest first."""
        ids = [item.decode() for item in cast(set[bytes], self._client.smembers(
            self._key("feed-tokens", name.strip().casefold())))]
        tokens = [token for token in map(self.get, ids) if token is not None]
        return sorted(tokens, key=lambda token: (token.created_at, token.id), reverse=True)

    def live_tokens_of(self, name: str) -> list[FeedToken]:
        return [token for token in self.tokens_of(name) if not token.revoked]

    def current_text(self, name: str) -> str | None:
        """The text of the user's newest live feed token: what the pages put in their Subscribe links."""
        return next((text for text in map(self.text_of, self.live_tokens_of(name)) if text), None)

    def revoke(self, token_id: str, owner: str | None = None) -> FeedToken:
        """Revoke a feed token (only one of ``owner``'s, when given: another user's is as unknown as none)."""
        token = self.get(token_id)
        if token is None or (owner is not None and token.user != owner):
            raise FeedTokenRefused(f"no feed token {token_id!r}")
        token.revoked = True
        self._put(token)
        return token
