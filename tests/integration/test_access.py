"""Access control on the served app (real uvicorn, real Redis): every refusal.

The failed-login limits count per account and per client address; the address
tests connect from their own loopback addresses (127.0.0.x), so the rest of the
run, which signs in from 127.0.0.1, is never locked out.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest

from web.accounts import AccountStore
from web.credentials import Role

pytestmark = pytest.mark.integration
PASSWORD = "correct-horse-" + uuid.uuid4().hex[:8]


def _new_user(accounts: AccountStore, role: Role) -> str:
    name = f"{role.value}-{uuid.uuid4().hex[:8]}"
    accounts.add_user(name, role, PASSWORD, f"{name}@example.org")
    return name


def _client(api_url: str, address: str = "127.0.0.1") -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=api_url, transport=transport, timeout=30, follow_redirects=False)


def _login_form_token(client: httpx.Client) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    token = _login_form_token(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, "next": "/stories"})


def _page_csrf_token(client: httpx.Client) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/stories").text)
    assert found
    return found.group(1)


@pytest.fixture()
def browser(api_url: str) -> Iterator[httpx.Client]:
    with _client(api_url) as client:
        yield client


def test_nothing_but_the_public_paths_answers_without_login(api_url: str, browser: httpx.Client) -> None:
    for path in ["/api/v1/search", "/api/v1/stories", "/api/search?q=x", "/api/sources", "/api/v1/me",
                 "/openapi.json", "/docs", "/api/v1/articles/nothing"]:
        answer = browser.get(path)
        assert answer.status_code == 401, path
        assert answer.headers["www-authenticate"] == "Bearer"
        assert "content-security-policy" in answer.headers
    page = browser.get("/stories?q=Turla", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login?next=%2Fstories%3Fq%3DTurla"
    assert browser.get("/", headers={"accept": "text/html"}).headers["location"].startswith("/login")
    assert browser.get("/api/health").status_code == 200
    assert browser.get("/login").status_code == 200
    assert browser.get("/static/coverwatch.css").status_code == 200
    # Neither a made-up cookie nor a made-up token gets in.
    browser.cookies.set("coverwatch_session", "forged.0000")
    assert browser.get("/api/v1/me").status_code == 401
    assert browser.get("/api/v1/me", headers={"authorization": "Bearer cw_abc_" + "x" * 40}).status_code == 401


def test_session_login_sets_a_strict_cookie_and_logout_ends_it(browser: httpx.Client, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    answer = _log_in(browser, name)
    assert answer.status_code == 303 and answer.headers["location"] == "/stories"
    cookie = answer.headers["set-cookie"].lower()
    assert "coverwatch_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # public_url is http here; https deployments get Secure
    assert browser.get("/api/v1/me").json()["role"] == "viewer"
    csrf = _page_csrf_token(browser)
    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert browser.get("/api/v1/me").status_code == 401


def test_a_login_redirect_never_leaves_the_site(browser: httpx.Client, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    token = _login_form_token(browser)
    answer = browser.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token,
                                          "next": "//evil.example/steal"})
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_wrong_password_and_disabled_accounts_are_refused(browser: httpx.Client, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.ANALYST)
    assert _log_in(browser, name, "not-the-password").status_code == 401
    assert _log_in(browser, "nobody-" + uuid.uuid4().hex[:6]).status_code == 401
    assert _log_in(browser, name).status_code == 303
    assert browser.get("/api/v1/me").status_code == 200
    accounts.set_disabled(name)
    assert browser.get("/api/v1/me").status_code == 401  # the open session stops at once
    assert _log_in(browser, name).status_code == 401


def test_csrf_token_missing_or_wrong_is_refused(browser: httpx.Client, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    assert _log_in(browser, name).status_code == 303
    assert browser.post("/logout").status_code == 403
    assert browser.post("/logout", data={"csrf_token": "guessed"}).status_code == 403
    assert browser.post("/logout", headers={"x-csrf-token": "guessed"}).status_code == 403
    assert browser.get("/api/v1/me").status_code == 200  # still signed in: nothing happened
    assert browser.post("/logout", headers={"x-csrf-token": _page_csrf_token(browser)}).status_code == 303


def test_the_login_form_needs_its_own_csrf_token(browser: httpx.Client, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    _login_form_token(browser)
    assert browser.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": "x"}).status_code == 403
    browser.cookies.clear()
    assert browser.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": "x"}).status_code == 403


def test_tokens_work_until_revoked_or_expired(api_url: str, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    live, record = accounts.issue_token(name, "script", days=30)
    expired, _ = accounts.issue_token(name, "old", days=-1)
    with _client(api_url) as client:
        assert client.get("/api/v1/me", headers={"authorization": f"Bearer {live}"}).json()["name"] == name
        assert client.get("/api/v1/me", headers={"authorization": f"Bearer {expired}"}).status_code == 401
        tampered = live[:-4] + ("aaaa" if not live.endswith("aaaa") else "bbbb")
        assert client.get("/api/v1/me", headers={"authorization": f"Bearer {tampered}"}).status_code == 401
        accounts.revoke_token(record.id)
        assert client.get("/api/v1/me", headers={"authorization": f"Bearer {live}"}).status_code == 401
    assert live not in str(accounts.get_token(record.id))  # only a digest is stored


def test_roles_refuse_what_they_do_not_cover(api_url: str, accounts: AccountStore, api: httpx.Client) -> None:
    viewer = _new_user(accounts, Role.VIEWER)
    token, _ = accounts.issue_token(viewer)
    with _client(api_url) as client:
        headers = {"authorization": f"Bearer {token}"}
        assert client.get("/api/v1/search", headers=headers).status_code == 200
        assert client.get("/api/v1/users", headers=headers).status_code == 403
        assert client.post(f"/api/v1/users/{viewer}/disable", headers=headers).status_code == 403
    assert viewer in {user["name"] for user in api.get("/api/v1/users").json()}  # the admin may


def test_failed_logins_are_limited_per_account(api_url: str, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    with _client(api_url, "127.0.0.5") as client:
        for _ in range(accounts.limits().per_account):
            assert _log_in(client, name, "wrong-password").status_code == 401
        refused = _log_in(client, name)  # even the right password, until the window passes
        assert refused.status_code == 429 and "this account" in refused.text
    with _client(api_url, "127.0.0.6") as elsewhere:
        assert _log_in(elsewhere, name).status_code == 429


def test_failed_logins_are_limited_per_address(api_url: str, accounts: AccountStore) -> None:
    name = _new_user(accounts, Role.VIEWER)
    with _client(api_url, "127.0.0.7") as client:
        for attempt in range(accounts.limits().per_address):
            assert _log_in(client, f"guess-{attempt}", "wrong-password").status_code == 401
        refused = _log_in(client, name)
        assert refused.status_code == 429 and "this address" in refused.text
    with _client(api_url, "127.0.0.8") as other_address:
        assert _log_in(other_address, name).status_code == 303
