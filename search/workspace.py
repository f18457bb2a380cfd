"""Faceted, actor-aware analyst search as a function: the query body from
search/queries.py in, typed records (one per story, facets, coverage) out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coverwatch.settings import Settings
from coverwatch.taxonomy import Taxonomy, default_taxonomy
from search.documents import get_documents
from search.engine import EngineError, SearchEngine
from search.indexes import ARTICLES, STORIES
from search.queries import FACET_FIELDS, workspace_search
from search.query_syntax import AliasExpansion, QuerySyntaxError, check_syntax, expand_actor_aliases
from search.service import InvalidQuery, SearchHit, search_hit
from search.vocabulary import FACET_TITLES, facet_label, normalise_terms


@dataclass(frozen=True)
class SearchRequest:
    """What the analyst asked: a query string, facet choices (as typed: aliases
    and country names are fine), a date range, an order and a page."""

    query: str = ""
    terms: Mapping[str, Sequence[str]] = field(default_factory=dict)
    since: str | None = None
    until: str | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 20
    include_duplicates: bool = False


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    title: str
    values: list[FacetValue] = field(default_factory=list)


@dataclass
class CoverageBar:
    start: str
    articles: int


@dataclass
class StoryHit:
    """The best-matching article of one story, and how much more coverage it has."""

    article: SearchHit
    story_title: str | None = None
    matching_articles: int = 1
    more_outlets: int = 0
    other_outlets: list[str] = field(default_factory=list)


@dataclass
class WorkspacePage:
    query: str
    searched: str  # the query string sent, with every alias expanded
    total: int  # matching articles
    groups: int  # matching stories, plus each matching article not yet in a story
    page: int
    size: int
    sort: str
    terms: dict[str, tuple[str, ...]]
    hits: list[StoryHit] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    coverage: list[CoverageBar] = field(default_factory=list)
    coverage_interval: str = ""
    expansions: list[AliasExpansion] = field(default_factory=list)
    alias_notes: list[str] = field(default_factory=list)  # "Fancy Bear = APT28: also searched …"


def story_hits(hits: Sequence[Mapping[str, Any]], stories: Mapping[str, Mapping[str, Any]]) -> list[StoryHit]:
    """One entry per story hit; the group of articles without a story (the engine
    collapses them together) is spread back into one entry each."""
    entries: list[StoryHit] = []
    for hit in hits:
        coverage = hit.get("inner_hits", {}).get("coverage", {}).get("hits", {})
        article = search_hit(hit)
        if not article.story_id:
            # The inner hits carry no highlight (queries.workspace_search), so the
            # collapsed group's own top hit stands for itself, highlighted.
            entries += [StoryHit(article if inner.get("_id") == article.id else search_hit(inner))
                        for inner in coverage.get("hits", [])] or [StoryHit(article)]
            continue
        story = stories.get(article.story_id, {})
        matched = sorted({inner["_source"].get("source", "") for inner in coverage.get("hits", [])}
                         - {article.source, ""})
        outlets = set(story.get("outlets") or matched) - {article.source}
        entries.append(StoryHit(
            article, story_title=story.get("title"),
            matching_articles=int(coverage.get("total", {}).get("value", 1)),
            more_outlets=len(outlets), other_outlets=matched))
    return entries


def read_facets(aggregations: Mapping[str, Any], terms: Mapping[str, Sequence[str]],
                taxonomy: Taxonomy | None = None) -> list[Facet]:
    """Facet counts in the order of ``FACET_FIELDS``; a chosen value the engine
    did not count (no article left) is still listed, with 0, so it can be undone."""
    facets = []
    for name in FACET_FIELDS:
        buckets = aggregations.get(f"facet_{name}", {}).get("values", {}).get("buckets", [])
        chosen = set(terms.get(name, ()))
        values = [FacetValue(str(bucket["key"]), facet_label(name, str(bucket["key"]), taxonomy),
                             int(bucket["doc_count"]), str(bucket["key"]) in chosen) for bucket in buckets]
        counted = {value.value for value in values}
        values += [FacetValue(value, facet_label(name, value, taxonomy), 0, True)
                   for value in terms.get(name, ()) if value not in counted]
        if values:
            facets.append(Facet(name, FACET_TITLES[name], values))
    return facets


def read_coverage(aggregation: Mapping[str, Any]) -> tuple[list[CoverageBar], str]:
    over_time = aggregation.get("over_time", {})
    bars = [CoverageBar(str(bucket.get("key_as_string", bucket["key"])), int(bucket["doc_count"]))
            for bucket in over_time.get("buckets", [])]
    return bars, str(over_time.get("interval", ""))


def search_engine_query(engine: SearchEngine, index: str, body: Mapping[str, Any], query: str) -> dict[str, Any]:
    """Run one search; the engine's refusal of the query string becomes :class:`InvalidQuery`."""
    try:
        return engine.request("POST", f"/{index}/_search", body)
    except EngineError as failure:
        if failure.status == 400:
            raise InvalidQuery(f"cannot parse the query {query!r}; check quotes, brackets "
                               "and AND/OR/NOT") from failure
        raise


def faceted_search(engine: SearchEngine, settings: Settings, request: SearchRequest,
                   taxonomy: Taxonomy | None = None) -> WorkspacePage:
    """Actor-aware, faceted search with one hit per story."""
    taxonomy = taxonomy or default_taxonomy()
    try:
        check_syntax(request.query)
        expanded = expand_actor_aliases(request.query, taxonomy)
    except QuerySyntaxError as failure:
        raise InvalidQuery(f"cannot parse the query {request.query!r}: {failure}") from failure
    terms = normalise_terms(request.terms, taxonomy)
    body = workspace_search(expanded.query_string, terms, since=request.since, until=request.until,
                            sort=request.sort, page=request.page, size=request.size,
                            include_duplicates=request.include_duplicates)
    answer = search_engine_query(engine, settings.index_name(ARTICLES), body, request.query)
    hits = answer["hits"]["hits"]
    story_ids = sorted({hit["_source"]["story_id"] for hit in hits if hit["_source"].get("story_id")})
    stories = get_documents(engine, settings.index_name(STORIES), story_ids)
    aggregations = answer.get("aggregations", {})
    coverage = aggregations.get("coverage", {})
    bars, interval = read_coverage(coverage)
    groups = int(coverage.get("stories", {}).get("value", 0)) + int(coverage.get("unclustered", {}).get("doc_count", 0))
    return WorkspacePage(
        query=request.query, searched=expanded.query_string, total=int(answer["hits"]["total"]["value"]),
        groups=groups, page=request.page, size=request.size, sort=request.sort, terms=terms,
        hits=story_hits(hits, stories), facets=read_facets(aggregations, terms, taxonomy),
        coverage=bars, coverage_interval=interval, expansions=list(expanded.expansions),
        alias_notes=[expansion.note for expansion in expanded.expansions])
