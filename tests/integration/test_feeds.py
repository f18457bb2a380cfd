"""Atom feeds (web/feeds.py) on the served API and the real engine: fetched by
feed token with no session or bearer token, one entry per story, conditional
GETs, a revoked or unknown token and another user's saved search refused alike,
a merged story's feed moved, and feed tokens made and revoked over the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import httpx
import lxml.html
import pytest
import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.fixtures.claim_ledger_story import index_ledger_story
from web.accounts import AccountStore
from web.credentials import Role
from web.feed_tokens import FeedTokens
from web.saved_searches import SavedSearches
from web.workspace import SearchRequest
from workers.exchange import stable_uuid

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
STORY = f"feed-story-{RUN}"
OTHER_STORY = f"feed-other-{RUN}"
GONE_STORY = f"feed-gone-{RUN}"
TITLES = {"Officials suspect Chinese hackers in Lanternfall intrusion", "US and UK name APT31 behind Lanternfall",
          "Beijing rejects Lanternfall accusation"}


@pytest.fixture(scope="module")
def stories(engine: SearchEngine, settings: Settings) -> list[Article]:
    """The ledger story (three reports and a reprint, actor APT31), a story on
    APT28 its saved search must not reach, and a story merged into the first."""
    from workers.stories import refresh_story_documents

    articles = index_ledger_story(engine, settings, STORY, f"feeds-{RUN}")
    other = Article(url=f"https://other.example.com/feeds-{RUN}", title=f"Unrelated Sednit campaign {RUN}",
                    source="other-daily", body="A report on APT28 and nothing else. " * 3, language="en",
                    published_at=datetime(2025, 3, 20, 9, tzinfo=UTC), story_id=OTHER_STORY, actors=["G0007"],
                    relevance_band="on_topic", relevance=0.8)
    bulk_index(engine, settings.index_name(ARTICLES), [other.to_document()], refresh=True)
    refresh_story_documents([OTHER_STORY], engine, settings)
    bulk_index(engine, settings.index_name(STORIES), [{"id": GONE_STORY, "title": "merged away",
                                                       "merged_into": STORY}])
    refresh(engine, settings, STORIES)
    return articles


def reader(accounts: AccountStore, redis_client: redis.Redis, settings: Settings,
           role: Role = Role.ANALYST) -> tuple[str, str]:
    """A new user and a feed token of theirs: (name, token)."""
    name = f"feeder-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, role, "a-long-password")
    return name, FeedTokens(redis_client, settings).issue(name, "tests")[0]


@pytest.fixture
def anonymous(api_url: str) -> Iterator[httpx.Client]:
    """A client with no session and no API token: what a feed reader is."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


def test_a_story_feed_by_token_holds_one_entry_per_story_and_answers_conditional_gets(
        stories: list[Article], accounts: AccountStore, redis_client: redis.Redis, settings: Settings,
        anonymous: httpx.Client) -> None:
    _, token = reader(accounts, redis_client, settings, Role.VIEWER)

    answer = anonymous.get(f"/feeds/{token}/stories/{STORY}.atom")

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(answer.content)
    assert feed.bozo == 0
    [entry] = feed.entries
    assert entry.id == f"urn:uuid:{stable_uuid('story', STORY)}"
    assert entry.link.endswith(f"/stories/{STORY}")
    content = entry.content[0].value
    assert all(title in content for title in TITLES)
    assert "ledger-echo" not in content  # the reprint is counted, not listed
    facts = lxml.html.fromstring(content).text_content()
    assert "Actors: ZIRCONIUM" in facts and "Relevance: on-topic" in facts
    assert {tag.term for tag in entry.tags} == {"G0128", "on_topic"}
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [str(answer.url)]

    etag, modified = answer.headers["etag"], answer.headers["last-modified"]
    assert anonymous.get(answer.url, headers={"If-None-Match": etag}).status_code == 304
    assert anonymous.get(answer.url, headers={"If-Modified-Since": modified}).status_code == 304
    assert anonymous.get(answer.url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert anonymous.get(answer.url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
                         ).status_code == 200

    moved = anonymous.get(f"/feeds/{token}/stories/{GONE_STORY}.atom")
    assert moved.status_code == 301 and moved.headers["location"] == f"/feeds/{token}/stories/{STORY}.atom"


def test_the_feed_of_every_story_lists_the_newest(stories: list[Article], accounts: AccountStore,
                                                  redis_client: redis.Redis, settings: Settings,
                                                  anonymous: httpx.Client) -> None:
    _, token = reader(accounts, redis_client, settings, Role.VIEWER)

    feed = feedparser.parse(anonymous.get(f"/feeds/{token}/all.atom").content)

    assert feed.bozo == 0
    ids = [entry.id for entry in feed.entries]
    assert f"urn:uuid:{stable_uuid('story', STORY)}" in ids
    assert f"urn:uuid:{stable_uuid('story', OTHER_STORY)}" in ids
    assert f"urn:uuid:{stable_uuid('story', GONE_STORY)}" not in ids  # merged away
    assert len(ids) == len(set(ids))


def test_a_saved_search_feed_is_its_owners_and_reaches_what_the_search_does(
        stories: list[Article], accounts: AccountStore, redis_client: redis.Redis, settings: Settings,
        anonymous: httpx.Client) -> None:
    owner, owner_token = reader(accounts, redis_client, settings)
    _, other_token = reader(accounts, redis_client, settings)
    searches = SavedSearches(redis_client, settings)
    # "Violet Typhoon" is in no article's text: the search reaches the story through the alias expansion only.
    saved = searches.save(owner, "Violet Typhoon",
                          SearchRequest(query='"Violet Typhoon"', terms={"band": ["on_topic"]}))
    broken = searches.save(owner, "broken", SearchRequest(query="(Lanternfall"))

    answer = anonymous.get(f"/feeds/{owner_token}/saved/{saved.id}.atom")

    assert answer.status_code == 200, answer.text
    feed = feedparser.parse(answer.content)
    assert feed.bozo == 0
    assert feed.feed.title == "Coverwatch: saved search “Violet Typhoon”"
    ids = [entry.id for entry in feed.entries]
    assert f"urn:uuid:{stable_uuid('story', STORY)}" in ids
    assert f"urn:uuid:{stable_uuid('story', OTHER_STORY)}" not in ids
    refused = anonymous.get(f"/feeds/{other_token}/saved/{saved.id}.atom")
    assert (refused.status_code, refused.json()) == (404, {"detail": "no such feed"})
    assert anonymous.get(f"/feeds/{owner_token}/saved/no-such-search.atom").status_code == 404
    failed = anonymous.get(f"/feeds/{owner_token}/saved/{broken.id}.atom")
    assert failed.status_code == 422 and "a bracket is opened and never closed" in failed.text


def test_revoked_unknown_and_api_tokens_read_no_feed_and_a_feed_token_is_no_api_token(
        stories: list[Article], accounts: AccountStore, redis_client: redis.Redis, settings: Settings,
        anonymous: httpx.Client) -> None:
    name, token = reader(accounts, redis_client, settings)
    tokens = FeedTokens(redis_client, settings)
    path = f"/stories/{STORY}.atom"
    assert anonymous.get(f"/feeds/{token}{path}").status_code == 200
    api_token, _ = accounts.issue_token(name)

    tokens.revoke(token.split("_")[1])

    refusals = [anonymous.get(f"/feeds/{text}{path}") for text in (
        token, token[:-1] + ("0" if token[-1] != "0" else "1"), "cwf_000000000000_" + "0" * 40, api_token, "x")]
    assert [(answer.status_code, answer.json()) for answer in refusals] == [(404, {"detail": "no such feed"})] * 5
    second = tokens.issue(name)[0]
    accounts.set_disabled(name)
    assert anonymous.get(f"/feeds/{second}{path}").status_code == 404  # a disabled user's feeds stop at once
    accounts.set_disabled(name, disabled=False)
    assert anonymous.get(f"/feeds/{second}{path}").status_code == 200
    assert anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401


def test_feed_tokens_are_made_listed_and_revoked_over_the_api(
        stories: list[Article], api_url: str, accounts: AccountStore, anonymous: httpx.Client) -> None:
    name = f"feeder-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, Role.VIEWER, "a-long-password")
    other = f"feeder-{uuid.uuid4().hex[:6]}"
    accounts.add_user(other, Role.VIEWER, "a-long-password")
    with httpx.Client(base_url=api_url, timeout=30,
                      headers={"Authorization": f"Bearer {accounts.issue_token(name)[0]}"}) as owner, \
            httpx.Client(base_url=api_url, timeout=30,
                         headers={"Authorization": f"Bearer {accounts.issue_token(other)[0]}"}) as stranger:
        made = owner.post("/api/v1/feed-tokens", json={"label": "my reader"})
        assert made.status_code == 201, made.text
        token = made.json()
        assert token["label"] == "my reader" and token["all_stories"].endswith(f"/feeds/{token['token']}/all.atom")
        assert token["story"].endswith(f"/feeds/{token['token']}/stories/{{story_id}}.atom")
        assert [listed["id"] for listed in owner.get("/api/v1/feed-tokens").json()] == [token["id"]]
        assert stranger.get("/api/v1/feed-tokens").json() == []
        assert anonymous.get(f"/feeds/{token['token']}/stories/{STORY}.atom").status_code == 200

        assert stranger.delete(f"/api/v1/feed-tokens/{token['id']}").status_code == 404  # not theirs to revoke
        assert owner.delete(f"/api/v1/feed-tokens/{token['id']}").status_code == 204

        [listed] = owner.get("/api/v1/feed-tokens").json()
        assert listed["revoked"] is True and listed["token"] is None and listed["all_stories"] is None
        assert anonymous.get(f"/feeds/{token['token']}/stories/{STORY}.atom").status_code == 404
