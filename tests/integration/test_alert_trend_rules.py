"""spike, flatline, new_term and story_growth by countries on the real engine
(scheduled evaluation and 30-day preview), and the rules and deliveries API.
An index prefix of its own keeps these articles out of other tests' counts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI

from alerts.delivery_log import LogEntry, RedisDeliveryLog
from alerts.evaluation import preview_rule
from alerts.rule_types import parse_rule
from alerts.rules import get_rule
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, ensure_indices
from web.accounts import User
from web.auth import Principal, signed_in
from web.credentials import Role
from web.routing import WebDeps
from web.rules_api import alert_router

pytestmark = pytest.mark.integration

NOW = utc_now().replace(microsecond=0)


def _article(slug: str, hours_ago: float, source: str, **fields: Any) -> Article:
    return Article(url=f"https://{source}.example/{slug}", title=f"Trend {slug}",
                   body=f"Intrusion campaign reported ({slug}). " * 4, source=source,
                   published_at=NOW - timedelta(hours=hours_ago), on_topic=True, relevance=0.9, **fields)


INDEXED = [
    # spike-wire: one every six hours for two days, then five in the last hour.
    *[_article(f"base-{n}", 7 + 6 * n, "spike-wire") for n in range(8)],
    *[_article(f"burst-{n}", 0.1 + 0.15 * n, "spike-wire") for n in range(5)],
    # quiet-wire: two articles, the last 30 hours ago.
    _article("quiet-1", 40, "quiet-wire"),
    _article("quiet-2", 30, "quiet-wire"),
    # term-wire: X-Agent 40 days ago and again 5 days ago; Zebrocy new 3 days ago, again 2 days ago.
    _article("xagent-old", 40 * 24, "term-wire", malware=["X-Agent"]),
    _article("xagent-back", 5 * 24, "term-wire", malware=["X-Agent"]),
    _article("zebrocy-new", 3 * 24, "term-wire", malware=["Zebrocy"]),
    _article("zebrocy-again", 2 * 24, "term-wire", malware=["Zebrocy", "X-Agent"]),
    _article("recent-new", 2, "term-wire", malware=["Drovorub"]),
    # One story reaching three countries within two hours.
    _article("world-de", 6, "world-de", story_id="s-world", country="DE"),
    _article("world-de2", 5.5, "world-de2", story_id="s-world", country="DE"),
    _article("world-fr", 5, "world-fr", story_id="s-world", country="FR"),
    _article("world-gb", 4.5, "world-gb", story_id="s-world", country="GB"),
]


@pytest.fixture(scope="module")
def own(settings: Settings, engine: SearchEngine) -> Iterator[Settings]:
    from console.demo import reset_deployment

    isolated = settings.model_copy(update={"index_prefix": f"{settings.index_prefix}-trends"})
    ensure_indices(engine, isolated)
    bulk_index(engine, isolated.index_name(ARTICLES), [a.to_document() for a in INDEXED], refresh=True)
    yield isolated
    reset_deployment(isolated)


def _rule(source: str, **spec: Any) -> Any:
    return parse_rule({"name": f"trend {spec['type']}", "filters": {"sources": [source]},
                       "subscribers": ["desk@example.org"], **spec})


def test_spike_fires_on_the_burst_not_on_the_baseline(engine: SearchEngine, own: Settings) -> None:
    rule = _rule("spike-wire", type="spike", window_hours=1, baseline_hours=48, min_ratio=3, min_count=4)
    [now] = rule.evaluate(engine, own, NOW)
    # The oldest baseline article is exactly 49 h old: on the open edge, not counted.
    assert (now.details["current"], now.details["baseline"]) == (5, 7)
    assert now.article.title == "Trend burst-0"  # the newest of the burst leads
    previewed = preview_rule(engine, own, rule, now=NOW)
    assert [firing.article.title for firing in previewed] == ["Trend burst-1"]  # the fourth within the hour
    assert rule.evaluate(engine, own, NOW - timedelta(hours=2)) == []


def test_flatline_fires_once_the_last_article_leaves_the_window(engine: SearchEngine, own: Settings) -> None:
    rule = _rule("quiet-wire", type="flatline", window_hours=24)
    [now] = rule.evaluate(engine, own, NOW)
    assert now.article.title == "Trend quiet-2" and now.details["matching_articles"] == 0
    assert rule.evaluate(engine, own, NOW - timedelta(hours=10)) == []
    [previewed] = preview_rule(engine, own, rule, now=NOW)
    assert previewed.fired_at == NOW - timedelta(hours=6)  # 30 h ago plus the 24 h window
    never = _rule("no-such-wire", type="flatline", window_hours=24)
    assert never.evaluate(engine, own, NOW) == [] and preview_rule(engine, own, never, now=NOW) == []


def test_new_term_preview_and_evaluation(engine: SearchEngine, own: Settings) -> None:
    rule = _rule("term-wire", type="new_term", field="malware", lookback_days=30)
    previewed = preview_rule(engine, own, rule, now=NOW)
    assert [(f.details["value"], f.article.title) for f in previewed] == [
        ("X-Agent", "Trend xagent-back"), ("Zebrocy", "Trend zebrocy-new"), ("Drovorub", "Trend recent-new")]
    assert previewed[0].details["last_seen"] is not None and previewed[1].details["last_seen"] is None
    # Scheduled: only what is new within the last day, keyed by its return.
    [now] = rule.evaluate(engine, own, NOW)
    assert now.details["value"] == "Drovorub" and now.group_key == f"new_term:malware:Drovorub:{now.article.id}"
    assert rule.evaluate(engine, own, NOW + timedelta(days=2)) == []


def test_story_growth_by_countries_of_outlets(engine: SearchEngine, own: Settings) -> None:
    rule = parse_rule({"name": "world", "type": "story_growth", "query_string": "Intrusion", "min_countries": 3,
                       "within_hours": 2, "subscribers": ["desk@example.org"]})
    [grown] = preview_rule(engine, own, rule, now=NOW)
    assert grown.group_key == "s-world" and grown.article.title == "Trend world-gb"
    assert grown.details["countries"] == ["DE", "FR", "GB"]
    assert "in 3 countries" in grown.summary


class ApiClient:
    """Requests straight into the ASGI app (no server process), one at a time."""

    def __init__(self, app: FastAPI) -> None:
        self.transport = httpx.ASGITransport(app=app)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        async def once() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url="http://api.test") as client:
                return await client.request(method, path, **options)

        return asyncio.run(once())

    def get(self, path: str, **options: Any) -> httpx.Response:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self.request("POST", path, **options)

    def delete(self, path: str, **options: Any) -> httpx.Response:
        return self.request("DELETE", path, **options)


@pytest.fixture
def api(own: Settings, engine: SearchEngine, redis_client: redis.Redis) -> ApiClient:
    """The router as web/app.py mounts it; an admin signed in (access control has its own tests)."""
    app = FastAPI()
    app.include_router(alert_router(WebDeps(own, lambda: engine, lambda: redis_client)))
    admin = Principal(user=User(name="lead", role=Role.ADMIN, password_hash=""), via="token")
    app.dependency_overrides[signed_in] = lambda: admin
    return ApiClient(app)


def test_rules_api_round_trip(api: ApiClient, engine: SearchEngine, own: Settings) -> None:
    yaml_rule = ("name: API spike\ntype: spike\nfilters: {sources: spike-wire}\nwindow_hours: 1\n"
                 "baseline_hours: 48\nmin_count: 4\nsubscribers: [desk@example.org]\n")
    preview = api.post("/api/v1/rules/preview", content=yaml_rule, headers={"Content-Type": "application/yaml"})
    assert preview.status_code == 200, preview.text
    assert [f["article"]["title"] for f in preview.json()["firings"]] == ["Trend burst-1"]
    assert get_rule(engine, own, "API spike") is None  # previewing saves nothing
    created = api.post("/api/v1/rules", content=yaml_rule, headers={"Content-Type": "application/yaml"})
    assert created.status_code == 201 and created.json()["type"] == "spike"
    assert api.get("/api/v1/rules/api spike").json()["spec"]["min_count"] == 4
    assert "API spike" in [rule["name"] for rule in api.get("/api/v1/rules").json()]
    stored_preview = api.get("/api/v1/rules/API spike/preview", params={"days": 2}).json()
    assert len(stored_preview["firings"]) == 1
    assert api.delete("/api/v1/rules/API spike").status_code == 204
    assert api.get("/api/v1/rules/API spike").status_code == 404
    assert api.delete("/api/v1/rules/API spike").status_code == 404


def test_rules_api_refusals_name_the_rule_and_field(api: ApiClient) -> None:
    bad = api.post("/api/v1/rules", json={"name": "Broken", "type": "spike", "query_string": "x",
                                          "window_hours": 0, "subscribers": ["desk@example.org"]})
    assert bad.status_code == 422
    [problem] = bad.json()["detail"]["problems"]
    assert problem.startswith("rule 'Broken' in request body: field 'window_hours'") and "baseline_hours" in problem
    unparsable = api.post("/api/v1/rules", json={"name": "Quotes", "query_string": '"unclosed AND (',
                                                 "subscribers": ["desk@example.org"]})
    assert unparsable.status_code == 422 and "does not parse" in unparsable.text
    assert api.post("/api/v1/rules", content="- [", headers={"Content-Type": "application/yaml"}).status_code == 400


def test_deliveries_api_filters_the_log(api: ApiClient, own: Settings, redis_client: redis.Redis) -> None:
    log = RedisDeliveryLog(redis_client, own)
    redis_client.delete(log.key)
    log.record(LogEntry("sent", "r1", "Bears", "desk@example.org", "s1", at=NOW - timedelta(days=2)))
    log.record(LogEntry("bounced", "r1", "Bears", "gone@example.org", "s1", detail="550"))
    log.record(LogEntry("sent", "r2", "Wolves", "desk@example.org", "s2"))
    everything = api.get("/api/v1/deliveries").json()
    assert [entry["outcome"] for entry in everything] == ["sent", "bounced", "sent"]  # newest first
    bears = api.get("/api/v1/deliveries", params={"rule": "bears"}).json()
    assert [entry["subscriber"] for entry in bears] == ["gone@example.org", "desk@example.org"]
    desk = api.get("/api/v1/deliveries", params={"subscriber": "Desk@Example.org", "limit": 1}).json()
    assert [entry["rule_name"] for entry in desk] == ["Wolves"]
    assert api.get("/api/v1/deliveries", params={"since": "yesterday"}).status_code == 400
