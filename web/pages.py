"""The analyst pages, rendered on the server: search with facets and a coverage
chart, the stories list, a story's timeline and attribution ledger ("who says
who did it") and an actor's profile with its ledger and naming crosswalk.

Article text is escaped everywhere (Jinja autoescape); the only HTML taken as
is comes from ``marked_html``. No page runs a script, and the policy header says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from search.engine import EngineUnavailable
from search.queries import FACET_FIELDS, STORY_SORTS
from search.service import InvalidQuery, StoryNotFound
from search.vocabulary import facet_label, normalise_terms
from web.api_v1 import search_request
from web.auth import Principal
from web.claim_ledgers import actor_claims, story_timeline_and_claims
from web.credentials import Role, role_allows
from web.feeds_account import subscribe_base
from web.page_parts import chart_bars, replaced_link, toggle_link
from web.routing import WebDeps, web_route
from web.templating import TEMPLATES
from web.timelines import ActorNotFound, actor_profile, list_stories
from web.workspace import SearchRequest, faceted_search

HERE = Path(__file__).parent

PAGE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")
# FastAPI's interactive docs load Swagger UI / ReDoc from a CDN with an inline starter script.
DOCS_POLICY = ("default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
               "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
               "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
               "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
STORY_SORT_LABELS = {"newest": "newest first", "updated": "latest updated", "outlets": "most outlets"}


def install_page_security(app: FastAPI) -> None:
    """Every response gets a Content-Security-Policy (and no referrer: an analyst's
    search must not travel to the outlets the results link to). The stylesheet is
    served here too: the policy allows styles from this origin only."""

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        docs = request.url.path.startswith(DOCS_PATHS)
        response.headers.setdefault("Content-Security-Policy", DOCS_POLICY if docs else PAGE_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def _may_save(request: Request) -> bool:
    """Saving (and alerting) is for analysts and admins signed in with a session (its forms need the CSRF token)."""
    principal = getattr(request.state, "principal", None)
    return isinstance(principal, Principal) and principal.via == "session" and role_allows(principal.role, Role.ANALYST)


def _page_url(request: Request) -> str:
    """This page's path and query: where a form on it (an article's mark) comes back to."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _link_makers(request: Request, params: list[tuple[str, str]]) -> dict[str, Any]:
    path = request.url.path
    return {"params": params,
            "toggle": lambda name, value: toggle_link(path, params, name, value),
            "replace": lambda name, value: replaced_link(path, params, name, value)}


@web_route(order=100)
def web_router(deps: WebDeps) -> APIRouter:
    settings, search_engine = deps.settings, deps.search_engine
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def search_page(request: Request, wanted: Annotated[SearchRequest, Depends(search_request)]) -> HTMLResponse:
        terms = normalise_terms(wanted.terms)
        # Facet values in links are the stored ones (an id, not the alias typed), so a click can undo them.
        params = [(key, value) for key, value in request.query_params.multi_items() if key not in FACET_FIELDS]
        params += [(name, value) for name, values in terms.items() for value in values]
        context: dict[str, Any] = {
            "query": wanted.query, "since": wanted.since, "until": wanted.until, "sort": wanted.sort,
            "result": None, "error": None, "bars": [],
            "chosen": [(name, value, facet_label(name, value)) for name, values in terms.items() for value in values],
            "can_save": _may_save(request), "export_query": urlencode([pair for pair in params if pair[0] != "page"]),
            "page_url": _page_url(request),
            **_link_makers(request, params)}
        status = 200
        if "q" in request.query_params or terms:
            try:
                context["result"] = faceted_search(search_engine(), settings, wanted)
                context["bars"] = chart_bars(context["result"].coverage)
            except InvalidQuery as failure:
                context["error"], status = str(failure), 400
            except EngineUnavailable:
                context["error"], status = "The search engine is not reachable; try again shortly.", 503
        return TEMPLATES.TemplateResponse(request, "search.html", context, status_code=status)

    @router.get("/stories", response_class=HTMLResponse)
    def stories_page(request: Request, q: str = "", actor: str = "", sort: str = "newest",
                     page: int = 1) -> HTMLResponse:
        sort = sort if sort in STORY_SORTS else "newest"
        context: dict[str, Any] = {"query": q, "actor": actor, "sort": sort, "listing": None, "error": None,
                                   "sorts": list(STORY_SORT_LABELS.items()),
                                   **_link_makers(request, list(request.query_params.multi_items()))}
        status = 200
        try:
            context["listing"] = list_stories(search_engine(), settings, q, {"actor": [actor]} if actor else {},
                                              sort=sort, page=min(max(page, 1), 500))
        except InvalidQuery as failure:
            context["error"], status = str(failure), 400
        return TEMPLATES.TemplateResponse(request, "stories.html", context, status_code=status)

    @router.get("/stories/{story_id}", response_class=HTMLResponse)
    def story_page(request: Request, story_id: str) -> HTMLResponse:
        try:
            timeline, claims = story_timeline_and_claims(search_engine(), settings, story_id)
        except StoryNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no story {story_id}") from failure
        return TEMPLATES.TemplateResponse(request, "story.html", {
            "timeline": timeline, "ledger": claims.ledger, "story_id": story_id, "can_mark": _may_save(request),
            "page_url": _page_url(request), "feed_base": subscribe_base(deps.redis_connection, settings, request)})

    @router.get("/actors/{name}", response_class=HTMLResponse)
    def actor_page(request: Request, name: str) -> HTMLResponse:
        try:
            profile = actor_profile(search_engine(), settings, name)
            claims = actor_claims(search_engine(), settings, name)
        except ActorNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no actor named {name!r}") from failure
        return TEMPLATES.TemplateResponse(request, "actor.html", {
            "profile": profile, "bars": chart_bars(profile.coverage), "claims": claims})

    return router
