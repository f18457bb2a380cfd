"""Article text: the fields a text query searches (per language and script),
highlights, the plain article search, one article's neighbours, documents by id."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

ARTICLE_SEARCH_FIELDS = ["title^3", "lead^2", "body", "actors^2", "source"]
# Per-language sub-fields of title, lead and body (search/indexes.py), searched
# when the query is written in their script: English queries score as before.
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_LANGUAGE_FIELDS = {"ru": re.compile("[\u0400-\u04ff]"), "de": re.compile("[äöüßÄÖÜ]")}
_CJK_FIELDS = ["title.cjk^3", "lead.cjk^2", "body.cjk", "actors^2", "source"]


def article_text_fields(query: str) -> list[str]:
    """The fields a text query searches: the English-analysed ones, and the
    sub-fields of each language whose script or letters the query uses. A query in
    CJK script searches the ``cjk`` fields instead of the English ones: those split
    its words into single characters, and any article holding the characters apart
    ("物流" and "提出" for "流出") would match."""
    if _CJK.search(query):
        return list(_CJK_FIELDS)
    fields = list(ARTICLE_SEARCH_FIELDS)
    for suffix, letters in _LANGUAGE_FIELDS.items():
        if letters.search(query):
            fields += [f"title.{suffix}^3", f"lead.{suffix}^2", f"body.{suffix}"]
    return fields
def article_text_query(query_string: str) -> dict[str, Any]:
    """The query string over the article text fields (article_text_fields), every term required."""
    return {"query_string": {"query": query_string, "fields": article_text_fields(query_string),
                             "default_operator": "AND"}}


def article_text_must(query_string: str) -> list[dict[str, Any]]:
    """``must`` clauses of a text search: the query string, or every article for an empty one."""
    return [article_text_query(query_string)] if query_string.strip() else [{"match_all": {}}]


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
    must = article_text_must(query)
    filters: list[dict[str, Any]] = []
    if sources:
        filters.append({"terms": {"source": list(sources)}})
    must_not = [] if include_duplicates else [{"exists": {"field": "duplicate_of"}}]
    return {
        "from": max(page - 1, 0) * size,
        "size": size,
        "track_total_hits": True,
        "query": {"bool": {"must": must, "filter": filters, "must_not": must_not}},
        "highlight": MARKED_HIGHLIGHT,
        "sort": ["_score", {"published_at": {"order": "desc", "missing": "_last"}}],
        "_source": {"excludes": ["body"]},
        "aggs": {"sources": {"terms": {"field": "source", "size": 20}}},
    }


# Highlights come back raw and are escaped where they become HTML (web/workspace.py);
# control characters as tags cannot be confused with markup an article itself contains.
MARK_START, MARK_END = "\u0002", "\u0003"
MARKED_HIGHLIGHT: dict[str, Any] = {**HIGHLIGHT, "pre_tags": [MARK_START], "post_tags": [MARK_END]}
HIT_EXCLUDES = ["body", "cluster_terms", "cluster_weights", "cluster_features", "cluster_names", "cluster_years"]


def documents_by_id(ids: Sequence[str], with_source: bool = True) -> dict[str, Any]:
    """The documents with these ids, wherever behind an alias they are stored
    (each hit names its index); without their source, only where they are."""
    body: dict[str, Any] = {"size": len(ids), "query": {"ids": {"values": list(ids)}}}
    if not with_source:
        body["_source"] = False
    return body


def similar_articles(article_id: str, size: int = 10, index: str | None = None) -> dict[str, Any]:
    """Originals whose title and body read like the article's (more_like_this), best
    first. ``index`` is the concrete index holding the article: behind an alias over
    monthly indices the engine cannot look an id up by itself."""
    like: dict[str, str] = {"_id": article_id} if index is None else {"_index": index, "_id": article_id}
    return {
        "size": size,
        "query": {"bool": {
            "must": [{"more_like_this": {"fields": ["title", "body"], "like": [like],
                                         "min_term_freq": 1, "min_doc_freq": 1, "max_query_terms": 40,
                                         "minimum_should_match": "25%"}}],
            # Its own copies say nothing new; the article itself is left out by more_like_this.
            "must_not": [{"exists": {"field": "duplicate_of"}}],
        }},
        "_source": {"excludes": HIT_EXCLUDES},
    }
