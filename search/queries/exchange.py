"""The stories the threat-intel exchange hands out (workers/exchange/: STIX,
TAXII, MISP, feeds): which stories changed since a time, which stories an
analyst's search reaches, and every article of a set of stories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from search.queries.stories import STORY_ORDER
from search.queries.workspace import facet_filters, workspace_query

# What a format may read of an article; the text itself stays out (a story's
# exchange object cites its articles, it does not carry them).
EXCHANGE_ARTICLE_FIELDS = (
    "id", "title", "url", "canonical_url", "source", "language", "country", "published_at", "crawled_at",
    "event_time", "duplicate_of", "story_id", "lead", "actors", "actor_names", "attributed_states",
    "victim_countries", "sectors", "malware", "cves", "indicators", "techniques", "tactics", "claim_type",
    "claimant", "claim_evidence", "claims", "relevance", "relevance_band", "relevance_model_version")


def changed_stories(*, since: str | None = None, strictly_after: bool = False, story_ids: Sequence[str] = (),
                    size: int = 100, after: Sequence[Any] | None = None) -> dict[str, Any]:
    """Live stories (not merged into another), by when they last changed, oldest
    first, so a reader can page on with ``after`` (the last hit's sort values)
    and never miss a story that changes while it reads. ``since`` counts
    itself unless ``strictly_after`` (TAXII's ``added_after``)."""
    filters: list[dict[str, Any]] = []
    if since:
        filters.append({"range": {"last_update": {"gt" if strictly_after else "gte": since}}})
    if story_ids:
        filters.append({"ids": {"values": list(story_ids)}})
    body: dict[str, Any] = {
        "size": size,
        "query": {"bool": {"filter": filters, "must_not": [{"exists": {"field": "merged_into"}}]}},
        "sort": [{"last_update": {"order": "asc", "missing": "_first"}}, {"id": "asc"}],
    }
    if after is not None:
        body["search_after"] = list(after)
    return body


def newest_stories(size: int) -> dict[str, Any]:
    """The live stories that changed last, newest first: a feed of every story
    shows these, without reading the rest."""
    return {
        "size": size,
        "query": {"bool": {"must_not": [{"exists": {"field": "merged_into"}}]}},
        "sort": [{"last_update": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
        "_source": ["id"],
    }


def stories_reached(query_string: str, terms: Mapping[str, Sequence[str]], *, since: str | None = None,
                    size: int = 1000) -> dict[str, Any]:
    """The stories an analyst's search reaches (its query string, alias-expanded,
    and facet choices keyed like ``FACET_FIELDS``), newest first: a saved
    search's collection or feed. Counted over originals and copies alike, since
    a copy from another outlet is as much coverage of the story."""
    return {
        "size": 0,
        "query": workspace_query(query_string, since=since, until=None, include_duplicates=True,
                                  filters=facet_filters(terms)),
        "aggs": {"stories": {"terms": {"field": "story_id", "size": size, "order": {"newest": "desc"}},
                             "aggs": {"newest": {"max": {"field": "event_time"}}}}},
    }


def members_of(story_ids: Sequence[str], size: int = 5000, after: Sequence[Any] | None = None) -> dict[str, Any]:
    """The articles of these stories, oldest first, with what the formats read;
    the page after the hit whose sort values are ``after``."""
    body: dict[str, Any] = {
        "size": size,
        "query": {"terms": {"story_id": list(story_ids)}},
        "sort": STORY_ORDER,
        "_source": list(EXCHANGE_ARTICLE_FIELDS),
    }
    if after is not None:
        body["search_after"] = list(after)
    return body
