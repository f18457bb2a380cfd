"""Pushing story events to MISP (workers/exchange/misp_push.py) against a local
endpoint that checks each request like MISP's API (tests/fixtures/fake_misp.py),
with the stories in a real node and what was pushed in the real Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from search.story_records import story_records
from tests.fixtures.fake_misp import FAKE_MISP_KEY, FakeMisp
from tests.fixtures.misp_story import C2_DOMAIN, misp_story_documents
from workers.exchange import ExchangeOptions, stable_uuid
from workers.exchange.misp_push import MispClient, PushLedger, push_stories

KEY = FAKE_MISP_KEY




def _index_story(engine: SearchEngine, settings: Settings, story_id: str,
                 documents: list[dict[str, Any]] | None = None) -> None:
    from workers.stories import refresh_story_documents

    bulk_index(engine, settings.index_name(ARTICLES), documents or misp_story_documents(story_id, story_id),
               refresh=True)
    refresh_story_documents([story_id], engine, settings)
    refresh(engine, settings, STORIES)


def _event_uuid(story_id: str) -> str:
    return str(stable_uuid("misp-event", story_id))


def _push(engine: SearchEngine, settings: Settings, redis_client: redis.Redis, url: str,
          key: str = KEY) -> dict[str, Any]:
    with MispClient(url, key) as client:
        report = push_stories(client, PushLedger(redis_client, settings, url), story_records(engine, settings),
                              ExchangeOptions.from_settings(settings))
    return report.as_dict()


def test_push_adds_once_then_nothing_then_edits_what_changed(
        own_indices: Settings, engine: SearchEngine, redis_client: redis.Redis, fake_misp: FakeMisp) -> None:
    _index_story(engine, own_indices, "misp-push-a")
    _index_story(engine, own_indices, "misp-push-b")

    first = _push(engine, own_indices, redis_client, fake_misp.url)
    assert (first["added"], first["edited"], first["failed"]) == (2, 0, 0)
    assert sorted(fake_misp.calls(status=200)) == sorted([("add", _event_uuid("misp-push-a")),
                                                          ("add", _event_uuid("misp-push-b"))])
    stored = fake_misp.events[_event_uuid("misp-push-a")]
    assert stored["id"] and stored["info"] == "Officials suspect Chinese hackers in Lanternfall intrusion"
    assert any(a["type"] == "domain" and a["value"] == C2_DOMAIN and a["to_ids"] for a in stored["Attribute"])
    headers = fake_misp.requests[0].headers
    assert (headers["authorization"], headers["accept"], headers["content-type"]) == (
        KEY, "application/json", "application/json")

    again = _push(engine, own_indices, redis_client, fake_misp.url)
    assert (again["unchanged"], again["added"], again["edited"]) == (2, 0, 0)
    assert len(fake_misp.requests) == 2  # nothing sent for stories that did not change

    follow_up = Article(url="https://ledger-late.example.com/misp-push-a-5", title="APT31 named again",
                        source="ledger-late", body="A later report on the Lanternfall intrusion. " * 4,
                        story_id="misp-push-a", actors=["G0128"], relevance_band="on_topic", language="en",
                        published_at=datetime(2025, 3, 20, tzinfo=UTC),
                        crawled_at=datetime.now(UTC) + timedelta(minutes=5))
    _index_story(engine, own_indices, "misp-push-a", [follow_up.to_document()])

    third = _push(engine, own_indices, redis_client, fake_misp.url)
    assert (third["edited"], third["unchanged"], third["added"]) == (1, 1, 0)
    assert fake_misp.calls()[-1] == ("edit", _event_uuid("misp-push-a"))
    updated = fake_misp.events[_event_uuid("misp-push-a")]
    assert updated["id"] == stored["id"]  # the same MISP event, edited
    assert "https://ledger-late.example.com/misp-push-a-5" in {a["value"] for a in updated["Attribute"]}
    assert int(updated["timestamp"]) > int(stored["timestamp"])


def test_refusals_and_server_errors_are_counted_and_retried_next_run(
        own_indices: Settings, engine: SearchEngine, redis_client: redis.Redis, fake_misp: FakeMisp) -> None:
    for story_id in ("misp-fail-ok", "misp-fail-403", "misp-fail-500"):
        _index_story(engine, own_indices, story_id)
    fake_misp.refuse = {_event_uuid("misp-fail-403"): 403, _event_uuid("misp-fail-500"): 500}

    first = _push(engine, own_indices, redis_client, fake_misp.url)

    assert (first["added"], first["failed"]) == (1, 2)
    assert sorted(failure["story"] for failure in first["failures"]) == ["misp-fail-403", "misp-fail-500"]
    assert list(fake_misp.events) == [_event_uuid("misp-fail-ok")]

    fake_misp.refuse = {}
    second = _push(engine, own_indices, redis_client, fake_misp.url)
    assert (second["added"], second["unchanged"], second["failed"]) == (2, 1, 0)
    assert len(fake_misp.events) == 3


def test_a_wrong_key_fails_every_story_and_records_nothing(
        own_indices: Settings, engine: SearchEngine, redis_client: redis.Redis, fake_misp: FakeMisp) -> None:
    _index_story(engine, own_indices, "misp-key-a")
    _index_story(engine, own_indices, "misp-key-b")

    refused = _push(engine, own_indices, redis_client, fake_misp.url, key="b" * 40)

    assert (refused["failed"], refused["added"]) == (2, 0)
    assert all("HTTP 403" in failure["error"] for failure in refused["failures"])
    assert _push(engine, own_indices, redis_client, fake_misp.url)["added"] == 2


def test_a_lost_ledger_finds_the_events_misp_already_holds(
        own_indices: Settings, engine: SearchEngine, redis_client: redis.Redis, fake_misp: FakeMisp) -> None:
    _index_story(engine, own_indices, "misp-lost")
    assert _push(engine, own_indices, redis_client, fake_misp.url)["added"] == 1
    PushLedger(redis_client, own_indices, fake_misp.url).forget("misp-lost")

    again = _push(engine, own_indices, redis_client, fake_misp.url)

    # The add is refused (the uuid exists), the edit is not newer: nothing new, one event.
    assert (again["unchanged"], again["added"], again["failed"]) == (1, 0, 0)
    assert [status for status in (request.status for request in fake_misp.requests)] == [200, 405, 403]
    assert len(fake_misp.events) == 1


def test_the_fake_refuses_what_misp_would_refuse(fake_misp: FakeMisp) -> None:
    import httpx

    wallet = {"type": "btc", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "category": "Network activity"}
    event = {"uuid": _event_uuid("fake-check"), "info": "x", "Attribute": [wallet]}
    headers = {"Authorization": KEY, "Accept": "application/json", "Content-Type": "application/json"}
    add = f"{fake_misp.url}/events/add"
    wrong_pair = httpx.post(add, content=json.dumps({"Event": event}), headers=headers)
    no_info = httpx.post(add, content=json.dumps({"uuid": event["uuid"]}), headers=headers)
    not_json = httpx.post(add, content=b"{}", headers={**headers, "Content-Type": "text/plain"})
    browser = httpx.post(add, content=b"{}", headers={**headers, "Accept": "text/html"})

    assert wrong_pair.status_code == 403 and "cannot hold 'btc'" in wrong_pair.text
    assert no_info.status_code == 403 and "info is required" in no_info.text
    assert (not_json.status_code, browser.status_code) == (415, 302)
    assert fake_misp.events == {}


def test_the_push_command_pushes_a_story_once(settings: Settings, engine: SearchEngine, fake_misp: FakeMisp,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from console.main import main

    _index_story(engine, settings, "misp-cli-story")
    command = ["misp", "push", "--url", fake_misp.url, "--key", KEY, "--story", "misp-cli-story", "--no-verify"]

    assert main(command) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(command) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    assert (first["added"], second["added"], second["unchanged"]) == (1, 0, 1)
    assert fake_misp.calls() == [("add", _event_uuid("misp-cli-story"))]
    fake_misp.refuse = {_event_uuid("misp-cli-story"): 500}
    assert main(command) == 0  # unchanged: nothing is sent, so the refusal is never met
    assert len(fake_misp.requests) == 1


def test_the_push_command_needs_a_url_and_key(capsys: pytest.CaptureFixture[str]) -> None:
    from console.main import main

    assert main(["misp", "push", "--url", "https://misp.example"]) == 2
    assert "COVERWATCH_MISP_KEY" in capsys.readouterr().err
