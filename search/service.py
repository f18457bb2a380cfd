"""Analyst search as a function: query body in, plain result records out."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coverwatch.settings import Settings
from search.documents import get_document
from search.engine import EngineError, SearchEngine
from search.indexes import ARTICLES, STORIES
from search.queries import MARK_END, MARK_START, article_search, story_articles, story_search


class InvalidQuery(ValueError):
    """The analyst's query string does not parse."""


@dataclass
class SearchHit:
    id: str
    title: str
    url: str
    source: str
    published_at: str | None
    lead: str
    highlights: list[str]
    title_html: str
    duplicate_of: str | None = None
    story_id: str | None = None
    relevance: float | None = None
    relevance_band: str | None = None
    relevance_evidence: list[str] = field(default_factory=list)
    relevance_model_version: str | None = None  # the model that scored it
    relevance_mark: str | None = None  # an analyst's "espionage" / "not_espionage", which the band follows
    relevance_marked_by: str | None = None
    relevance_marked_at: str | None = None


_MARKERS = re.compile(f"([{MARK_START}{MARK_END}])")


def marked_html(fragment: str) -> str:
    """A highlight fragment as safe HTML: the article's text escaped, the
    engine's match markers (and only they) turned into <mark> elements."""
    pieces: list[str] = []
    marking = False
    for part in _MARKERS.split(fragment):
        if part == MARK_START and not marking:
            pieces.append("<mark>")
            marking = True
        elif part == MARK_END and marking:
            pieces.append("</mark>")
            marking = False
        elif part not in (MARK_START, MARK_END):
            pieces.append(html.escape(part))
    if marking:
        pieces.append("</mark>")
    return "".join(pieces)


def search_hit(hit: Mapping[str, Any]) -> SearchHit:
    """One engine hit as a record; ``highlights`` and ``title_html`` are safe HTML."""
    source: dict[str, Any] = hit["_source"]
    highlight = {name: [marked_html(fragment) for fragment in fragments]
                 for name, fragments in hit.get("highlight", {}).items()}
    return SearchHit(
        id=hit["_id"], title=source.get("title", ""),
        url=source.get("canonical_url") or source.get("url", ""),
        source=source.get("source", ""), published_at=source.get("published_at"),
        lead=source.get("lead", ""), highlights=highlight.get("body", []),
        title_html=(highlight.get("title") or [""])[0],
        duplicate_of=source.get("duplicate_of"), story_id=source.get("story_id"),
        relevance=source.get("relevance"), relevance_band=source.get("relevance_band"),
        relevance_evidence=source.get("relevance_evidence") or [],
        relevance_model_version=source.get("relevance_model_version"), relevance_mark=source.get("relevance_mark"),
        relevance_marked_by=source.get("relevance_marked_by"), relevance_marked_at=source.get("relevance_marked_at"))

@dataclass
class SearchPage:
    query: str
    total: int
    page: int
    size: int
    hits: list[SearchHit] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)


@dataclass
class StoryView:
    """One story and its lineage: the article that broke it, then who followed."""

    story: dict[str, Any]
    articles: list[dict[str, Any]]

    @property
    def broke_it(self) -> dict[str, Any] | None:
        return next((a for a in self.articles if not a.get("duplicate_of")), None)


class StoryNotFound(LookupError):
    """No story with that id."""


def story_view(engine: SearchEngine, settings: Settings, story_id: str) -> StoryView:
    story = get_document(engine, settings.index_name(STORIES), story_id)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", story_articles(story_id))
    articles = [hit["_source"] for hit in answer["hits"]["hits"]]
    if story is None and not articles:
        raise StoryNotFound(story_id)
    return StoryView(story or {"id": story_id, "title": articles[0]["title"]}, articles)


def find_stories(engine: SearchEngine, settings: Settings, query: str, size: int = 20) -> list[dict[str, Any]]:
    try:
        answer = engine.request("POST", f"/{settings.index_name(STORIES)}/_search", story_search(query, size))
    except EngineError as failure:
        if failure.status == 400:
            raise InvalidQuery(f"cannot parse the query {query!r}") from failure
        raise
    return [hit["_source"] for hit in answer["hits"]["hits"]]


def run_search(engine: SearchEngine, settings: Settings, query: str, page: int = 1,
               size: int = 20, include_duplicates: bool = False, sources: Sequence[str] = ()) -> SearchPage:
    body = article_search(query, page=page, size=size, include_duplicates=include_duplicates, sources=sources)
    try:
        answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", body)
    except EngineError as failure:
        if failure.status == 400:
            raise InvalidQuery(f"cannot parse the query {query!r}; check quotes, brackets "
                               "and AND/OR/NOT") from failure
        raise
    result = SearchPage(query=query, total=int(answer["hits"]["total"]["value"]), page=page,
                        size=size)
    result.hits.extend(search_hit(hit) for hit in answer["hits"]["hits"])
    for bucket in answer.get("aggregations", {}).get("sources", {}).get("buckets", []):
        result.sources[bucket["key"]] = int(bucket["doc_count"])
    return result
