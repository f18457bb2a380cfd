"""Query bodies as pure functions: no I/O, easy to test, one place to change."""

from __future__ import annotations

from collections.abc import Sequence
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
