"""The HTTP app: the unversioned API kept for scripts and the demo, the
versioned analyst API (web/api_v1.py) and the analyst pages (web/pages.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import redis
from fastapi import FastAPI, HTTPException, Query, Response

from coverwatch.connections import redis_client_for
from coverwatch.settings import Settings, get_settings
from search.engine import SearchEngine, connect
from search.health import check_health
from search.service import InvalidQuery, StoryNotFound, find_stories, run_search, story_view
from web.accounts_api import accounts_router
from web.api_v1 import v1_router
from web.articles_api import articles_router
from web.auth import install_access_control, login_router
from web.metrics import metrics_router
from web.pages import install_page_security, web_router
from web.relevance_marks_api import marks_router
from web.rules_api import alert_router
from web.saved_api import saved_router
from web.source_pages import source_router
from web.subscriber_pages import subscribers_router


def create_app(settings: Settings | None = None, engine: SearchEngine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Coverwatch", version="0.1.0")
    state: dict[str, SearchEngine] = {}
    redis_clients: list[redis.Redis] = []

    def search_engine() -> SearchEngine:
        if "engine" not in state:
            state["engine"] = engine or connect(settings.search_url)
        return state["engine"]

    def redis_connection() -> redis.Redis:
        """One client (and connection pool) for the app, opened on first use."""
        if not redis_clients:
            redis_clients.append(redis_client_for(settings))
        return redis_clients[0]

    # Nothing but web/credentials.py's public paths without a login (see web/auth.py
    # for the dependencies routers use). Installed first so the security headers wrap its refusals.
    install_access_control(app, settings, redis_connection)
    install_page_security(app)
    app.include_router(login_router(settings, redis_connection))
    app.include_router(accounts_router(settings, redis_connection))
    app.include_router(saved_router(settings, search_engine, redis_connection))
    app.include_router(articles_router(settings, search_engine))
    app.include_router(marks_router(settings, search_engine, redis_connection))  # analysts' relevance marks
    app.include_router(source_router(settings, redis_connection))

    @app.get("/api/search")
    def api_search(q: str = Query("", max_length=2000), page: int = Query(1, ge=1, le=500),
                   size: int = Query(20, ge=1, le=100), duplicates: bool = False,
                   source: list[str] = Query(default=[])) -> dict[str, Any]:  # noqa: B008 - FastAPI idiom
        try:
            result = run_search(search_engine(), settings, q, page, size, duplicates, source)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure
        return asdict(result)

    @app.get("/api/stories")
    def api_stories(q: str = Query("", max_length=2000), size: int = Query(20, ge=1, le=100)) -> list[dict[str, Any]]:
        try:
            return find_stories(search_engine(), settings, q, size)
        except InvalidQuery as failure:
            raise HTTPException(status_code=400, detail=str(failure)) from failure

    @app.get("/api/stories/{story_id}")
    def api_story(story_id: str) -> dict[str, Any]:
        try:
            view = story_view(search_engine(), settings, story_id)
        except StoryNotFound as failure:
            raise HTTPException(status_code=404, detail=f"no story {story_id}") from failure
        return {"story": view.story, "broke_it": view.broke_it, "articles": view.articles}

    @app.get("/api/health", responses={503: {"description": "a part named in `failing` is down"}})
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

    @app.get("/api/sources")
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

    # The versioned API and the analyst pages (search, stories, timelines, actors).
    app.include_router(v1_router(settings, search_engine))
    app.include_router(alert_router(settings, search_engine, redis_connection))  # rules and deliveries
    app.include_router(web_router(settings, search_engine))
    app.include_router(subscribers_router(settings, search_engine))  # and the public email-link pages
    app.include_router(metrics_router(settings, redis_connection))  # GET /metrics, public (web/metrics.py)
    return app
