"""The pure rules of access control: roles, public paths, signed cookies, token
format, CSRF comparison, login limits and where a login may send you."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from web.credentials import (
    LoginLimits,
    Role,
    api_token_text,
    bearer_token,
    csrf_matches,
    digest,
    is_expired,
    is_public_path,
    local_path,
    login_refusal,
    role_allows,
    signed,
    split_api_token,
    unsigned,
)


@pytest.mark.parametrize(("role", "needed", "allowed"), [
    (Role.VIEWER, Role.VIEWER, True), (Role.VIEWER, Role.ANALYST, False), (Role.VIEWER, Role.ADMIN, False),
    (Role.ANALYST, Role.VIEWER, True), (Role.ANALYST, Role.ANALYST, True), (Role.ANALYST, Role.ADMIN, False),
    (Role.ADMIN, Role.VIEWER, True), (Role.ADMIN, Role.ANALYST, True), (Role.ADMIN, Role.ADMIN, True),
])
def test_roles_are_nested(role: Role, needed: Role, allowed: bool) -> None:
    assert role_allows(role, needed) is allowed


@pytest.mark.parametrize("path", ["/login", "/api/health", "/metrics", "/static/coverwatch.css",
                                  "/unsubscribe", "/unsubscribe/abc", "/preferences/abc", "/feeds/cwf_x/all.atom"])
def test_public_paths(path: str) -> None:
    assert is_public_path(path)


@pytest.mark.parametrize("path", ["/", "/api/v1/search", "/api/healthz", "/api/health/x", "/login/x",
                                  "/staticfiles", "/unsubscribe-everyone", "/preferencesx", "/docs", "/openapi.json",
                                  "/feedsx", "/account/feeds", "/api/v1/feed-tokens"])
def test_everything_else_needs_a_login(path: str) -> None:
    assert not is_public_path(path)


def test_signed_values_round_trip_and_refuse_tampering() -> None:
    cookie = signed("session.with.dots", "key-1")
    assert unsigned(cookie, "key-1") == "session.with.dots"
    assert unsigned(cookie, "key-2") is None
    assert unsigned(cookie.replace("session", "sessiom"), "key-1") is None
    assert unsigned(cookie[:-1] + ("0" if cookie[-1] != "0" else "1"), "key-1") is None
    assert unsigned("no-signature", "key-1") is None
    assert unsigned("." + cookie.rpartition(".")[2], "key-1") is None


def test_api_tokens_split_only_when_well_formed() -> None:
    text = api_token_text("abc123", "s" * 30 + "_with_underscores")
    assert split_api_token(text) == ("abc123", "s" * 30 + "_with_underscores")
    assert split_api_token("xx_abc123_" + "s" * 30) is None
    assert split_api_token("cw_abc123_short") is None
    assert split_api_token("cw_a-b_" + "s" * 30) is None
    assert split_api_token("") is None


def test_digest_is_stable_and_not_the_secret() -> None:
    assert digest("secret") == digest("secret") != digest("secret2")
    assert "secret" not in digest("secret")


@pytest.mark.parametrize(("header", "token"), [
    ("Bearer cw_x_y", "cw_x_y"), ("bearer   cw_x_y  ", "cw_x_y"), ("Basic dXNlcjpwYXNz", None),
    ("Bearer", None), ("Bearer   ", None), ("", None), (None, None)])
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_expiry() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert not is_expired(None, now)
    assert not is_expired((now + timedelta(seconds=1)).isoformat(), now)
    assert is_expired(now.isoformat(), now)
    assert is_expired((now - timedelta(days=1)).isoformat(), now)


def test_csrf_comparison() -> None:
    assert csrf_matches("abc", "abc")
    assert not csrf_matches("abc", "abd")
    assert not csrf_matches("abc", "")
    assert not csrf_matches("abc", None)
    assert not csrf_matches("", "")  # a session without a token never matches


def test_login_limits_per_account_then_per_address() -> None:
    limits = LoginLimits(per_account=3, per_address=10, window_seconds=60)
    assert login_refusal(2, 9, limits) is None
    assert "account" in (login_refusal(3, 0, limits) or "")
    assert "address" in (login_refusal(0, 10, limits) or "")


@pytest.mark.parametrize(("target", "where"), [
    ("/stories?q=Turla", "/stories?q=Turla"), ("/", "/"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example/", "/"), ("evil.example", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/")])
def test_login_only_redirects_within_the_site(target: str | None, where: str) -> None:
    assert local_path(target) == where
