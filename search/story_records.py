"""Stories with their articles, read for the threat-intel exchange
(workers/exchange/ renders them as STIX, MISP events, Atom; web/ serves them
over TAXII and as feeds).

A :class:`StoryRecord` is what every format starts from: the story document
(search/indexes.py ``STORY_PROPERTIES``) and its articles oldest first, originals
and copies, with the fields ``EXCHANGE_ARTICLE_FIELDS`` names. Reads page by the
story's ``last_update`` so a reader asking for "changed since" never misses one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coverwatch.models import parse_timestamp
from coverwatch.settings import Settings
from search import queries
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES

# The relevance bands an article may carry, best first.
BANDS_BEST_FIRST = ("on_topic", "possible", "off_topic")
# Stories read per request; members are read for one page of stories at a time.
PAGE_SIZE = 100
# Their articles per request; a page of stories may hold more, read in further requests.
MEMBERS_PAGE_SIZE = 5000


@dataclass(frozen=True)
class StoryRecord:
    """One story as the exchange formats see it."""

    story: Mapping[str, Any]
    articles: tuple[Mapping[str, Any], ...]  # oldest first, originals and copies

    @property
    def id(self) -> str:
        return str(self.story["id"])

    @property
    def title(self) -> str:
        return str(self.story.get("title") or (self.articles[0].get("title") if self.articles else "") or "")

    @property
    def first_seen(self) -> str | None:
        return self.story.get("first_seen")

    @property
    def last_update(self) -> str | None:
        """When the story last changed: its newest article's crawl time."""
        return self.story.get("last_update") or self.first_seen

    @property
    def changed_at(self) -> datetime | None:
        """``last_update`` as an aware time (a bare one is UTC); None when absent or unreadable."""
        return parse_timestamp(self.last_update)

    @property
    def first_seen_at(self) -> datetime | None:
        return parse_timestamp(self.first_seen)

    @property
    def band(self) -> str | None:
        """The best relevance band among the story's reports."""
        bands = {article.get("relevance_band") for article in self.originals}
        return next((band for band in BANDS_BEST_FIRST if band in bands), None)

    @property
    def originals(self) -> tuple[Mapping[str, Any], ...]:
        """One article per report: copies (``duplicate_of``) left out."""
        return tuple(article for article in self.articles if not article.get("duplicate_of"))

    def values(self, field: str) -> list[Any]:
        """Every value of a list field across the story's originals, first seen first, once each."""
        seen: dict[str, Any] = {}
        for article in self.originals:
            for value in article.get(field) or ():
                seen.setdefault(repr(value), value)
        return list(seen.values())


@dataclass(frozen=True)
class SearchScope:
    """The stories an analyst's search reaches: its alias-expanded query string
    and its facet choices keyed by the workspace's facet names."""

    query: str = ""
    terms: Mapping[str, Sequence[str]] = field(default_factory=dict)


def story_records(engine: SearchEngine, settings: Settings, *, since: str | None = None,
                  strictly_after: bool = False, story_ids: Sequence[str] = (), scope: SearchScope | None = None,
                  limit: int | None = None) -> Iterator[StoryRecord]:
    """Live stories changed at or after ``since`` (strictly after when
    ``strictly_after``; all when None), oldest change first;
    only ``story_ids`` when given, only the stories ``scope`` reaches when given."""
    wanted = list(story_ids)
    if scope is not None:
        reached = reached_story_ids(engine, settings, scope)
        wanted = [story_id for story_id in reached if story_id in set(wanted)] if wanted else reached
        if not wanted:
            return
    yielded = 0
    after: list[Any] | None = None
    while True:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - yielded)
        if size <= 0:
            return
        body = queries.changed_stories(since=since, strictly_after=strictly_after, story_ids=wanted,
                                       size=size, after=after)
        hits = engine.request("POST", f"/{settings.index_name(STORIES)}/_search", body)["hits"]["hits"]
        if not hits:
            return
        stories = [hit["_source"] for hit in hits]
        members = story_members(engine, settings, [story["id"] for story in stories])
        for story in stories:
            yield StoryRecord(story, tuple(members.get(story["id"], ())))
        yielded += len(stories)
        if len(hits) < size:
            return
        after = hits[-1]["sort"]


def story_members(engine: SearchEngine, settings: Settings, story_ids: Sequence[str],
                  page_size: int = MEMBERS_PAGE_SIZE) -> dict[str, list[dict[str, Any]]]:
    """Story id -> its articles, oldest first: every one, read a page at a time."""
    members: dict[str, list[dict[str, Any]]] = {}
    after: list[Any] | None = None
    while True:
        body = queries.members_of(story_ids, size=page_size, after=after)
        hits = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)["hits"]["hits"]
        for hit in hits:
            members.setdefault(hit["_source"].get("story_id"), []).append(hit["_source"])
        if len(hits) < page_size:
            return members
        after = hits[-1]["sort"]


def reached_story_ids(engine: SearchEngine, settings: Settings, scope: SearchScope) -> list[str]:
    """The ids of the stories ``scope`` reaches, newest coverage first."""
    body = queries.stories_reached(scope.query, scope.terms)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)
    return [bucket["key"] for bucket in answer["aggregations"]["stories"]["buckets"]]


def newest_story_ids(engine: SearchEngine, settings: Settings, size: int) -> list[str]:
    """The ids of the ``size`` live stories that changed last, newest first."""
    answer = engine.request("POST", f"/{settings.index_name(STORIES)}/_search", queries.newest_stories(size))
    return [str(hit["_source"]["id"]) for hit in answer["hits"]["hits"]]
