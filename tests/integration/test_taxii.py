"""TAXII 2.1 and the STIX downloads on the served API and the real engine
(issue 23, part 4): three stories of the test's own (with indicators and
techniques) indexed, a saved search made over the API, then every collection
read through the taxii2-client library in pages smaller than a story, filtered
by ``added_after``; refusals without credentials and for a wrong Accept."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import requests
from stix2validator import ValidationOptions, validate_string
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.fixtures.claim_ledger_story import ledger_articles
from web.accounts import AccountStore
from web.credentials import Role
from workers.exchange import stable_uuid

pytestmark = pytest.mark.integration
TAXII = "application/taxii+json;version=2.1"
MARKER = f"Quillmoor{uuid.uuid4().hex[:6]}"
DAYS = (1, 2, 3)  # the three stories last changed on 1, 2 and 3 April 2025


class Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def story_id(day: int) -> str:
    return f"taxii-{MARKER}-{day}"


def report_id(day: int) -> str:
    return f"report--{stable_uuid('report', 'story', story_id(day))}"


def _documents(day: int) -> list[dict[str, Any]]:
    documents = []
    for number, article in enumerate(ledger_articles(story_id(day), f"taxii-{MARKER}-{day}")):
        article.crawled_at = datetime(2025, 4, day, 8, number, tzinfo=UTC)
        document = article.to_document()
        document["title"] = f"{document['title']} {MARKER}"
        document["indicators"] = [{"type": "ipv4", "value": f"198.51.100.{day}"},
                                  {"type": "domain", "value": f"update-{day}.lanternfall.example"},
                                  {"type": "url", "value": f"http://lanternfall.example/{day}/it's"}]
        document["techniques"] = ["T1566.001", f"T10{day}0"]
        documents.append(document)
    return documents


@pytest.fixture(scope="module")
def stories(settings: Settings, engine: SearchEngine) -> list[str]:
    from workers.stories import refresh_story_documents

    ids = [story_id(day) for day in DAYS]
    bulk_index(engine, settings.index_name(ARTICLES), [d for day in DAYS for d in _documents(day)], refresh=True)
    refresh_story_documents(ids, engine, settings)
    refresh(engine, settings, STORIES)
    return ids


@pytest.fixture(scope="module")
def reader(api_url: str, accounts: AccountStore, stories: list[str]) -> Iterator[tuple[str, str]]:
    """(name, token) of an analyst with one saved search: the test's marker word, actor APT31."""
    name = f"taxii-reader-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, Role.ANALYST, "a-long-password", None)
    token, _ = accounts.issue_token(name)
    with httpx.Client(base_url=api_url, headers={"authorization": f"Bearer {token}"}, timeout=30) as client:
        saved = client.post("/api/v1/saved-searches", json={"name": "Lanternfall", "q": MARKER,
                                                            "terms": {"actor": ["APT31"]}})
        assert saved.status_code == 201, saved.text
        yield name, token
        client.delete(f"/api/v1/saved-searches/{saved.json()['id']}")


def _api_root(api_url: str, token: str) -> ApiRoot:
    server = Server(f"{api_url}/taxii2/", auth=Bearer(token))
    assert server.title == "Coverwatch TAXII 2.1" and len(server.api_roots) == 1
    return server.default


def _read_pages(collection: Collection, per_request: int, **filters: Any) -> list[dict[str, Any]]:
    pages = list(as_pages(collection.get_objects, per_request=per_request, **filters))
    for page in pages[:-1]:
        assert page["more"] is True and len(page["objects"]) == per_request
    assert pages[-1]["more"] is False
    return pages


def test_every_collection_reads_through_taxii2_client_in_pages(api_url: str, reader: tuple[str, str]) -> None:
    root = _api_root(api_url, reader[1])
    assert root.versions == [TAXII]
    titles = {collection.title: collection for collection in root.collections}
    assert set(titles) == {"All stories", "Saved search: Lanternfall"}
    for collection in root.collections:
        assert collection.can_read and not collection.can_write
        pages = _read_pages(collection, per_request=7)
        read = [stix_object for page in pages for stix_object in page.get("objects", [])]
        # The largest pages (other tests' stories share the collection, so even they may be several).
        whole = [stix_object for page in _read_pages(collection, per_request=1000) for stix_object in page["objects"]]
        # The small pages give what the large ones give, in the same order (the marking and the
        # producer, one version in every story, come once a page).
        assert list(dict.fromkeys((o["id"], o.get("modified")) for o in read)) == \
            list(dict.fromkeys((o["id"], o.get("modified")) for o in whole))
        reports = {o["id"] for o in read if o["type"] == "report"}
        assert {report_id(day) for day in DAYS} <= reports
        ours = [o for o in read if o["type"] == "report" and o["id"] in {report_id(day) for day in DAYS}]
        assert len(pages) > 3 and len(read) > 7 * 3  # more objects than one page holds, across stories
        assert len(ours) == 3
        bundle = json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}",
                             "objects": whole})
        result = validate_string(bundle, ValidationOptions(version="2.1"))
        assert result.is_valid, [str(error) for error in result.errors]
        manifest = [entry for page in as_pages(collection.get_manifest, per_request=9) for entry in page["objects"]]
        assert {entry["id"] for entry in manifest} == {o["id"] for o in whole}
        assert {entry["media_type"] for entry in manifest} == {"application/stix+json;version=2.1"}
    saved = titles["Saved search: Lanternfall"].get_objects(limit=1000)["objects"]
    assert {o["id"] for o in saved if o["type"] == "report"} == {report_id(day) for day in DAYS}


def test_added_after_gives_what_changed_since(api_url: str, reader: tuple[str, str]) -> None:
    collection = next(c for c in _api_root(api_url, reader[1]).collections if c.title.startswith("Saved"))
    since = "2025-04-01T12:00:00Z"
    pages = _read_pages(collection, per_request=5, added_after=since)
    objects = [o for page in pages for o in page.get("objects", [])]
    assert {o["id"] for o in objects if o["type"] == "report"} == {report_id(2), report_id(3)}
    entries = [e for page in as_pages(collection.get_manifest, per_request=50, added_after=since)
               for e in page["objects"]]
    assert min(entry["date_added"] for entry in entries) == "2025-04-02T08:03:00.000Z"
    assert max(entry["date_added"] for entry in entries) == "2025-04-03T08:03:00.000Z"
    later = collection.get_objects(added_after="2025-04-03T08:03:00.000Z")
    assert later == {"more": False}
    raw = collection._conn.session.get(collection.objects_url, params={"added_after": since, "limit": 3},
                                       headers={"Accept": TAXII})
    assert raw.headers["X-TAXII-Date-Added-First"] == raw.headers["X-TAXII-Date-Added-Last"] == \
        "2025-04-02T08:03:00.000Z"
    assert raw.headers["Content-Type"] == TAXII


def test_one_object_its_versions_and_filters(api_url: str, reader: tuple[str, str]) -> None:
    collection = next(c for c in _api_root(api_url, reader[1]).collections if c.title.startswith("Saved"))
    report = collection.get_object(report_id(2))["objects"]
    assert [o["id"] for o in report] == [report_id(2)] and report[0]["modified"] == "2025-04-02T08:03:00.000Z"
    technique = f"attack-pattern--{stable_uuid('attack-pattern', 'technique', 'T1566.001')}"
    assert collection.object_versions(technique)["versions"] == [
        f"2025-04-0{day}T08:03:00.000Z" for day in DAYS]
    assert collection.get_object(technique)["objects"][0]["modified"] == "2025-04-03T08:03:00.000Z"
    assert len(collection.get_object(technique, version="all")["objects"]) == 3
    indicators = collection.get_objects(type="indicator")["objects"]
    assert {o["type"] for o in indicators} == {"indicator"} and len(indicators) == 9
    assert "[url:value = 'http://lanternfall.example/1/it\\'s']" in {o["pattern"] for o in indicators}
    missing = collection._conn.session.get(collection.url + "objects/indicator--nowhere/",
                                           headers={"Accept": TAXII})
    assert missing.status_code == 404 and missing.json()["http_status"] == "404"


def test_refusals_without_credentials_with_a_wrong_accept_and_basic_auth(
        api_url: str, reader: tuple[str, str], stories: list[str]) -> None:
    anonymous = httpx.get(f"{api_url}/taxii2/", headers={"Accept": TAXII})
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    in_browser = httpx.get(f"{api_url}/taxii2/", headers={"Accept": "text/html"})
    assert in_browser.status_code == 401  # JSON, not a redirect to the login page
    name, token = reader
    wrong_user = httpx.get(f"{api_url}/taxii2/", headers={"Accept": TAXII}, auth=("someone-else", token))
    assert wrong_user.status_code == 401
    wrong_accept = httpx.get(f"{api_url}/taxii2/coverwatch/collections/",
                             headers={"Accept": "application/json", "Authorization": f"Bearer {token}"})
    assert wrong_accept.status_code == 406 and wrong_accept.headers["content-type"] == TAXII
    assert wrong_accept.json()["http_status"] == "406" and wrong_accept.json()["title"]
    unknown = httpx.get(f"{api_url}/taxii2/coverwatch/collections/{uuid.uuid4()}/objects/",
                        headers={"Accept": TAXII, "Authorization": f"Bearer {token}"})
    assert unknown.status_code == 404 and unknown.json()["title"] == "No such collection"
    # taxii2-client with user and password: the token as Basic auth's password.
    basic = Server(f"{api_url}/taxii2/", user=name, password=token)
    assert basic.default.collections[0].title == "All stories"
    write = httpx.post(f"{api_url}/taxii2/coverwatch/collections/{basic.default.collections[0].id}/objects/",
                       headers={"Accept": TAXII, "Content-Type": TAXII}, auth=(name, token), json={})
    assert write.status_code in (401, 405)  # read-only; Basic never authorises a write


def test_stix_downloads_of_a_story_an_actor_and_a_saved_search(api: httpx.Client, reader: tuple[str, str],
                                                              api_url: str) -> None:
    story = api.get(f"/api/v1/stories/{story_id(1)}/stix")
    assert story.status_code == 200, story.text
    assert story.headers["content-type"] == "application/stix+json;version=2.1"
    assert validate_string(story.text, ValidationOptions(version="2.1")).is_valid
    assert [o["id"] for o in story.json()["objects"] if o["type"] == "report"] == [report_id(1)]
    actor = api.get("/api/v1/actors/APT31/stix").json()
    assert {report_id(day) for day in DAYS} <= {o["id"] for o in actor["objects"] if o["type"] == "report"}
    assert api.get("/api/v1/actors/no-such-actor-zz/stix").status_code == 404
    assert api.get("/api/v1/stories/no-such-story/stix").status_code == 404
    with httpx.Client(base_url=api_url, headers={"authorization": f"Bearer {reader[1]}"}, timeout=30) as client:
        saved = client.get("/api/v1/saved/lanternfall/stix", params={"since": "2025-04-02"})
        assert saved.status_code == 200, saved.text
        assert {o["id"] for o in saved.json()["objects"] if o["type"] == "report"} == {report_id(2), report_id(3)}
        assert client.get("/api/v1/saved/nothing-saved-zz/stix").status_code == 404
    assert httpx.get(f"{api_url}/api/v1/stories/{story_id(1)}/stix").status_code == 401
