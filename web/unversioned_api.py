"""The unversioned API kept for scripts and the demo: search, stories, health and
sources (the analyst API is web/api_v1.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Response

from search.health import check_health
from search.service import InvalidQuery, StoryNotFound, find_stories, run_search, story_view
from web.routing import WebDeps, web_route


@web_route(order=70)
def unversioned_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter()

    @router.get("/api/search")
    def api_search(q: str = Query("", max_length=2000), page: int = Query(1, ge=1, le=500),
                   size: int = Query(20, ge=1, le=100), duplicates: bool = False,
                   source: list[str] = Query(default=[])) -> dict[str, Any]:  # noqa: B008 - FastAPI idiom
        try:
            result = run_search(search_engine(), settings, q, page, size, duplicates, source)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure
        return asdict(result)

    @router.get("/api/stories")
    def api_stories(q: str = Query("", max_length=2000), size: int = Query(20, ge=1, le=100)) -> list[dict[str, Any]]:
        try:
            return find_stories(search_engine(), settings, q, size)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @router.get("/api/stories/{story_id}")
    def api_story(story_id: str) -> dict[str, Any]:
        try:
            view = story_view(search_engine(), settings, story_id)
        except StoryNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no story {story_id}") from failure
        return {"story": view.story, "broke_it": view.broke_it, "articles": view.articles}

    @router.get("/api/health", responses={503: {"description": "a part named in `failing` is down"}})
    def api_health(response: Response) -> dict[str, Any]:
        """Every search node and Redis, through the deployment's own connections (search/health.py)."""
        health = check_health(settings)
        response.status_code = 200 if health.healthy else 503
        answer = health.answer()
        if "redis" not in health.failing:
            from workers.backlog import pipeline_backlog

            backlog = pipeline_backlog(redis_connection(), settings)
            answer["pipeline"] = {
                "queued": backlog.queued, "dead_letters": backlog.dead_letters,
                "in_flight": {stage: asdict(flight) for stage, flight in backlog.in_flight.items()},
                "returned_after_worker_death": backlog.returned_after_worker_death}
        return answer

    @router.get("/api/sources")
    def api_sources() -> list[dict[str, Any]]:
        """Operators' view: every source with its health, last success and next run."""
        from crawlers.health import SourceStates
        from crawlers.sources import load_sources

        states = SourceStates(redis_connection(), settings)
        rows = []
        for source in load_sources(settings.sources_file):
            state = states.get(source.name)
            rows.append({"name": source.name, "kind": source.kind.value, "schedule": source.schedule,
                         "status": state.status, **asdict(state)})
        return rows

    return router
