"""Stories: assigning articles (workers/stories.py), merging them, a story's
coverage and timeline, the stories list and actor profiles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.queries.workspace import COVERAGE_BARS, date_range

# A story's articles in the order they appeared (an article with no time last), ties by id.
STORY_ORDER = [{"event_time": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]


def story_articles(story_id: str, size: int = 200) -> dict[str, Any]:
    """A story's coverage in the order it appeared: who broke it, who followed."""
    return {
        "size": size,
        "query": {"term": {"story_id": story_id}},
        "sort": STORY_ORDER,
        "_source": ["id", "title", "url", "canonical_url", "source", "published_at", "crawled_at",
                    "duplicate_of", "actor_names", "claim_type", "claimant", "lead",
                    "relevance", "relevance_band", "relevance_evidence"],
    }


def story_search(query: str, size: int = 20) -> dict[str, Any]:
    """Stories by title, actors or outlet, most recently updated first."""
    match: dict[str, Any] = (
        {"query_string": {"query": query, "fields": ["title^2", "actor_names", "outlets"],
                          "default_operator": "AND"}} if query.strip() else {"match_all": {}})
    return {"size": size, "query": match, "sort": [{"last_update": {"order": "desc"}}]}


# --- story assignment (workers/stories.py runs these) ----------------------------------------

def story_candidates(article_id: str, terms: Sequence[str], actors: Sequence[str], since: str, until: str,
                     docvalue_fields: Sequence[Any], size: int, evidence: Sequence[str] = (),
                     language: str = "") -> dict[str, Any]:
    """Stored articles near one article: at least two of its heaviest terms (or
    its actors) within the time window, read from doc values only. With its
    ``evidence`` and ``language``, also articles in other languages sharing two
    evidence keys: their terms would not meet the article's."""
    should: list[dict[str, Any]] = [{"term": {"cluster_terms": term}} for term in terms]
    should += [{"term": {"actors": {"value": actor, "boost": 2.0}}} for actor in actors]
    matching: dict[str, Any] = {"should": should, "minimum_should_match": 2}
    if evidence and language:
        matching = {"should": [
            {"bool": matching},
            {"bool": {"must_not": [{"term": {"language": language}}],
                      "should": [{"term": {"cluster_evidence": key}} for key in evidence],
                      "minimum_should_match": 2}}],
            "minimum_should_match": 1}
    return {
        "size": size,
        # No stored fields at all, not even _id: reading any stored field unpacks
        # the whole compressed article (a quarter of the cost).
        "stored_fields": "_none_",
        "docvalue_fields": list(docvalue_fields),
        "track_total_hits": False,
        "query": {"bool": {
            # Articles are written with their story, so every stored one has a story_id.
            "filter": [{"range": {"event_time": {"gte": since, "lte": until}}}],
            "must_not": [{"ids": {"values": [article_id]}}],
            **matching,
        }},
    }


def copies_of(original_ids: Sequence[str], size: int = 1000) -> dict[str, Any]:
    return {"size": size, "_source": ["story_id", "duplicate_of"],
            "query": {"terms": {"duplicate_of": sorted(original_ids)}}}


def story_summary(story_id: str) -> dict[str, Any]:
    """The first article of a story and what its coverage adds up to."""
    return {
        "size": 1,
        "query": {"term": {"story_id": story_id}},
        "sort": [{"published_at": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
        "_source": ["title", "source", "published_at", "crawled_at"],
        "aggs": {
            "outlets": {"terms": {"field": "source", "size": 200}},
            "languages": {"terms": {"field": "language", "size": 20}},
            "actors": {"terms": {"field": "actors", "size": 20}},
            "victims": {"terms": {"field": "victim_countries", "size": 20}},
            "merged_from": {"terms": {"field": "story_lineage", "size": 100}},
            "last_published": {"max": {"field": "published_at"}},
            "last_crawled": {"max": {"field": "crawled_at"}},
        },
    }


def recent_story_members(since: str, source_fields: Sequence[str], size: int = 5000) -> dict[str, Any]:
    """Originals with a story, crawled since ``since``: what the merge step compares."""
    return {"size": size, "_source": list(source_fields),
            "query": {"bool": {"filter": [{"exists": {"field": "story_id"}},
                                          {"range": {"crawled_at": {"gte": since}}}],
                               "must_not": [{"exists": {"field": "duplicate_of"}}]}}}


def move_story(absorbed: str, kept: str) -> dict[str, Any]:
    """An update-by-query that moves a story's articles into another and records,
    on each article, the story ids it belonged to before (its lineage)."""
    return {"query": {"term": {"story_id": absorbed}},
            "script": {"lang": "painless", "params": {"kept": kept, "absorbed": absorbed},
                       "source": "if (ctx._source.story_lineage == null) { ctx._source.story_lineage = []; } "
                                 "if (!ctx._source.story_lineage.contains(params.absorbed)) "
                                 "{ ctx._source.story_lineage.add(params.absorbed); } "
                                 "ctx._source.story_id = params.kept"}}


STORY_SORTS: dict[str, list[Any]] = {
    "newest": [{"first_seen": {"order": "desc", "missing": "_last"}}],
    "updated": [{"last_update": {"order": "desc", "missing": "_last"}}],
    # Painless is in both engines; a story document lists each outlet once.
    "outlets": [{"_script": {"type": "number", "order": "desc",
                             "script": {"lang": "painless", "source": "doc['outlets'].size()"}}},
                {"article_count": {"order": "desc"}}, {"first_seen": {"order": "desc", "missing": "_last"}}],
}


# Story list filter name -> story document field.
STORY_FILTER_FIELDS: dict[str, str] = {
    "actor": "actors", "victim": "victim_countries", "language": "languages", "outlet": "outlets"}


def story_list(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    sort: str = "newest",
    page: int = 1,
    size: int = 20,
) -> dict[str, Any]:
    """Stories by title, actor or outlet, filtered (``terms`` keyed by the names
    in ``STORY_FILTER_FIELDS``), newest, latest updated or most outlets first."""
    must: list[dict[str, Any]] = (
        [{"query_string": {"query": query_string, "fields": ["title^2", "actor_names", "outlets", "actors"],
                           "default_operator": "AND"}}] if query_string.strip() else [{"match_all": {}}])
    filters = [{"terms": {STORY_FILTER_FIELDS[name]: list(values)}} for name, values in sorted(terms.items()) if values]
    return {
        "from": max(page - 1, 0) * size,
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": filters + date_range("first_seen", since, until)}},
        "sort": STORY_SORTS[sort],
    }


# What a story's timeline shows of each article; the articles a timeline shows at most.
TIMELINE_SOURCE = ["id", "title", "url", "canonical_url", "source", "language", "country", "published_at",
                   "crawled_at", "event_time", "duplicate_of", "claim_type", "claimant", "relevance",
                   "relevance_band", "relevance_evidence", "relevance_mark", "relevance_marked_by",
                   "relevance_marked_at", "indicators", "techniques"]
TIMELINE_SIZE = 500


def story_timeline_articles(story_id: str, size: int = TIMELINE_SIZE) -> dict[str, Any]:
    """Every article of a story, oldest first, with what a timeline shows of it."""
    return {
        "size": size,
        "query": {"term": {"story_id": story_id}},
        "sort": STORY_ORDER,
        "_source": TIMELINE_SOURCE,
    }


def actor_coverage(actor_id: str, story_size: int = 10) -> dict[str, Any]:
    """An actor's coverage: how many originals name it, over time, and its
    most recent stories (by their newest article)."""
    return {
        "size": 0,
        "track_total_hits": True,
        "query": {"bool": {"filter": [{"term": {"actors": actor_id}}],
                           "must_not": [{"exists": {"field": "duplicate_of"}}]}},
        "aggs": {
            "over_time": {"auto_date_histogram": {"field": "event_time", "buckets": COVERAGE_BARS}},
            "recent_stories": {"terms": {"field": "story_id", "size": story_size,
                                         "order": {"newest": "desc"}},
                               "aggs": {"newest": {"max": {"field": "event_time"}}}},
        },
    }
