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
from search.queries import (
    FACET_FIELDS,
    page_articles,
    story_coverage,
    unclustered_hits,
    workspace_candidates,
    workspace_counts,
    workspace_hits,
)
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


# Articles ranked per page entry before grouping them by story: a story rarely
# has more than two articles matching one search among the best ones.
CANDIDATES_PER_ENTRY = 3


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


@dataclass(frozen=True)
class MatchedCoverage:
    """How much of one story the search matched: articles, and their outlets."""

    articles: int
    outlets: tuple[str, ...] = ()


def read_story_coverage(aggregations: Mapping[str, Any]) -> dict[str, MatchedCoverage]:
    """The per-story counts of :func:`search.queries.story_coverage`, by story id."""
    return {str(bucket["key"]): MatchedCoverage(
                int(bucket["doc_count"]),
                tuple(str(outlet["key"]) for outlet in bucket.get("outlets", {}).get("buckets", [])))
            for bucket in aggregations.get("stories", {}).get("buckets", [])}


def story_hits(hits: Sequence[Mapping[str, Any]], stories: Mapping[str, Mapping[str, Any]],
               matched: Mapping[str, MatchedCoverage],
               unclustered: Sequence[Mapping[str, Any]] = ()) -> list[StoryHit]:
    """One entry per story hit. The hit the engine collapsed every article
    without a story into is spread back into one entry each (``unclustered``)."""
    entries: list[StoryHit] = []
    for hit in hits:
        article = search_hit(hit)
        if not article.story_id:
            entries.append(StoryHit(article))
            entries += [StoryHit(search_hit(other)) for other in unclustered if other.get("_id") != article.id]
            continue
        story = stories.get(article.story_id, {})
        found = matched.get(article.story_id, MatchedCoverage(1))
        others = sorted(set(found.outlets) - {article.source, ""})
        outlets = set(story.get("outlets") or others) - {article.source}
        entries.append(StoryHit(
            article, story_title=story.get("title"), matching_articles=found.articles,
            more_outlets=len(outlets), other_outlets=others))
    return entries


def page_groups(candidates: Sequence[Mapping[str, Any]], page: int, size: int,
                exhausted: bool) -> list[tuple[str, str | None]] | None:
    """The page's entries from :func:`search.queries.workspace_candidates` hits,
    in order: the best article of each story, and each article in no story on
    its own, as (article id, story id). None when the candidates name too few
    stories to fill the page and more may match (``exhausted`` says none do)."""
    groups: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for candidate in candidates:
        fields = candidate.get("fields", {})
        article_id = str((fields.get("id") or [candidate.get("_id", "")])[0])
        story_id = (fields.get("story_id") or [None])[0]
        if story_id is not None and story_id in seen:
            continue
        if story_id is not None:
            seen.add(story_id)
        groups.append((article_id, story_id))
    first = max(page - 1, 0) * size
    if len(groups) < first + size and not exhausted:
        return None
    return groups[first:first + size]


def read_facets(aggregations: Mapping[str, Any], terms: Mapping[str, Sequence[str]],
                taxonomy: Taxonomy | None = None) -> list[Facet]:
    """Facet counts (``facet_<name>`` terms aggregations) in the order of
    ``FACET_FIELDS``; a chosen value the engine did not count (no article left)
    is still listed, with 0, so it can be undone."""
    facets = []
    for name in FACET_FIELDS:
        buckets = aggregations.get(f"facet_{name}", {}).get("buckets", [])
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


def _refused(failure: EngineError, query: str) -> Exception:
    if failure.status == 400:
        return InvalidQuery(f"cannot parse the query {query!r}; check quotes, brackets and AND/OR/NOT")
    return failure


def search_engine_query(engine: SearchEngine, index: str, body: Mapping[str, Any], query: str) -> dict[str, Any]:
    """Run one search; the engine's refusal of the query string becomes :class:`InvalidQuery`."""
    try:
        return engine.request("POST", f"/{index}/_search", body)
    except EngineError as failure:
        raise _refused(failure, query) from failure


def search_engine_queries(engine: SearchEngine, searches: Sequence[tuple[str, Mapping[str, Any]]],
                          query: str) -> list[dict[str, Any]]:
    """Run several searches in one request, which the engine runs side by side;
    a refused one raises as :func:`search_engine_query` does."""
    answers = engine.msearch(searches)
    for answer in answers:
        if "error" in answer:
            raise _refused(EngineError(int(answer.get("status", 500)), answer["error"]), query)
    return answers


def _collapsed_page(engine: SearchEngine, articles: str, searched: str, terms: Mapping[str, Sequence[str]],
                    request: SearchRequest) -> tuple[list[dict[str, Any]], list[str], dict[str, MatchedCoverage],
                                                     list[dict[str, Any]]]:
    """One hit per story collapsed by the engine, for when ranking articles did
    not find enough stories: the hits, their stories' matching coverage and, if
    the page has the articles in no story (folded into one hit), those."""
    scope: dict[str, Any] = {"since": request.since, "until": request.until,
                             "include_duplicates": request.include_duplicates}
    [page] = search_engine_queries(engine, [(articles, workspace_hits(
        searched, terms, sort=request.sort, page=request.page, size=request.size, **scope))], request.query)
    hits: list[dict[str, Any]] = page["hits"]["hits"]
    story_ids = sorted({hit["_source"]["story_id"] for hit in hits if hit["_source"].get("story_id")})
    follow_up: list[tuple[str, Mapping[str, Any]]] = []
    if story_ids:
        follow_up.append((articles, story_coverage(searched, terms, story_ids, **scope)))
    if len(story_ids) < len(hits):
        follow_up.append((articles, unclustered_hits(searched, terms, sort=request.sort, **scope)))
    answers = search_engine_queries(engine, follow_up, request.query)
    matched = read_story_coverage(answers[0].get("aggregations", {})) if story_ids else {}
    unclustered: list[dict[str, Any]] = answers[-1]["hits"]["hits"] if len(story_ids) < len(hits) else []
    return hits, story_ids, matched, unclustered


def faceted_search(engine: SearchEngine, settings: Settings, request: SearchRequest,
                   taxonomy: Taxonomy | None = None) -> WorkspacePage:
    """Actor-aware, faceted search with one hit per story: the page of hits and
    the counts in one round trip, then the matching coverage of the page's stories."""
    taxonomy = taxonomy or default_taxonomy()
    try:
        check_syntax(request.query)
        expanded = expand_actor_aliases(request.query, taxonomy)
    except QuerySyntaxError as failure:
        raise InvalidQuery(f"cannot parse the query {request.query!r}: {failure}") from failure
    terms = normalise_terms(request.terms, taxonomy)
    searched = expanded.query_string
    since, until, copies = request.since, request.until, request.include_duplicates
    articles = settings.index_name(ARTICLES)
    wanted = CANDIDATES_PER_ENTRY * max(request.page, 1) * request.size
    ranked, totals, *facets = search_engine_queries(engine, [
        (articles, workspace_candidates(searched, terms, since=since, until=until, include_duplicates=copies,
                                        sort=request.sort, size=wanted)),
        *[(articles, counts) for counts in workspace_counts(searched, terms, since=since, until=until,
                                                             include_duplicates=copies)]],
        request.query)
    candidates = ranked["hits"]["hits"]
    entries = page_groups(candidates, request.page, request.size, exhausted=len(candidates) < wanted)
    unclustered: list[dict[str, Any]] = []
    if entries is None:  # stories with many matching articles: the engine collapses them
        hits, story_ids, matched, unclustered = _collapsed_page(engine, articles, searched, terms, request)
    elif not entries:
        hits, story_ids, matched = [], [], {}
    else:
        story_ids = sorted({story for _, story in entries if story})
        follow_up: list[tuple[str, Mapping[str, Any]]] = [
            (articles, page_articles(searched, [article for article, _ in entries]))]
        if story_ids:
            follow_up.append((articles, story_coverage(searched, terms, story_ids, since=since, until=until,
                                                       include_duplicates=copies)))
        answers = search_engine_queries(engine, follow_up, request.query)
        by_id = {hit["_id"]: hit for hit in answers[0]["hits"]["hits"]}
        hits = [by_id[article] for article, _ in entries if article in by_id]
        matched = read_story_coverage(answers[-1].get("aggregations", {})) if story_ids else {}
    stories = get_documents(engine, settings.index_name(STORIES), story_ids)
    aggregations = dict(totals.get("aggregations", {}))
    for counted in facets:
        aggregations.update(counted.get("aggregations", {}))
    bars, interval = read_coverage(aggregations)
    groups = int(aggregations.get("stories", {}).get("value", 0)) + int(
        aggregations.get("unclustered", {}).get("doc_count", 0))
    return WorkspacePage(
        query=request.query, searched=searched, total=int(totals["hits"]["total"]["value"]),
        groups=groups, page=request.page, size=request.size, sort=request.sort, terms=terms,
        hits=story_hits(hits, stories, matched, unclustered), facets=read_facets(aggregations, terms, taxonomy),
        coverage=bars, coverage_interval=interval, expansions=list(expanded.expansions),
        alias_notes=[expansion.note for expansion in expanded.expansions])
