"""Articles over /api/v1: deep pages with cursors, one article, more like it,
and a whole result set exported as CSV or JSON lines, streamed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from search.engine import SearchEngine
from search.export import csv_lines, jsonl_lines
from search.service import InvalidQuery, SearchHit
from web.api_v1 import reachable_engine, search_request
from web.articles import (
    ArticleNotFound,
    ArticlePage,
    InvalidCursor,
    article_page,
    get_article,
    matching_articles,
    similar_to,
)
from web.auth import SignedIn
from web.page_parts import DOWNLOAD_TYPES
from web.routing import WebDeps, web_route
from web.workspace import SearchRequest

Searched = Annotated[SearchRequest, Depends(search_request)]


@web_route(order=40)
def articles_router(deps: WebDeps) -> APIRouter:
    settings, search_engine = deps.settings, deps.search_engine
    router = APIRouter(prefix="/api/v1", tags=["articles"])

    def engine() -> SearchEngine:
        return reachable_engine(search_engine)

    @router.get("/articles", summary="Matching articles one by one, any depth: pass next_cursor back as cursor")
    def list_articles(request: Searched, principal: SignedIn,
                      cursor: Annotated[str | None, Query(max_length=2000)] = None) -> ArticlePage:
        try:
            return article_page(engine(), settings, request, cursor)
        except (InvalidQuery, InvalidCursor) as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @router.get("/articles/{article_id}", summary="One article with its enrichment")
    def one_article(article_id: str, principal: SignedIn) -> dict[str, object]:
        try:
            return get_article(engine(), settings, article_id)
        except ArticleNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no article {article_id}") from failure

    @router.get("/articles/{article_id}/similar", summary="Original articles that read like this one (more like this)")
    def similar(article_id: str, principal: SignedIn,
                size: Annotated[int, Query(ge=1, le=50)] = 10) -> list[SearchHit]:
        try:
            return similar_to(engine(), settings, article_id, size)
        except ArticleNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no article {article_id}") from failure

    @router.get("/export", summary="Every matching article as CSV or JSON lines, streamed (same parameters as search)")
    def export(request: Searched, principal: SignedIn, format: Literal["csv", "jsonl"] = "csv",
               limit: Annotated[int, Query(ge=1, le=1_000_000)] = 100_000) -> StreamingResponse:
        try:
            articles = matching_articles(engine(), settings, request, limit)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure
        lines = csv_lines(articles) if format == "csv" else jsonl_lines(articles)
        name = f"coverwatch-{datetime.now(UTC):%Y%m%d-%H%M}.{format}"
        return StreamingResponse(lines, media_type=DOWNLOAD_TYPES[format],
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return router
