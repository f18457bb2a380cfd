"""The versioned analyst API (/api/v1): faceted search, stories, a story's
timeline, actor profiles and the attribution ledgers of a story and of an actor
(JSON, or their rows as CSV or JSON lines). Every refusal of a query is a 400
with the reason."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from search.engine import EngineUnavailable, SearchEngine
from search.queries import FACET_FIELDS
from search.service import InvalidQuery, StoryNotFound
from web.claim_ledgers import LedgerFormat, StoryClaims, actor_claims, ledger_download, story_claims
from web.routing import WebDeps, web_route
from web.timelines import (
    ActorNotFound,
    ActorProfile,
    StoryList,
    StoryTimeline,
    actor_profile,
    list_stories,
    story_timeline,
)
from web.workspace import SearchRequest, WorkspacePage, faceted_search
from workers.attribution.actor_ledger import ActorLedger

# An ISO date or date-time (or nothing: an empty date field of the page's form);
# anything else would reach the engine as a range it cannot parse.
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?)?$"
Values = Annotated[list[str], Query()]
DateBound = Annotated[str | None, Query(pattern=DATE_PATTERN, description="ISO date, e.g. 2026-11-01")]


def search_request(
    q: Annotated[str, Query(max_length=2000, description="query-string syntax; actor aliases expand")] = "",
    since: DateBound = None,
    until: DateBound = None,
    sort: Literal["relevance", "newest"] = "relevance",
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    duplicates: bool = False,
    **facets: list[str],
) -> SearchRequest:
    """The search an analyst asked for, read from query parameters (shared by the API and the page)."""
    terms = {name: list(facets.get(name) or ()) for name in FACET_FIELDS}
    return SearchRequest(query=q, terms={name: values for name, values in terms.items() if values},
                         since=since or None, until=until or None, sort=sort, page=page, size=size,
                         include_duplicates=duplicates)


def _with_facet_parameters(reader: Callable[..., SearchRequest]) -> None:
    """Give ``reader`` one repeatable query parameter per facet (coverwatch/fields.py),
    after ``q``, for FastAPI to read and document."""
    signature = inspect.signature(reader)
    named = [parameter for parameter in signature.parameters.values()
             if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    facets = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=[], annotation=Values)
              for name in FACET_FIELDS]
    keyword_only = [parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY) for parameter in named]
    reader.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[keyword_only[0], *facets, *keyword_only[1:]],
        return_annotation=SearchRequest)


_with_facet_parameters(search_request)


def story_filters(
    actor: Values = [],  # noqa: B006
    victim: Values = [],  # noqa: B006
    language: Values = [],  # noqa: B006
    outlet: Values = [],  # noqa: B006
) -> dict[str, list[str]]:
    terms = {"actor": actor, "victim": victim, "language": language, "outlet": outlet}
    return {name: values for name, values in terms.items() if values}


def reachable_engine(search_engine: Callable[[], SearchEngine]) -> SearchEngine:
    """The engine for one API call; a 503, not a 500, when it does not answer."""
    try:
        return search_engine()
    except EngineUnavailable as failure:
        raise HTTPException(status_code=503, detail="the search engine is not reachable") from failure


@web_route(order=80)
def v1_router(deps: WebDeps) -> APIRouter:
    settings, search_engine = deps.settings, deps.search_engine
    router = APIRouter(prefix="/api/v1", tags=["analyst API v1"])

    def engine() -> SearchEngine:
        return reachable_engine(search_engine)

    @router.get("/search", summary="Faceted, actor-aware search; one hit per story")
    def api_search(request: Annotated[SearchRequest, Depends(search_request)]) -> WorkspacePage:
        try:
            return faceted_search(engine(), settings, request)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @router.get("/stories", summary="Stories, newest, latest updated or most outlets first")
    def api_stories(
        filters: Annotated[dict[str, list[str]], Depends(story_filters)],
        q: Annotated[str, Query(max_length=2000)] = "",
        since: DateBound = None,
        until: DateBound = None,
        sort: Literal["newest", "updated", "outlets"] = "newest",
        page: Annotated[int, Query(ge=1, le=500)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> StoryList:
        try:
            return list_stories(engine(), settings, q, filters, since=since or None, until=until or None, sort=sort,
                                page=page, size=size)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @router.get("/stories/{story_id}", summary="A story and its timeline: who broke it, who followed, when")
    def api_story(story_id: str) -> StoryTimeline:
        try:
            return story_timeline(engine(), settings, story_id)
        except StoryNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no story {story_id}") from failure

    @router.get("/actors/{name}", summary="An actor by id or any alias: aliases, sponsor, coverage, recent stories")
    def api_actor(name: str) -> ActorProfile:
        try:
            return actor_profile(engine(), settings, name)
        except ActorNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no actor named {name!r} in the taxonomy") from failure

    @router.get("/stories/{story_id}/claims", response_model=StoryClaims,
                summary="Who says who did it: the story's attribution ledger (format=csv or jsonl: its rows)")
    def api_story_claims(story_id: str, format: LedgerFormat = "json") -> StoryClaims | Response:
        try:
            claims = story_claims(engine(), settings, story_id)
        except StoryNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no story {story_id}") from failure
        return claims if format == "json" else ledger_download(claims.ledger.rows, format, f"story-{story_id}")

    @router.get("/actors/{name}/claims", response_model=ActorLedger,
                summary="An actor's attribution ledger across its stories, first government attribution and "
                        "who calls it what (format=csv or jsonl: its rows)")
    def api_actor_claims(name: str, format: LedgerFormat = "json") -> ActorLedger | Response:
        try:
            ledger = actor_claims(engine(), settings, name)
        except ActorNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no actor named {name!r} in the taxonomy") from failure
        return ledger if format == "json" else ledger_download(ledger.rows, format, f"actor-{ledger.actor_id}")

    return router
