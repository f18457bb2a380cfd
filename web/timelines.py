"""Stories for analysts: the list, one story's timeline (who broke it, who
followed and when, in which languages and countries) and an actor's profile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from coverwatch.models import parse_timestamp
from coverwatch.settings import Settings
from coverwatch.taxonomy import Taxonomy, default_taxonomy
from search.documents import get_document, get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES
from search.queries import actor_coverage, story_list, story_timeline_articles
from search.query_syntax import QuerySyntaxError, check_syntax, expand_actor_aliases
from search.service import InvalidQuery, StoryNotFound
from search.vocabulary import facet_label, find_actor, normalise_terms
from web.workspace import CoverageBar, read_coverage, search_engine_query


@dataclass
class TimelineEntry:
    id: str
    source: str
    title: str
    url: str
    when: str | None
    role: str  # "broke it", "followed" or "reprint"
    after_first: str  # "+5 h" after the first report; "" for the first
    language: str | None = None
    country: str | None = None
    claim_type: str | None = None
    claimant: str | None = None
    relevance: float | None = None
    relevance_band: str | None = None
    relevance_evidence: list[str] = field(default_factory=list)
    relevance_mark: str | None = None
    relevance_marked_by: str | None = None
    relevance_marked_at: str | None = None
    indicators: list[dict[str, str]] = field(default_factory=list)  # refanged; the page defangs them
    techniques: list[str] = field(default_factory=list)


@dataclass
class OutletCoverage:
    source: str
    first_at: str | None
    articles: int
    language: str | None
    country: str | None


@dataclass
class StoryTimeline:
    story: dict[str, Any]
    entries: list[TimelineEntry]
    outlets: list[OutletCoverage]
    languages: dict[str, int]
    countries: dict[str, int]
    first_at: str | None
    last_at: str | None
    broke_it: TimelineEntry | None


def elapsed(first: datetime | None, later: datetime | None) -> str:
    """'+45 min', '+5 h', '+3 d': how long after the first report ('-30 min'
    for a reprint dated before the original it copies)."""
    if first is None or later is None:
        return ""
    seconds = (later - first).total_seconds()
    sign, minutes = ("-" if seconds < 0 else "+"), int(abs(seconds) // 60)
    if minutes < 60:
        return f"{sign}{minutes} min"
    if minutes < 48 * 60:
        return f"{sign}{minutes // 60} h"
    return f"{sign}{minutes // (24 * 60)} d"


def _when(article: Mapping[str, Any]) -> str | None:
    value = article.get("published_at") or article.get("event_time") or article.get("crawled_at")
    return str(value) if value else None


def _appearance(article: Mapping[str, Any]) -> tuple[bool, float, str]:
    moment = parse_timestamp(_when(article))
    return moment is None, moment.timestamp() if moment else 0.0, str(article.get("id", ""))


def _role(article: Mapping[str, Any], first_original: Mapping[str, Any] | None) -> str:
    if article is first_original:
        return "broke it"
    return "reprint" if article.get("duplicate_of") else "followed"


def build_timeline(story: Mapping[str, Any], articles: Sequence[Mapping[str, Any]]) -> StoryTimeline:
    """The story's coverage in the order it appeared. The first original report
    broke it; later originals followed; copies of another article are reprints."""
    ordered = sorted(articles, key=_appearance)
    first_original = next((a for a in ordered if not a.get("duplicate_of")), None)
    first_time = parse_timestamp(_when(first_original)) if first_original else None
    entries: list[TimelineEntry] = []
    outlets: dict[str, OutletCoverage] = {}
    for article in ordered:
        role = _role(article, first_original)
        when = _when(article)
        source = str(article.get("source", ""))
        entries.append(TimelineEntry(
            id=str(article.get("id", "")), source=source, title=str(article.get("title", "")),
            url=str(article.get("canonical_url") or article.get("url") or ""), when=when, role=role,
            after_first="" if role == "broke it" else elapsed(first_time, parse_timestamp(when)),
            language=article.get("language"), country=article.get("country"),
            claim_type=article.get("claim_type"), claimant=article.get("claimant"),
            relevance=article.get("relevance"), relevance_band=article.get("relevance_band"),
            relevance_evidence=list(article.get("relevance_evidence") or []),
            relevance_mark=article.get("relevance_mark"), relevance_marked_by=article.get("relevance_marked_by"),
            relevance_marked_at=article.get("relevance_marked_at"),
            indicators=list(article.get("indicators") or []), techniques=list(article.get("techniques") or [])))
        if source in outlets:
            outlets[source].articles += 1
        else:
            outlets[source] = OutletCoverage(source, when, 1, article.get("language"), article.get("country"))
    languages = Counter(str(o.language) for o in outlets.values() if o.language)
    countries = Counter(str(o.country) for o in outlets.values() if o.country)
    times = [entry.when for entry in entries if entry.when]
    return StoryTimeline(dict(story), entries, list(outlets.values()), dict(languages.most_common()),
                         dict(countries.most_common()), times[0] if times else None, times[-1] if times else None,
                         broke_it=next((entry for entry in entries if entry.role == "broke it"), None))


def story_timeline(engine: SearchEngine, settings: Settings, story_id: str) -> StoryTimeline:
    story = get_document(engine, settings.index_name(STORIES), story_id)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", story_timeline_articles(story_id))
    articles = [hit["_source"] for hit in answer["hits"]["hits"]]
    if story is None and not articles:
        raise StoryNotFound(story_id)
    return build_timeline(story or {"id": story_id, "title": articles[0].get("title", "")}, articles)


@dataclass
class StoryList:
    total: int
    page: int
    size: int
    sort: str
    stories: list[dict[str, Any]]
    alias_notes: list[str] = field(default_factory=list)


def list_stories(engine: SearchEngine, settings: Settings, query: str, terms: Mapping[str, Sequence[str]], *,
                 since: str | None = None, until: str | None = None, sort: str = "newest",
                 page: int = 1, size: int = 20) -> StoryList:
    """Stories matching a query (actor aliases expanded, as in article search)
    and filters (an actor by any alias, a victim by name or code), in the asked order."""
    try:
        check_syntax(query)
        expanded = expand_actor_aliases(query)
    except QuerySyntaxError as failure:
        raise InvalidQuery(f"cannot parse the query {query!r}: {failure}") from failure
    body = story_list(expanded.query_string, normalise_terms(terms), since=since, until=until, sort=sort,
                      page=page, size=size)
    answer = search_engine_query(engine, settings.index_name(STORIES), body, query)
    return StoryList(int(answer["hits"]["total"]["value"]), page, size, sort,
                     [hit["_source"] for hit in answer["hits"]["hits"]],
                     [expansion.note for expansion in expanded.expansions])


@dataclass
class ActorProfile:
    id: str
    name: str
    aliases: list[str]
    state: str | None
    state_name: str | None
    sponsor: str
    sectors: list[str]
    articles: int
    coverage: list[CoverageBar]
    coverage_interval: str
    recent_stories: list[dict[str, Any]]


class ActorNotFound(LookupError):
    """No actor has that name or id in the taxonomy."""


def actor_profile(engine: SearchEngine, settings: Settings, name: str,
                  taxonomy: Taxonomy | None = None) -> ActorProfile:
    actor = find_actor(name, taxonomy or default_taxonomy())
    if actor is None:
        raise ActorNotFound(name)
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", actor_coverage(actor.id))
    aggregations = answer.get("aggregations", {})
    bars, interval = read_coverage(aggregations)
    story_ids = [str(bucket["key"]) for bucket in aggregations.get("recent_stories", {}).get("buckets", [])]
    stories = get_documents(engine, settings.index_name(STORIES), story_ids)
    return ActorProfile(
        id=actor.id, name=actor.name, aliases=list(actor.aliases), state=actor.state,
        state_name=facet_label("state", actor.state) if actor.state else None, sponsor=actor.sponsor,
        sectors=list(actor.sectors), articles=int(answer["hits"]["total"]["value"]),
        coverage=bars, coverage_interval=interval,
        recent_stories=[stories[story_id] for story_id in story_ids if story_id in stories])
