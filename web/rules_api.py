"""REST endpoints for alert rules and the delivery log (/api/v1/rules,
/api/v1/deliveries): list, show, create from a YAML or JSON body checked by
the same schema as rule files, preview before saving, delete. Schema errors
are 422s that name the rule and each field. Anyone signed in may read rules;
previews and the delivery log (it names subscribers) need an analyst;
creating and deleting rules an admin (web/auth.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from alerts.delivery_log import RedisDeliveryLog
from alerts.evaluation import PREVIEW_DAYS, BandPreview, preview_bands
from alerts.rule_files import RuleFileError, parse_rule_documents
from alerts.rule_model import AlertRule, Firing
from alerts.rules import InvalidRule, check_query, delete_rule, get_rule, list_rules, register_rule, rule_spec
from coverwatch.models import parse_timestamp
from web.auth import Admin, Analyst, SignedIn
from web.routing import WebDeps, web_route

RULE_BODY = {
    "required": True,
    "description": "One rule as in a rule file: YAML (application/yaml) or JSON.",
    "content": {
        "application/json": {"schema": {"type": "object"},
                             "example": {"name": "Russian services", "type": "match",
                                         "query_string": "defence", "filters": {"actors": ["Turla"]},
                                         "subscribers": ["desk@example.org"]}},
        "application/yaml": {"schema": {"type": "string"},
                             "example": "name: Busy day\ntype: threshold\nfilters: {victim_countries: DK}\n"
                                        "min_articles: 10\nwindow_hours: 24\nsubscribers: [desk@example.org]\n"},
    },
}
MAX_BODY_BYTES = 64_000
PreviewDays = Annotated[int, Query(ge=1, le=90, description="how many days back")]


def rule_view(rule: AlertRule) -> dict[str, Any]:
    return {"id": rule.id, "name": rule.name, "type": rule.type, "summary": rule.summary(),
            "subscribers": list(rule.subscribers), "enabled": rule.enabled, "spec": rule_spec(rule)}


def firing_view(firing: Firing) -> dict[str, Any]:
    article = firing.article
    return {"fired_at": firing.fired_at.isoformat(), "group_key": firing.group_key, "summary": firing.summary,
            "details": firing.details,
            "article": {"id": article.id, "title": article.title, "url": article.canonical_url or article.url,
                        "source": article.source, "story_id": article.story_id}}


def preview_view(rule: AlertRule, days: int, preview: BandPreview) -> dict[str, Any]:
    """``firings`` alert every subscriber; ``possible_firings`` reach only digests
    that opted into possibly on-topic items; ``bands`` counts each band's share."""
    return {"rule": rule_view(rule), "days": days, "firings": [firing_view(f) for f in preview.on_topic],
            "possible_firings": [firing_view(f) for f in preview.possible], "bands": preview.counts(),
            "band_summary": preview.summary()}


def parse_rule_body(raw: bytes, content_type: str) -> AlertRule:
    """The one rule a request body holds; HTTPException 400/422 otherwise."""
    if len(raw) > MAX_BODY_BYTES:
        raise HTTPException(413, f"a rule is at most {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
        document = json.loads(text) if "json" in content_type else yaml.safe_load(text)
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as failure:
        raise HTTPException(400, f"the body is not valid {'JSON' if 'json' in content_type else 'YAML'}: "
                                 f"{failure}") from failure
    if not isinstance(document, dict):
        raise HTTPException(422, "the body must be one rule (a mapping of fields)")
    try:
        [rule] = parse_rule_documents([("request body", document)])
    except RuleFileError as failure:
        raise HTTPException(422, {"problems": failure.problems}) from failure
    return rule


@web_route(order=90)
def alert_router(deps: WebDeps) -> APIRouter:
    settings, search_engine, redis_connection = deps.settings, deps.search_engine, deps.redis_connection
    router = APIRouter(prefix="/api/v1", tags=["alerts"])

    def _stored(name: str) -> AlertRule:
        rule = get_rule(search_engine(), settings, name)
        if rule is None:
            raise HTTPException(404, f"no rule named {name!r}")
        return rule

    async def _body_rule(request: Request) -> AlertRule:
        return parse_rule_body(await request.body(), request.headers.get("content-type", ""))

    def _checked(rule: AlertRule) -> AlertRule:
        try:
            check_query(search_engine(), settings, rule)
        except InvalidRule as failure:
            raise HTTPException(422, {"problems": [str(failure)]}) from failure
        return rule

    @router.get("/rules", summary="Every stored rule")
    def rules(principal: SignedIn) -> list[dict[str, Any]]:
        return [rule_view(rule) for rule in list_rules(search_engine(), settings)]

    @router.get("/rules/{name}", summary="One rule, as its file would hold it")
    def rule(name: str, principal: SignedIn) -> dict[str, Any]:
        return rule_view(_stored(name))

    @router.post("/rules", status_code=201, summary="Create or replace a rule (same name replaces)",
                 openapi_extra={"requestBody": RULE_BODY})
    async def create(request: Request, principal: Admin) -> dict[str, Any]:
        rule = await _body_rule(request)
        # The engine calls block: off the event loop, as FastAPI runs plain endpoints.
        await run_in_threadpool(_checked, rule)
        await run_in_threadpool(register_rule, search_engine(), settings, rule)
        return rule_view(rule)

    @router.post("/rules/preview", summary="What a rule not saved yet would have fired on",
                 openapi_extra={"requestBody": RULE_BODY})
    async def preview_unsaved(request: Request, principal: Analyst,
                              days: PreviewDays = PREVIEW_DAYS) -> dict[str, Any]:
        rule = await _body_rule(request)
        await run_in_threadpool(_checked, rule)
        preview = await run_in_threadpool(preview_bands, search_engine(), settings, rule, days)
        return preview_view(rule, days, preview)

    @router.get("/rules/{name}/preview", summary="What a stored rule would have fired on")
    def preview_stored(name: str, principal: Analyst, days: PreviewDays = PREVIEW_DAYS) -> dict[str, Any]:
        rule = _stored(name)
        return preview_view(rule, days, preview_bands(search_engine(), settings, rule, days=days))

    @router.delete("/rules/{name}", status_code=204, summary="Delete a rule (its deliveries stay recorded)")
    def delete(name: str, principal: Admin) -> Response:
        if not delete_rule(search_engine(), settings, name):
            raise HTTPException(404, f"no rule named {name!r}")
        return Response(status_code=204)

    @router.get("/deliveries", summary="The delivery log, newest first: each attempt and its outcome")
    def deliveries(
        principal: Analyst,
        rule: Annotated[str | None, Query(description="a rule's name or id")] = None,
        subscriber: Annotated[str | None, Query(description="an address or webhook URL")] = None,
        since: Annotated[str | None, Query(description="ISO date or date-time")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        start: datetime | None = None
        if since:
            start = parse_timestamp(since if "T" in since else f"{since}T00:00:00")
            if start is None:
                raise HTTPException(400, f"since={since!r} is not an ISO date")
        log = RedisDeliveryLog(redis_connection(), settings)
        return [entry.as_json() for entry in log.read(start, rule, subscriber, limit)]

    return router
