"""The operators' source-health page: every source in sources.yml with the
health crawlers/health.py keeps for it, the troubled ones first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import redis
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from coverwatch.settings import Settings
from web.auth import SignedIn
from web.routing import WebDeps, web_route
from web.templating import TEMPLATES

# Worst first: what an operator must look at today.
STATUS_ORDER = {"disabled": 0, "failing": 1, "drift": 2, "new": 3, "ok": 4}


@dataclass
class SourceRow:
    name: str
    kind: str
    language: str
    country: str
    schedule: str
    status: str
    last_success: str | None
    last_error: str | None
    disabled_reason: str | None
    drift: str | None
    next_run: str | None
    consecutive_failures: int
    items_found: int
    new_items: int


def source_rows(settings: Settings, client: redis.Redis) -> list[SourceRow]:
    from crawlers.health import SourceStates
    from crawlers.sources import load_sources

    sources = load_sources(settings.sources_file)
    states = SourceStates(client, settings).get_many([source.name for source in sources])
    rows = [SourceRow(source.name, source.kind.value, source.language, source.country or "", source.schedule,
                      state.status, state.last_success, state.last_error, state.disabled_reason, state.drift,
                      state.next_run, state.consecutive_failures, state.items_found, state.new_items)
            for source, state in zip(sources, states, strict=True)]
    return sorted(rows, key=lambda row: (STATUS_ORDER.get(row.status, 9), row.name))


@web_route(order=60)
def source_router(deps: WebDeps) -> APIRouter:
    settings, redis_connection = deps.settings, deps.redis_connection
    router = APIRouter(include_in_schema=False)

    @router.get("/sources", response_class=HTMLResponse)
    def sources_page(request: Request, principal: SignedIn, status: str = "") -> HTMLResponse:
        rows = source_rows(settings, redis_connection())
        counts = Counter(row.status for row in rows)
        shown = [row for row in rows if row.status == status] if status in STATUS_ORDER else rows
        return TEMPLATES.TemplateResponse(request, "sources.html", {
            "rows": shown, "counts": sorted(counts.items(), key=lambda item: STATUS_ORDER.get(item[0], 9)),
            "total": len(rows), "status": status if status in STATUS_ORDER else ""})

    return router
