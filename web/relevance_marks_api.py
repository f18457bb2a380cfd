"""Analysts mark articles "espionage" or "not espionage": over /api/v1 (PUT and
DELETE ``/articles/{id}/relevance-mark``, GET the mark or every mark) and from
the workspace pages (a small form per article, posted with the session's CSRF
token). Marking takes the analyst role; reading marks, any signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from coverwatch.models import utc_now
from search.engine import SearchEngine
from search.relevance_marks import MarkLabel, RelevanceMark, get_mark, list_marks
from web.api_v1 import reachable_engine
from web.auth import Analyst, SignedIn
from web.credentials import local_path
from web.routing import WebDeps, web_route

MARK_PATH = "/articles/{article_id}/relevance-mark"


class MarkIn(BaseModel):
    label: MarkLabel


@dataclass
class MarkResult:
    """The article's mark after the request, and what it shows now."""

    article_id: str
    mark: RelevanceMark | None
    relevance_band: str | None
    on_topic: bool | None
    changed: bool
    alert_task: str | None  # the alert stage's task, when the mark let the article alert


@web_route(order=50)
def marks_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter()

    def engine() -> SearchEngine:
        return reachable_engine(search_engine)

    def mark(article_id: str, label: MarkLabel | None, who: str) -> MarkResult:
        from workers.marking import ArticleMissing, MarkingBusy, set_mark

        try:
            outcome = set_mark(engine(), redis_connection(), settings, article_id, label, who, utc_now())
        except ArticleMissing as missing:
            raise HTTPException(status_code=404, detail=f"no article {article_id}") from missing
        except MarkingBusy as busy:
            raise HTTPException(status_code=503, detail=str(busy)) from busy
        return MarkResult(article_id, outcome.mark, outcome.banding.band, outcome.banding.on_topic,
                          outcome.changed, outcome.alert_task)

    @router.put("/api/v1" + MARK_PATH, tags=["relevance marks"],
                summary="Mark an article espionage or not: its band follows at once (analysts)")
    def put_mark(article_id: str, wanted: MarkIn, principal: Analyst) -> MarkResult:
        return mark(article_id, wanted.label, principal.name)

    @router.delete("/api/v1" + MARK_PATH, tags=["relevance marks"],
                   summary="Clear an article's mark: the model's band again (analysts)")
    def clear_mark(article_id: str, principal: Analyst) -> MarkResult:
        return mark(article_id, None, principal.name)

    @router.get("/api/v1" + MARK_PATH, tags=["relevance marks"],
                summary="An article's mark record with its history")
    def one_mark(article_id: str, principal: SignedIn) -> RelevanceMark:
        found = get_mark(engine(), settings, article_id)
        if found is None:
            raise HTTPException(status_code=404, detail=f"article {article_id} was never marked")
        return found

    @router.get("/api/v1/relevance-marks", tags=["relevance marks"],
                summary="Marked articles, newest mark first")
    def all_marks(principal: SignedIn, label: MarkLabel | None = None,
                  marked_by: Annotated[str | None, Query(max_length=64)] = None,
                  include_cleared: bool = False,
                  size: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[RelevanceMark]:
        return list_marks(engine(), settings, label, marked_by, include_cleared, size)

    @router.post(MARK_PATH, include_in_schema=False)
    def mark_from_page(article_id: str, principal: Analyst,
                       label: Annotated[Literal["espionage", "not_espionage", "clear"], Form()],
                       back: Annotated[str, Form(max_length=2000)] = "/") -> RedirectResponse:
        mark(article_id, None if label == "clear" else MarkLabel(label), principal.name)
        # Back to the page the button was on, at the article.
        return RedirectResponse(f"{local_path(back)}#article-{quote(article_id, safe='')}", status_code=303)

    return router
