"""A user's feed tokens on the API (/api/v1/feed-tokens) and on the account
page (/account/feeds): list them with their feed URLs, make one, revoke one.
Every user manages their own; the feeds themselves are web/feeds.py.

:func:`subscribe_base` is what the story and saved-search pages put in their
"Subscribe (Atom)" links: the signed-in user's newest live feed token's path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

import redis
from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from coverwatch.settings import Settings
from web.auth import Principal, SignedIn
from web.credentials import local_path
from web.feed_tokens import FeedToken, FeedTokenRefused, FeedTokens
from web.routing import WebDeps, web_route
from web.saved_searches import SavedSearches
from web.templating import TEMPLATES

log = logging.getLogger(__name__)


def subscribe_base(redis_connection: Callable[[], redis.Redis], settings: Settings, request: Request) -> str | None:
    """``/feeds/{token}`` of the signed-in user's newest live feed token, or None
    (nobody signed in, no token yet, or Redis not answering: the page still renders)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        return None
    try:
        text = FeedTokens(redis_connection(), settings).current_text(principal.name)
    except redis.RedisError as failure:
        log.warning("no Subscribe link: Redis failed: %s", failure)
        return None
    return f"/feeds/{text}" if text else None


class FeedTokenIn(BaseModel):
    label: str = Field(default="", max_length=80, description="what the token is for: a reader, a device")


@dataclass
class FeedTokenView:
    """A feed token as its owner sees it: its URLs while it is live, never its digest."""

    id: str
    label: str
    created_at: str
    revoked: bool
    token: str | None  # the secret part of every feed URL; None once revoked
    all_stories: str | None  # the feed of every story
    saved_search: str | None  # with {search_id} for one of your saved searches
    story: str | None  # with {story_id} for one story


def token_view(tokens: FeedTokens, token: FeedToken, base_url: str) -> FeedTokenView:
    text = tokens.text_of(token)
    base = f"{base_url}/feeds/{text}" if text else None
    return FeedTokenView(token.id, token.label, token.created_at, token.revoked, text,
                         f"{base}/all.atom" if base else None,
                         f"{base}/saved/{{search_id}}.atom" if base else None,
                         f"{base}/stories/{{story_id}}.atom" if base else None)


@web_route(order=76)
def feed_tokens_router(deps: WebDeps) -> APIRouter:
    settings, redis_connection = deps.settings, deps.redis_connection
    router = APIRouter()
    public_url = settings.public_url.rstrip("/")

    def store() -> FeedTokens:
        return FeedTokens(redis_connection(), settings)

    # --- API -----------------------------------------------------------------------------------

    @router.get("/api/v1/feed-tokens", tags=["feeds"], summary="Your feed tokens and their feed URLs, newest first")
    def list_tokens(principal: SignedIn) -> list[FeedTokenView]:
        tokens = store()
        return [token_view(tokens, token, public_url) for token in tokens.tokens_of(principal.name)]

    @router.post("/api/v1/feed-tokens", status_code=201, tags=["feeds"],
                 summary="A new feed token: read-only, for the Atom feeds only, revocable")
    def make_token(wanted: FeedTokenIn, principal: SignedIn) -> FeedTokenView:
        tokens = store()
        try:
            _, token = tokens.issue(principal.name, wanted.label)
        except FeedTokenRefused as refusal:
            raise HTTPException(status_code=409, detail=str(refusal)) from refusal
        return token_view(tokens, token, public_url)

    @router.delete("/api/v1/feed-tokens/{token_id}", status_code=204, tags=["feeds"],
                   summary="Revoke one of your feed tokens: its feed URLs answer 404 from now on")
    def revoke_token(token_id: str, principal: SignedIn) -> Response:
        try:
            store().revoke(token_id, owner=principal.name)
        except FeedTokenRefused as refusal:
            raise HTTPException(status_code=404, detail=str(refusal)) from refusal
        return Response(status_code=204)

    # --- the account page --------------------------------------------------------------------------

    @router.get("/account/feeds", response_class=HTMLResponse, include_in_schema=False)
    def feeds_page(request: Request, principal: SignedIn, made: str = "",
                   next_path: Annotated[str, Query(alias="next", max_length=2000)] = "") -> HTMLResponse:
        tokens = store()
        views = [token_view(tokens, token, str(request.base_url).rstrip("/"))
                 for token in tokens.tokens_of(principal.name)]
        return TEMPLATES.TemplateResponse(request, "feeds.html", {
            "tokens": views, "current": next((view for view in views if view.token), None), "made": made,
            "searches": SavedSearches(redis_connection(), settings).of(principal.name),
            "next": local_path(next_path, "")})

    @router.post("/account/feeds", include_in_schema=False)
    def make_from_page(principal: SignedIn, label: Annotated[str, Form(max_length=80)] = "",
                       next: Annotated[str, Form(max_length=2000)] = "") -> Response:
        try:
            _, token = store().issue(principal.name, label)
        except FeedTokenRefused as refusal:
            raise HTTPException(status_code=409, detail=str(refusal)) from refusal
        shown = [("made", token.id)] + ([("next", local_path(next, ""))] if local_path(next, "") else [])
        return RedirectResponse("/account/feeds?" + urlencode(shown), status_code=303)

    @router.post("/account/feeds/{token_id}/revoke", include_in_schema=False)
    def revoke_from_page(token_id: str, principal: SignedIn) -> Response:
        try:
            store().revoke(token_id, owner=principal.name)
        except FeedTokenRefused as refusal:
            raise HTTPException(status_code=404, detail=str(refusal)) from refusal
        return RedirectResponse("/account/feeds", status_code=303)

    return router
