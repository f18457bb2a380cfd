"""Saved searches and "alert me on this search" on the served API and the real engine."""

from __future__ import annotations

import uuid

import httpx
import pytest

from alerts.rules import delete_rule, get_rule
from coverwatch.settings import Settings
from search.engine import SearchEngine
from web.accounts import AccountStore
from web.credentials import Role

pytestmark = pytest.mark.integration


def _token_client(api_url: str, accounts: AccountStore, role: Role,
                  email: str | None = "x@example.org") -> httpx.Client:
    name = f"saver-{role.value}-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, role, "a-long-password", email)
    token, _ = accounts.issue_token(name)
    return httpx.Client(base_url=api_url, headers={"authorization": f"Bearer {token}"}, timeout=30)


def test_an_analyst_saves_a_search_and_turns_it_into_a_match_rule(
        api_url: str, accounts: AccountStore, engine: SearchEngine, settings: Settings) -> None:
    with _token_client(api_url, accounts, Role.ANALYST, "ana@example.org") as analyst:
        answer = analyst.post("/api/v1/saved-searches", json={
            "name": "Danish ministries", "q": "Quillwort OR \"Fancy Bear\"",
            "terms": {"victim": ["Denmark"], "sector": ["government"], "country": ["DE"]}, "sort": "newest"})
        assert answer.status_code == 201, answer.text
        saved = answer.json()
        assert saved["terms"] == {"victim": ["Denmark"], "sector": ["government"], "country": ["DE"]}
        assert [s["id"] for s in analyst.get("/api/v1/saved-searches").json()] == [saved["id"]]

        made = analyst.post(f"/api/v1/saved-searches/{saved['id']}/alert")
        assert made.status_code == 200, made.text
        alert = made.json()
        assert alert["subscribers"] == ["ana@example.org"]
        assert alert["notes"] == ["not carried: outlet country (rules cannot filter on it)"]
        rule = get_rule(engine, settings, alert["rule_name"])
        assert rule is not None and rule.type == "match"
        assert "APT28" in rule.query_string  # the alias was expanded as the search expanded it
        assert rule.filters.terms()["victim_countries"] == ["DK"] and rule.filters.terms()["sectors"] == ["government"]
        assert analyst.get(f"/api/v1/saved-searches/{saved['id']}").json()["rule_name"] == alert["rule_name"]

        assert analyst.delete(f"/api/v1/saved-searches/{saved['id']}").status_code == 204
        assert analyst.get(f"/api/v1/saved-searches/{saved['id']}").status_code == 404
        assert get_rule(engine, settings, alert["rule_name"]) is not None  # the rule outlives the search
        assert delete_rule(engine, settings, alert["rule_name"])


def test_saved_searches_are_private_and_refused_below_analyst(api_url: str, accounts: AccountStore) -> None:
    with _token_client(api_url, accounts, Role.ANALYST) as owner, \
            _token_client(api_url, accounts, Role.ANALYST) as other, \
            _token_client(api_url, accounts, Role.VIEWER) as viewer:
        saved = owner.post("/api/v1/saved-searches", json={"name": "mine", "q": "Turla"}).json()
        assert other.get(f"/api/v1/saved-searches/{saved['id']}").status_code == 404
        assert other.post(f"/api/v1/saved-searches/{saved['id']}/alert").status_code == 404
        assert other.get("/api/v1/saved-searches").json() == []
        assert viewer.post("/api/v1/saved-searches", json={"name": "v", "q": "Turla"}).status_code == 403
        assert viewer.get("/api/v1/saved-searches").json() == []


def test_bad_saved_searches_and_alerts_say_why(api_url: str, accounts: AccountStore) -> None:
    with _token_client(api_url, accounts, Role.ANALYST, email=None) as no_email:
        assert no_email.post("/api/v1/saved-searches", json={"name": "x", "since": "yesterday"}).status_code == 422
        assert no_email.post("/api/v1/saved-searches", json={"name": "x", "terms": {"colour": ["red"]}}
                             ).status_code == 422
        assert no_email.post("/api/v1/saved-searches", json={"name": " ", "q": "x"}).status_code == 400
        saved = no_email.post("/api/v1/saved-searches", json={"name": "x", "q": "Turla"}).json()
        refused = no_email.post(f"/api/v1/saved-searches/{saved['id']}/alert")
        assert refused.status_code == 409 and "email" in refused.json()["detail"]
    with _token_client(api_url, accounts, Role.ANALYST) as analyst:
        broken = analyst.post("/api/v1/saved-searches", json={"name": "broken", "q": "title:(unclosed"}).json()
        refused = analyst.post(f"/api/v1/saved-searches/{broken['id']}/alert")
        assert refused.status_code == 400 and "cannot parse" in refused.json()["detail"]
        everything = analyst.post("/api/v1/saved-searches", json={"name": "all"}).json()
        assert "at least one filter" in analyst.post(f"/api/v1/saved-searches/{everything['id']}/alert"
                                                     ).json()["detail"]
