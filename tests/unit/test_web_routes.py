"""The router registry (web/routing.py): web/app.py includes every router module
of web/ in its registered order, so a new page is its router module (and
template) alone. The app matches the routes it matched before the registry, in
the same order, with the same OpenAPI operations; a throwaway page registered
on a copy of the registry takes its place without touching the app module."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.routing import BaseRoute

import web
from coverwatch.settings import Settings
from web.app import create_app
from web.routing import WEB_ROUTES, RouterFactory, WebDeps, import_web_modules, include_routes, web_route

BEFORE = json.loads((Path(__file__).parents[1] / "fixtures" / "web_routes.json").read_text(encoding="utf-8"))


def matched(routes: Sequence[BaseRoute]) -> list[list[Any]]:
    """[path, methods] of every route in the order requests try them."""
    found: list[list[Any]] = []
    for route in routes:
        included = getattr(route, "original_router", None)  # newer FastAPI keeps an included router whole
        if isinstance(included, APIRouter):
            found += matched(included.routes)
        else:
            found.append([getattr(route, "path", ""), sorted(getattr(route, "methods", None) or [])])
    return found


def no_connection() -> Any:
    raise AssertionError("building the routers opens no connection")


def deps() -> WebDeps:
    return WebDeps(Settings(), no_connection, no_connection)


def test_the_app_matches_what_it_matched_in_the_same_order() -> None:
    app = create_app(Settings())
    routes = matched(app.routes)
    assert [route for route in routes if route in BEFORE["routes"]] == BEFORE["routes"]
    assert routes[5:8] == [["/login", ["GET"]], ["/login", ["POST"]], ["/logout", ["POST"]]]  # login first
    assert routes[-1] == ["/metrics", ["GET"]]  # and the metrics last
    operations = {path: {method: spec["operationId"] for method, spec in methods.items()}
                  for path, methods in app.openapi()["paths"].items()}
    assert {path: operations.get(path) for path in BEFORE["operations"]} == BEFORE["operations"]


def test_every_router_factory_of_the_package_is_registered_once() -> None:
    import_web_modules()
    factories = []
    for info in pkgutil.iter_modules(web.__path__):
        module = importlib.import_module(f"web.{info.name}")
        factories += [value for name, value in vars(module).items()
                      if name.endswith("_router") and callable(value) and value.__module__ == module.__name__]
    assert sorted(f.__qualname__ for f in factories) == sorted(f.__qualname__ for f in WEB_ROUTES.values())
    assert [WEB_ROUTES[order].__qualname__ for order in sorted(WEB_ROUTES)] == [
        "login_router", "accounts_router", "saved_router", "articles_router", "marks_router", "source_router",
        "unversioned_router", "feeds_router", "feed_tokens_router", "v1_router", "exchange_router", "taxii_router",
        "alert_router", "web_router", "subscribers_router", "metrics_router"]


def test_a_new_page_is_one_registered_module() -> None:
    import_web_modules()
    registry: dict[int, RouterFactory] = dict(WEB_ROUTES)
    before = dict(WEB_ROUTES)

    @web_route(order=95, registry=registry)
    def throwaway_router(deps: WebDeps) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        @router.get("/throwaway", response_class=HTMLResponse)
        def throwaway_page() -> str:
            return f"<p>{deps.settings.public_url}</p>"

        return router

    app = FastAPI()
    include_routes(app, deps(), registry)
    paths = [path for path, _ in matched(app.routes)]
    # After the rules API (90), before the analyst pages (100).
    assert paths.index("/api/v1/rules") < paths.index("/throwaway") < paths.index("/")
    assert before == WEB_ROUTES  # the registry copy only

    with pytest.raises(ValueError, match=r"web route order 95 is taken by .*throwaway_router"):
        web_route(order=95, registry=registry)(lambda deps: APIRouter())
    web_route(order=95, registry=registry)(throwaway_router)  # the same factory again (a reload) is no clash
