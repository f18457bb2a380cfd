"""Saved searches over the API (/api/v1/saved-searches) and on the pages
(/saved): every user sees their own; analysts and admins save, delete and
turn a search into an alert rule that emails them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from alerts.rules import InvalidRule, register_rule
from search.engine import EngineUnavailable
from web.api_v1 import DATE_PATTERN
from web.auth import Analyst, Principal, SignedIn
from web.credentials import Role, role_allows
from web.feeds_account import subscribe_base
from web.routing import WebDeps, web_route
from web.saved_searches import (
    SAVED_FACETS,
    SavedSearch,
    SavedSearchError,
    SavedSearches,
    describe,
    match_rule_for,
    search_from_pairs,
)
from web.templating import TEMPLATES

if TYPE_CHECKING:
    FacetName = str
else:  # one of the facets a saved search keeps (coverwatch/fields.py), listed by the schema
    FacetName = Literal[SAVED_FACETS]


class SavedSearchIn(BaseModel):
    """A search to keep, in the search API's own terms."""

    name: str = Field(min_length=1, max_length=120)
    q: str = Field(default="", max_length=2000)
    terms: dict[FacetName, list[Annotated[str, Field(max_length=200)]]] = Field(default_factory=dict)
    since: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    until: Annotated[str | None, Field(pattern=DATE_PATTERN)] = None
    sort: Literal["relevance", "newest"] = "relevance"


@dataclass
class AlertMade:
    rule_id: str
    rule_name: str
    subscribers: list[str]
    notes: list[str]


@web_route(order=30)
def saved_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter()

    def store() -> SavedSearches:
        return SavedSearches(redis_connection(), settings)

    def own(principal: Principal, search_id: str) -> SavedSearch:
        saved = store().get(principal.name, search_id)
        if saved is None:
            raise HTTPException(status_code=404, detail=f"you have no saved search {search_id!r}")
        return saved

    def make_alert(principal: Principal, saved: SavedSearch) -> AlertMade:
        """Register the search's match rule (same name again replaces it); refusals keep their reason."""
        if not principal.user.email:
            raise HTTPException(status_code=409, detail="your account has no email address for alerts; "
                                "an admin can add one (coverwatch users add --email)")
        try:
            rule, notes = match_rule_for(saved, principal.user.email)
            rule_id = register_rule(search_engine(), settings, rule)
        except (SavedSearchError, InvalidRule) as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure
        except EngineUnavailable as failure:
            raise HTTPException(status_code=503, detail="the search engine is not reachable") from failure
        saved.rule_name, saved.rule_notes = rule.name, notes
        store().put(saved)
        return AlertMade(rule_id, rule.name, list(rule.subscribers), notes)

    # --- API -----------------------------------------------------------------------------------

    @router.get("/api/v1/saved-searches", tags=["saved searches"], summary="Your saved searches, newest first")
    def list_saved(principal: SignedIn) -> list[SavedSearch]:
        return store().of(principal.name)

    @router.post("/api/v1/saved-searches", status_code=201, tags=["saved searches"], summary="Save a search")
    def save(wanted: SavedSearchIn, principal: Analyst) -> SavedSearch:
        pairs = [("q", wanted.q), ("sort", wanted.sort)] + [
            (name, value) for name, values in wanted.terms.items() for value in values]
        pairs += [(name, value) for name, value in (("since", wanted.since), ("until", wanted.until)) if value]
        try:
            return store().save(principal.name, wanted.name, search_from_pairs(pairs))
        except SavedSearchError as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @router.get("/api/v1/saved-searches/{search_id}", tags=["saved searches"], summary="One of your saved searches")
    def get_saved(search_id: str, principal: SignedIn) -> SavedSearch:
        return own(principal, search_id)

    @router.delete("/api/v1/saved-searches/{search_id}", status_code=204, tags=["saved searches"],
                   summary="Delete a saved search (a rule made from it stays)")
    def delete_saved(search_id: str, principal: Analyst) -> Response:
        own(principal, search_id)
        store().delete(principal.name, search_id)
        return Response(status_code=204)

    @router.post("/api/v1/saved-searches/{search_id}/alert", tags=["saved searches"],
                 summary="Alert me on this search: a match rule with its query and filters, emailing you")
    def alert_on_saved(search_id: str, principal: Analyst) -> AlertMade:
        return make_alert(principal, own(principal, search_id))

    # --- pages ---------------------------------------------------------------------------------

    @router.get("/saved", response_class=HTMLResponse, include_in_schema=False)
    def saved_page(request: Request, principal: SignedIn, made: str = "") -> HTMLResponse:
        searches = store().of(principal.name)
        return TEMPLATES.TemplateResponse(request, "saved.html", {
            "searches": [(saved, describe(saved)) for saved in searches],
            "made": next((saved for saved in searches if saved.id == made), None),
            "can_save": role_allows(principal.role, Role.ANALYST), "error": None,
            "feed_base": subscribe_base(redis_connection, settings, request)})

    def page_error(request: Request, principal: Principal, error: str, status: int) -> HTMLResponse:
        searches = store().of(principal.name)
        return TEMPLATES.TemplateResponse(request, "saved.html", {
            "searches": [(saved, describe(saved)) for saved in searches], "made": None,
            "can_save": True, "error": error, "feed_base": subscribe_base(redis_connection, settings, request)},
            status_code=status)

    @router.post("/saved", include_in_schema=False)
    async def save_from_page(request: Request, principal: Analyst) -> Response:
        form = await request.form()
        pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        fields = dict(pairs)
        try:
            saved = store().save(principal.name, fields.get("name", ""), search_from_pairs(pairs))
        except SavedSearchError as failure:
            return page_error(request, principal, str(failure), 400)
        if fields.get("action") == "alert":
            try:
                make_alert(principal, saved)
            except HTTPException as refusal:
                return page_error(request, principal, f"Saved, but no alert was made: {refusal.detail}",
                                  refusal.status_code)
        return RedirectResponse(f"/saved?made={saved.id}", status_code=303)

    @router.post("/saved/{search_id}/alert", include_in_schema=False)
    def alert_from_page(request: Request, search_id: str, principal: Analyst) -> Response:
        try:
            make_alert(principal, own(principal, search_id))
        except HTTPException as refusal:
            return page_error(request, principal, str(refusal.detail), refusal.status_code)
        return RedirectResponse(f"/saved?made={search_id}", status_code=303)

    @router.post("/saved/{search_id}/delete", include_in_schema=False)
    def delete_from_page(search_id: str, principal: Analyst) -> Response:
        store().delete(principal.name, search_id)
        return RedirectResponse("/saved", status_code=303)

    return router
