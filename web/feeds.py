"""Atom feeds for feed readers, which cannot sign in or send a header: the
user's feed token (web/feed_tokens.py) is in the path.

- ``/feeds/{token}/all.atom``: the stories that changed last;
- ``/feeds/{token}/saved/{search_id}.atom``: the stories one of the token
  owner's saved searches reaches (its query alias-expanded, as the workspace runs it);
- ``/feeds/{token}/stories/{story_id}.atom``: one story, its entry updated as it grows.

The paths are public to the access control (web/credentials.py
``PUBLIC_PREFIXES``): this module checks the token itself, and answers 404 to a
token that is unknown, revoked, malformed or its user's disabled, and to a
saved search that is not the owner's, without saying which. Entries come from
workers/exchange/atom.py, one per story. Pollers get ``ETag`` and
``Last-Modified`` (the newest entry's update) and a 304 when nothing changed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import quote

import redis
from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import RedirectResponse

from search.documents import get_document
from search.engine import EngineError, EngineUnavailable
from search.indexes import STORIES
from search.story_records import StoryRecord, newest_story_ids, reached_story_ids, story_records
from web.accounts import User
from web.feed_tokens import FeedTokens
from web.routing import WebDeps, web_route
from web.saved_searches import SavedSearchError, SavedSearches, search_scope
from workers.exchange import ExchangeOptions
from workers.exchange.atom import FEED_ENTRY_CAP, MEDIA_TYPE, atom_feed, feed_updated, newest_first

log = logging.getLogger(__name__)

NO_SUCH_FEED = "no such feed"
# Readers poll; a private cache may keep a feed this long (seconds). The token is in the URL, so never a shared one.
FEED_MAX_AGE = 300
TOKEN_PATH = Annotated[str, Path(max_length=120, description="your feed token (coverwatch users feed-token)")]


def entity_tag(document: str) -> str:
    return '"' + hashlib.sha256(document.encode("utf-8")).hexdigest()[:32] + '"'


def not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, updated: datetime) -> bool:
    """Whether a conditional GET may get a 304: the tag matches (which, when sent,
    decides alone, RFC 9110 13.2.2), or nothing changed since the date sent."""
    if if_none_match is not None:
        sent = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in sent or etag in sent
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return updated.replace(microsecond=0) <= since


def feed_response(request: Request, records: Sequence[StoryRecord], options: ExchangeOptions,
                  home_url: str) -> Response:
    """The feed of ``records``, or 304 when the reader has it already."""
    shown = newest_first(records)
    document = atom_feed(shown, options, self_url=str(request.url.replace(query=None)), home_url=home_url)
    etag = entity_tag(document)
    updated = feed_updated(shown, options)
    headers = {"ETag": etag, "Last-Modified": format_datetime(updated.astimezone(UTC), usegmt=True),
               "Cache-Control": f"private, max-age={FEED_MAX_AGE}", "X-Robots-Tag": "noindex, nofollow"}
    if not_modified(request.headers.get("if-none-match"), request.headers.get("if-modified-since"), etag, updated):
        return Response(status_code=304, headers=headers)
    return Response(document, media_type=f"{MEDIA_TYPE}; charset=utf-8", headers=headers)


@web_route(order=74)
def feeds_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter(prefix="/feeds/{token}", tags=["feeds"])
    public_url = settings.public_url.rstrip("/")
    feed_responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {MEDIA_TYPE: {}}, "description": "an Atom feed"},
        304: {"description": "not modified since the ETag or date sent"},
        404: {"description": "no such feed: the token is unknown or revoked, or the feed is not yours"}}

    def reader(token: str) -> User:
        try:
            user = FeedTokens(redis_connection(), settings).reader(token)
        except redis.RedisError as failure:
            raise HTTPException(status_code=503, detail="feeds are unavailable (Redis); try again shortly") \
                from failure
        if user is None:
            raise HTTPException(status_code=404, detail=NO_SUCH_FEED)
        return user

    def options(scope_id: str, title: str) -> ExchangeOptions:
        return ExchangeOptions.from_settings(settings, scope_id=scope_id, title=title)

    def engine_refusal(failure: Exception) -> HTTPException:
        log.warning("feed not served: the search engine failed: %s", failure)
        return HTTPException(status_code=503, detail="the search engine is not reachable; try again shortly")

    @router.get("/all.atom", summary="Atom feed of the stories that changed last", responses=feed_responses,
                response_class=Response)
    def all_stories(request: Request, token: TOKEN_PATH) -> Response:
        reader(token)
        try:
            engine = search_engine()
            records = list(story_records(engine, settings, story_ids=newest_story_ids(engine, settings,
                                                                                        FEED_ENTRY_CAP)))
        except (EngineError, EngineUnavailable) as failure:
            raise engine_refusal(failure) from failure
        return feed_response(request, records, options("all", "Coverwatch: latest stories"), f"{public_url}/stories")

    @router.get("/saved/{search_id}.atom", summary="Atom feed of one of your saved searches",
                responses=feed_responses, response_class=Response)
    def saved_search(request: Request, token: TOKEN_PATH, search_id: Annotated[str, Path(max_length=64)]) -> Response:
        user = reader(token)
        saved = SavedSearches(redis_connection(), settings).get(user.name, search_id)
        if saved is None:
            raise HTTPException(status_code=404, detail=NO_SUCH_FEED)
        try:
            scope = search_scope(saved)
        except SavedSearchError as failure:
            raise HTTPException(status_code=422, detail=f"the saved search cannot run: {failure}") from failure
        try:
            engine = search_engine()
            reached = reached_story_ids(engine, settings, scope)[:FEED_ENTRY_CAP]
            records = list(story_records(engine, settings, story_ids=reached)) if reached else []
        except (EngineError, EngineUnavailable) as failure:
            raise engine_refusal(failure) from failure
        return feed_response(request, records, options(f"saved:{user.name}:{saved.id}",
                                                       f"Coverwatch: saved search “{saved.name}”"),
                             public_url + saved.page_link())

    @router.get("/stories/{story_id}.atom", summary="Atom feed of one story (its entry updated as it grows)",
                responses={**feed_responses, 301: {"description": "the story was merged into another"}},
                response_class=Response)
    def one_story(request: Request, token: TOKEN_PATH, story_id: Annotated[str, Path(max_length=200)]) -> Response:
        reader(token)
        try:
            engine = search_engine()
            records = list(story_records(engine, settings, story_ids=[story_id]))
            merged = None if records else get_document(engine, settings.index_name(STORIES), story_id)
        except (EngineError, EngineUnavailable) as failure:
            raise engine_refusal(failure) from failure
        if not records:
            if merged and merged.get("merged_into"):  # readers follow a permanent move and keep the subscription
                return RedirectResponse(f"/feeds/{token}/stories/{quote(str(merged['merged_into']), safe='')}.atom",
                                        status_code=301)
            raise HTTPException(status_code=404, detail=NO_SUCH_FEED)
        story_url = f"{public_url}/stories/{story_id}"
        return feed_response(request, records, options(f"story:{story_id}", f"Coverwatch story: {records[0].title}"),
                             story_url)

    return router
