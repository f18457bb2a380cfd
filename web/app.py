"""The HTTP app: every router module of web/ registers its router with
web/routing.py (``@web_route(order=N)``); this module installs access control
and the page security headers, imports the package and includes the routers in
their order. A new page or API route is its router module (and template) alone."""

from __future__ import annotations

import redis
from fastapi import FastAPI

from coverwatch.connections import redis_client_for
from coverwatch.settings import Settings, get_settings
from search.engine import SearchEngine, connect
from web.auth import install_access_control
from web.pages import install_page_security
from web.routing import WebDeps, import_web_modules, include_routes


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
    # In their registered order (web/routing.py: login first, /metrics last).
    import_web_modules()
    include_routes(app, WebDeps(settings, search_engine, redis_connection))
    return app
