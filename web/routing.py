"""The router registry: each router module of web/ registers its factory here
with :func:`web_route`, and web/app.py includes them all, by ``order``.

A new page or API route is one module in web/ (and its template): a factory
that takes one :class:`WebDeps` and returns an ``APIRouter``, decorated with
``@web_route(order=N)``. web/app.py imports every module of the package
(:func:`import_web_modules`), so nothing else names it. The order is the order
of inclusion, which decides which route answers a path two could match: login
and accounts first, ``/metrics`` last; leave gaps for the next one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import redis
from fastapi import APIRouter, FastAPI

from coverwatch.settings import Settings
from search.engine import SearchEngine


@dataclass(frozen=True)
class WebDeps:
    """What a router may use: the settings, and the engine and Redis opened on first use."""

    settings: Settings
    search_engine: Callable[[], SearchEngine]
    redis_connection: Callable[[], redis.Redis]


RouterFactory = Callable[[WebDeps], APIRouter]
SomeFactory = TypeVar("SomeFactory", bound=RouterFactory)

# order -> factory; one router per order, included lowest first.
WEB_ROUTES: dict[int, RouterFactory] = {}


def web_route(order: int, registry: dict[int, RouterFactory] = WEB_ROUTES) -> Callable[[SomeFactory], SomeFactory]:
    """Register the decorated router factory at place ``order`` of the app."""
    def register(factory: SomeFactory) -> SomeFactory:
        taken = registry.get(order)
        if taken is not None and (taken.__module__, taken.__qualname__) != (factory.__module__, factory.__qualname__):
            raise ValueError(f"web route order {order} is taken by {taken.__module__}.{taken.__qualname__}; "
                             f"give {factory.__module__}.{factory.__qualname__} another")
        registry[order] = factory
        return factory
    return register


def import_web_modules() -> None:
    """Import every module of web/ (once), so that each registers its routers."""
    package = importlib.import_module("web")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"web.{module.name}")


def include_routes(app: FastAPI, deps: WebDeps, registry: Mapping[int, RouterFactory] = WEB_ROUTES) -> None:
    """Every registered router in ``app``, in order."""
    for order in sorted(registry):
        app.include_router(registry[order](deps))
