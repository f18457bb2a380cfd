"""Query bodies as pure functions: no I/O, easy to test, one place to change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ARTICLE_SEARCH_FIELDS = ["title^3", "lead^2", "body", "actors^2", "source"]
HIGHLIGHT = {
    "pre_tags": ["<mark>"],
    "post_tags": ["</mark>"],
    "fields": {
        "title": {"number_of_fragments": 0},
        "body": {"fragment_size": 180, "number_of_fragments": 2},
    },
}


def article_search(
    query: str,
    *,
    page: int = 1,
    size: int = 20,
    include_duplicates: bool = False,
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """Analyst search: query-string syntax over title, lead and body, newest
    relevant first, duplicates folded into their originals unless asked for."""
    must: list[dict[str, Any]]
    if query.strip():
        must = [{"query_string": {"query": query, "fields": ARTICLE_SEARCH_FIELDS,
                                  "default_operator": "AND"}}]
    else:
        must = [{"match_all": {}}]
    filters: list[dict[str, Any]] = []
    if sources:
        filters.append({"terms": {"source": list(sources)}})
    must_not = [] if include_duplicates else [{"exists": {"field": "duplicate_of"}}]
    return {
        "from": max(page - 1, 0) * size,
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": filters, "must_not": must_not}},
        "highlight": HIGHLIGHT,
        "sort": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
        "_source": {"excludes": ["body"]},
        "aggs": {"sources": {"terms": {"field": "source", "size": 20}}},
    }


def rule_query(query_string: str) -> dict[str, Any]:
    """The stored percolator query for an alert rule's query string."""
    return {"query_string": {"query": query_string, "fields": ["title", "lead", "body"],
                             "default_operator": "AND"}}


def percolate_articles(documents: Sequence[dict[str, Any]], size: int = 1000) -> dict[str, Any]:
    """Match many articles against every enabled rule in one request; each hit
    says which documents (slots) it matched."""
    return {
        "size": size,
        "query": {
            "bool": {
                "must": [{"percolate": {"field": "query", "documents": list(documents)}}],
                "filter": [{"term": {"rule.enabled": True}}],
            }
        },
        "_source": ["rule"],
    }


def story_articles(story_id: str, size: int = 200) -> dict[str, Any]:
    """A story's coverage in the order it appeared: who broke it, who followed."""
    return {
        "size": size,
        "query": {"term": {"story_id": story_id}},
        "sort": [{"event_time": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
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


# --- alert rules -------------------------------------------------------------
# Rule field name -> article field it filters on (keyword fields, exact terms).
RULE_FILTER_FIELDS = {
    "actors": "actors",
    "attributed_states": "attributed_states",
    "victim_countries": "victim_countries",
    "sectors": "sectors",
    "sources": "source",
    "languages": "language",
    "claim_types": "claim_type",
}


def rule_filter_query(
    query_string: str, terms: Mapping[str, Sequence[str]], min_relevance: float | None = None
) -> dict[str, Any]:
    """A rule's whole matching condition: its query string (if any) and its
    structured filters, every filter required, values within one filter OR-ed.
    ``terms`` is keyed by the rule field names of ``RULE_FILTER_FIELDS``."""
    must = [rule_query(query_string)] if query_string.strip() else []
    filters: list[dict[str, Any]] = [
        {"terms": {RULE_FILTER_FIELDS[name]: list(values)}} for name, values in sorted(terms.items()) if values]
    if min_relevance is not None:
        filters.append({"range": {"relevance": {"gte": min_relevance}}})
    if not filters:
        # A plain query-string rule percolates exactly as it did before filters existed.
        return must[0] if must else {"match_all": {}}
    return {"bool": {"must": must, "filter": filters}}


def query_validation(query: Mapping[str, Any]) -> dict[str, Any]:
    """A search that only asks the engine to parse ``query``."""
    return {"size": 0, "query": dict(query)}


def all_rules(size: int = 1000) -> dict[str, Any]:
    return {"size": size, "query": {"match_all": {}}, "_source": ["rule"]}


def _alertable_between(query: Mapping[str, Any], since: str, until: str) -> dict[str, Any]:
    # What could alert: originals not judged off-topic, as the alert stage sends them.
    return {"bool": {
        "filter": [dict(query), {"range": {"event_time": {"gte": since, "lt": until}}}],
        "must_not": [{"exists": {"field": "duplicate_of"}}, {"term": {"on_topic": False}}],
    }}


def rule_matches_between(query: Mapping[str, Any], since: str, until: str, size: int = 1000) -> dict[str, Any]:
    """Alertable articles a rule matches in [since, until), oldest first."""
    return {
        "size": size,
        "query": _alertable_between(query, since, until),
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        # Whole articles (a message quotes the body) without the clustering vectors.
        "_source": {"excludes": ["cluster_terms", "cluster_weights", "cluster_features", "cluster_names"]},
    }


def rule_match_times(query: Mapping[str, Any], since: str, until: str, size: int = 10000) -> dict[str, Any]:
    """When each alertable article a rule matches appeared, and in which story
    and outlet: enough for window arithmetic without the articles themselves."""
    return {
        "size": size,
        "query": _alertable_between(query, since, until),
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        "_source": ["id", "event_time", "story_id", "source"],
    }


# --- story assignment (workers/stories.py runs these) ----------------------------------------

def story_candidates(article_id: str, terms: Sequence[str], actors: Sequence[str], since: str, until: str,
                     docvalue_fields: Sequence[Any], size: int) -> dict[str, Any]:
    """Stored articles near one article: at least two of its heaviest terms (or
    its actors) within the time window, read from doc values only."""
    should: list[dict[str, Any]] = [{"term": {"cluster_terms": term}} for term in terms]
    should += [{"term": {"actors": {"value": actor, "boost": 2.0}}} for actor in actors]
    return {
        "size": size,
        # No stored fields at all, not even _id: reading any stored field unpacks
        # the whole compressed article (a quarter of the cost).
        "stored_fields": "_none_",
        "docvalue_fields": list(docvalue_fields),
        "track_total_hits": False,
        "query": {"bool": {
            "filter": [{"range": {"event_time": {"gte": since, "lte": until}}}],
            "must_not": [{"ids": {"values": [article_id]}}],
            "should": should, "minimum_should_match": 2,
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


def deliveries_about(group_key: str, size: int = 10_000) -> dict[str, Any]:
    """Every delivery claimed about one story (or article)."""
    return {"size": size, "query": {"term": {"group_key": group_key}}}
