"""Access control for the whole app: who is asking, and may they.

:func:`install_access_control` refuses every request that is neither signed in
(session cookie) nor carrying an API token (``Authorization: Bearer cw_…``),
except the public paths of web/credentials.py (login, /api/health,
/metrics, the stylesheet, the email links /unsubscribe and /preferences). It
also checks the CSRF token of every POST, PUT, PATCH or DELETE made with a
session cookie: a form field ``csrf_token`` (url-encoded forms) or an
``X-CSRF-Token`` header. Token requests need none: a browser never adds them.

Routers use the dependencies to learn who is asking and to demand a role::

    from web.auth import Admin, Analyst, SignedIn

    @router.post("/api/v1/rules")
    def add_rule(principal: Admin) -> ...:   # 401 when nobody, 403 below admin
        ...

A router whose paths are in ``PUBLIC_PATHS``/``PUBLIC_PREFIXES`` stays public
and must check its own credentials (the email links carry a signed token).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlencode

import redis
from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from coverwatch.settings import Settings
from web.accounts import AccountStore, LoginRefused, User
from web.credentials import (
    UNSAFE_METHODS,
    Role,
    bearer_token,
    csrf_matches,
    is_public_path,
    local_path,
    new_secret,
    role_allows,
    signed,
    unsigned,
)
from web.routing import WebDeps, web_route
from web.templating import TEMPLATES

SESSION_COOKIE = "coverwatch_session"
LOGIN_COOKIE = "coverwatch_login"  # ties the login form's CSRF token to this browser
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Principal:
    """Who a request comes from and how it proved it."""

    user: User
    via: Literal["session", "token"]
    csrf_token: str | None = None  # sessions only: what its forms must send back
    session_id: str | None = None

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> Role:
        return self.user.role


# TAXII clients (taxii2-client, OpenCTI's ingester) may speak only Basic auth: on the
# read-only TAXII paths an API token is accepted as the password of its user. Nowhere
# else, and for reads only: a browser replays cached Basic credentials by itself.
BASIC_TOKEN_PREFIX = "/taxii2"


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(user name, password) of an ``Authorization: Basic …`` header, or None."""
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        name, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name, password) if colon and password else None


def identify(store: AccountStore, request: Request) -> Principal | None:
    """The principal of a request: a bearer token wins over a session cookie; on
    TAXII reads an API token may come as Basic auth's password (its user's name as the user)."""
    authorization = request.headers.get("authorization")
    token, claimed_name = bearer_token(authorization), None
    if token is None and request.method in ("GET", "HEAD") and request.url.path.startswith(BASIC_TOKEN_PREFIX):
        basic = basic_credentials(authorization)
        claimed_name, token = basic if basic else (None, None)
    if token is not None:
        user = store.token_user(token)
        return Principal(user, "token") if user and claimed_name in (None, user.name) else None
    cookie = request.cookies.get(SESSION_COOKIE)
    session_id = unsigned(cookie, store.signing_key()) if cookie else None
    found = store.session(session_id) if session_id else None
    if found is None:
        return None
    user, session = found
    return Principal(user, "session", session.csrf_token, session_id)


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/taxii2")) or path in ("/openapi.json", "/docs", "/redoc") \
        or "text/html" not in request.headers.get("accept", "")


def _refusal(request: Request, status: int, detail: str) -> Response:
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
    return TEMPLATES.TemplateResponse(request, "refused.html", {"detail": detail}, status_code=status)


async def _sent_csrf_token(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return None
    # Starlette hands the body read here on to the endpoint as well.
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    sent = fields.get("csrf_token")
    return sent[0] if sent else None


def install_access_control(app: FastAPI, settings: Settings, redis_connection: Callable[[], redis.Redis]) -> None:
    """Refuse whatever is not public and not signed in; check CSRF on session writes."""

    @app.middleware("http")
    async def access_control(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if is_public_path(request.url.path):
            return await call_next(request)
        try:
            store = AccountStore(redis_connection(), settings)
            principal = await run_in_threadpool(identify, store, request)
        except redis.RedisError:
            return JSONResponse({"detail": "accounts are unavailable (Redis); try again shortly"}, status_code=503)
        if principal is None:
            return _refusal(request, 401, "sign in, or send an API token as 'Authorization: Bearer …'")
        if request.method in UNSAFE_METHODS and principal.via == "session" \
                and not csrf_matches(principal.csrf_token or "", await _sent_csrf_token(request)):
            return _refusal(request, 403, "the form's CSRF token is missing or wrong; reload the page and retry")
        request.state.principal = principal
        return await call_next(request)


def signed_in(request: Request) -> Principal:
    """Dependency: the principal the access-control middleware identified."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise HTTPException(status_code=401, detail="sign in first", headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_role(needed: Role) -> Callable[[Principal], Principal]:
    """Dependency factory: the principal, when their role covers ``needed``; else 403."""

    def with_role(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
        if not role_allows(principal.role, needed):
            raise HTTPException(status_code=403, detail=f"this needs the {needed.value} role")
        return principal

    return with_role


SignedIn = Annotated[Principal, Depends(signed_in)]
Analyst = Annotated[Principal, Depends(require_role(Role.ANALYST))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


@web_route(order=10)
def login_router(deps: WebDeps) -> APIRouter:
    settings, redis_connection = deps.settings, deps.redis_connection
    router = APIRouter(include_in_schema=False)
    secure = settings.public_url.startswith("https://")

    def store() -> AccountStore:
        return AccountStore(redis_connection(), settings)

    def login_page(request: Request, next_path: str, error: str | None = None, status: int = 200) -> Response:
        nonce = new_secret()
        response = TEMPLATES.TemplateResponse(request, "login.html", {
            "csrf_token": nonce, "next": local_path(next_path), "error": error}, status_code=status)
        response.set_cookie(LOGIN_COOKIE, signed(nonce, store().signing_key()), max_age=3600, httponly=True,
                            samesite="lax", secure=secure, path="/login")
        return response

    @router.get("/login", response_class=HTMLResponse)
    def show_login(request: Request, next: str = "/") -> Response:
        return login_page(request, next)

    @router.post("/login", response_class=HTMLResponse)
    def log_in(request: Request, name: Annotated[str, Form(max_length=64)],
               password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form(max_length=200)],
               next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
        accounts = store()
        cookie = request.cookies.get(LOGIN_COOKIE)
        if not cookie or not csrf_matches(unsigned(cookie, accounts.signing_key()) or "", csrf_token):
            return login_page(request, next, "The form expired; please sign in again.", 403)
        address = request.client.host if request.client else "unknown"
        try:
            user = accounts.login(name, password, address)
        except LoginRefused as refusal:
            return login_page(request, next, f"{str(refusal).capitalize()}.", 429)
        if user is None:
            return login_page(request, next, "Wrong user name or password.", 401)
        session_id, _ = accounts.open_session(user)
        response = RedirectResponse(local_path(next), status_code=303)
        response.set_cookie(SESSION_COOKIE, signed(session_id, accounts.signing_key()),
                            max_age=int(settings.session_hours * 3600), httponly=True, samesite="lax",
                            secure=secure, path="/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @router.post("/logout")
    def log_out(principal: SignedIn) -> Response:
        if principal.session_id:
            store().close_session(principal.session_id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return router
