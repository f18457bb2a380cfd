"""STIX 2.1 bundles over the analyst API (issue 23): one story's, an actor's
stories', a saved search's stories'. Signed in like the rest of /api/v1 (any
role); the bundle is workers/exchange/stix.py's, as ``coverwatch export
--format stix`` prints it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, HTTPException, Response

from search.engine import EngineError, EngineUnavailable, SearchEngine
from search.story_records import SearchScope, StoryRecord, story_records
from search.vocabulary import find_actor
from web.api_v1 import DateBound, reachable_engine
from web.auth import SignedIn
from web.exchange_scopes import actor_scope, find_saved
from web.page_parts import filename_part
from web.routing import WebDeps, web_route
from web.saved_searches import SavedSearchError, SavedSearches, search_scope
from workers.exchange import ExchangeOptions
from workers.exchange.stix import STIX_MEDIA_TYPE, render_stix

STIX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {STIX_MEDIA_TYPE: {}}, "description": "a STIX 2.1 bundle"}}


def bundle_response(records: Sequence[StoryRecord], options: ExchangeOptions, name: str) -> Response:
    return Response(render_stix(records, options), media_type=STIX_MEDIA_TYPE,
                    headers={"Content-Disposition": f'inline; filename="coverwatch-{filename_part(name)}.stix.json"'})


@web_route(order=83)
def exchange_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter(prefix="/api/v1", tags=["threat-intel exchange"])

    def engine() -> SearchEngine:
        return reachable_engine(search_engine)

    def scoped(scope: SearchScope, since: str | None) -> list[StoryRecord]:
        try:
            return list(story_records(engine(), settings, since=since or None, scope=scope))
        except EngineUnavailable as failure:
            raise HTTPException(status_code=503, detail="the search engine is not reachable") from failure
        except EngineError as failure:  # a saved query the engine refuses
            raise HTTPException(status_code=400, detail=f"the search was refused: {str(failure)[:300]}") from failure

    @router.get("/stories/{story_id}/stix", response_class=Response, responses=STIX_RESPONSE,
                summary="The story as a STIX 2.1 bundle: report, actors, techniques, indicators, claims")
    def story_stix(story_id: str, principal: SignedIn) -> Response:
        records = list(story_records(engine(), settings, story_ids=[story_id]))
        if not records:
            raise HTTPException(status_code=404, detail=f"no story {story_id}")
        options = ExchangeOptions.from_settings(settings, scope_id=f"story:{story_id}")
        return bundle_response(records, options, f"story-{story_id}")

    @router.get("/actors/{name}/stix", response_class=Response, responses=STIX_RESPONSE,
                summary="An actor's stories (id or any alias; the 1,000 with the newest coverage) as one "
                        "STIX 2.1 bundle")
    def actor_stix(name: str, principal: SignedIn, since: DateBound = None) -> Response:
        actor = find_actor(name)
        if actor is None:
            raise HTTPException(status_code=404, detail=f"no actor named {name!r} in the taxonomy")
        options = ExchangeOptions.from_settings(settings, scope_id=f"actor:{actor.id}",
                                                title=f"Coverwatch stories of {actor.name}")
        return bundle_response(scoped(actor_scope(actor), since), options, f"actor-{actor.id}")

    @router.get("/saved/{name}/stix", response_class=Response, responses=STIX_RESPONSE,
                summary="The stories one of your saved searches reaches (by id or name) as one STIX 2.1 bundle")
    def saved_stix(name: str, principal: SignedIn, since: DateBound = None) -> Response:
        saved = find_saved(SavedSearches(redis_connection(), settings), principal.name, name)
        if saved is None:
            raise HTTPException(status_code=404, detail=f"you have no saved search {name!r}")
        try:
            scope = search_scope(saved)
        except SavedSearchError as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure
        options = ExchangeOptions.from_settings(settings, scope_id=f"saved:{saved.owner}:{saved.id}",
                                                title=f"Coverwatch: {saved.name}")
        return bundle_response(scoped(scope, since), options, f"saved-{saved.id}")

    return router
