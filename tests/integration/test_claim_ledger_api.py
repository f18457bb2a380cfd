"""The attribution ledger through the API on the real engine (issue 22, part 2):
a story's articles with claims indexed, then /api/v1/stories/{id}/claims and
/api/v1/actors/{name}/claims read (JSON, CSV and JSON lines), served by a real
uvicorn process."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine
from tests.fixtures.claim_ledger_story import ACTOR_ID, SUMMARY, index_ledger_story

pytestmark = pytest.mark.integration
STORY = "ledger-api-story"


@pytest.fixture(scope="module")
def story(settings: Settings, engine: SearchEngine) -> list[Article]:
    return index_ledger_story(engine, settings, STORY, "api")


def test_the_story_ledger_folds_repeats_and_says_the_state_in_one_line(api: httpx.Client,
                                                                       story: list[Article]) -> None:
    answer = api.get(f"/api/v1/stories/{STORY}/claims")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    ledger = body["ledger"]
    assert body["story_id"] == STORY and ledger["summary"] == SUMMARY
    assert (ledger["claims"], ledger["articles"]) == (8, 4)
    # "the US State Department" about APT31 in three articles (one "APT31 group") is one row.
    us = [row for row in ledger["rows"] if row["claimant_country"] == "US" and row["claimant_kind"] == "government"]
    assert len(us) == 1
    assert us[0]["actor_id"] == ACTOR_ID and us[0]["first_article"]["id"] == story[1].id
    assert us[0]["first_article"]["outlet"] == "ledger-wire" and us[0]["first_at"].startswith("2025-03-12")
    assert (us[0]["outlets"], us[0]["articles"]) == (3, 3)
    assert [row["first_at"][:10] for row in ledger["rows"]] == sorted(row["first_at"][:10] for row in ledger["rows"])
    assert [group["kind"] for group in ledger["groups"]] == ["government", "unnamed_officials", "accused", "vendor"]
    assert len(ledger["rows"]) == 6


def test_the_actor_ledger_has_its_first_government_attribution_and_crosswalk(api: httpx.Client,
                                                                             story: list[Article]) -> None:
    for name in ("APT31", "violet typhoon", ACTOR_ID):
        answer = api.get(f"/api/v1/actors/{name}/claims")
        assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["actor_id"] == ACTOR_ID and "Violet Typhoon" in body["aliases"]
    first = body["first_government_attribution"]
    assert first["claimant"] == "the US State Department" and body["first_government_attribution_at"][:10] == \
        "2025-03-12"
    uses = {(use["claimant"], use["name"]) for use in body["crosswalk"]}
    assert {("Microsoft", "Violet Typhoon"), ("the US State Department", "APT31"),
            ("the US State Department", "APT31 group")} <= uses
    assert {"APT31", "Violet Typhoon"} <= set(body["aliases_in_coverage"])


def test_the_rows_download_as_csv_and_json_lines(api: httpx.Client, story: list[Article]) -> None:
    answer = api.get(f"/api/v1/stories/{STORY}/claims", params={"format": "csv"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 6 and rows[0]["claimant"] == "unnamed former US officials"
    lines = api.get(f"/api/v1/actors/{ACTOR_ID}/claims", params={"format": "jsonl"}).text.splitlines()
    assert any(json.loads(line)["subject_names"] == ["Violet Typhoon"] for line in lines)


def test_unknown_stories_actors_and_formats_are_refused(api: httpx.Client, story: list[Article]) -> None:
    assert api.get("/api/v1/stories/no-such-ledger-story/claims").status_code == 404
    assert api.get("/api/v1/actors/No Such Crew/claims").status_code == 404
    assert api.get(f"/api/v1/stories/{STORY}/claims", params={"format": "xml"}).status_code == 422
    anonymous = httpx.get(f"{api.base_url}/api/v1/stories/{STORY}/claims")
    assert anonymous.status_code == 401


def test_both_operations_are_in_the_openapi_document(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/stories/{story_id}/claims"] and "get" in paths["/api/v1/actors/{name}/claims"]
