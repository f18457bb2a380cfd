"""Articles one by one: deep pages through a search with ``search_after``
cursors, one article, its look-alikes (more_like_this), and every matching
article in turn for export."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from coverwatch.settings import Settings
from coverwatch.taxonomy import Taxonomy, default_taxonomy
from search.article_indices import stored_in
from search.documents import get_document
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.queries import CURSOR_SORTS, HIT_EXCLUDES, article_listing, similar_articles
from search.query_syntax import QuerySyntaxError, check_syntax, expand_actor_aliases
from search.service import InvalidQuery, SearchHit, search_hit
from search.vocabulary import normalise_terms
from web.workspace import SearchRequest, search_engine_query

CLUSTERING_FIELDS = frozenset(HIT_EXCLUDES) - {"body"}  # how stories are made, not what analysts read


class InvalidCursor(ValueError):
    """A cursor this API did not hand out, or one made for another order."""


class ArticleNotFound(LookupError):
    """No article with that id."""


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    """An opaque cursor: the order it belongs to and the last article's sort values."""
    raw = json.dumps([sort, list(values)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> list[Any]:
    """The sort values a cursor continues after; :class:`InvalidCursor` when it
    is malformed, belongs to another order or holds values no order produces."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as failure:
        raise InvalidCursor("the cursor is not one this API handed out") from failure
    if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], list)):
        raise InvalidCursor("the cursor is not one this API handed out")
    made_for, values = decoded
    if made_for != sort:
        raise InvalidCursor(f"the cursor belongs to sort={made_for!r}; ask again with that order")
    if len(values) != len(CURSOR_SORTS[sort]) or not all(
            isinstance(value, str | int | float) and not isinstance(value, bool) for value in values):
        raise InvalidCursor("the cursor is not one this API handed out")
    checked: list[Any] = values
    return checked


@dataclass
class ArticlePage:
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    next_cursor: str | None = None  # None: this was the last page
    searched: str = ""
    alias_notes: list[str] = field(default_factory=list)


def _listing_body(request: SearchRequest, size: int, after: Sequence[Any] | None, highlight: bool,
                  taxonomy: Taxonomy) -> tuple[dict[str, Any], list[str], str]:
    try:
        check_syntax(request.query)
        expanded = expand_actor_aliases(request.query, taxonomy)
    except QuerySyntaxError as failure:
        raise InvalidQuery(f"cannot parse the query {request.query!r}: {failure}") from failure
    sort = request.sort if request.sort in CURSOR_SORTS else "relevance"
    body = article_listing(expanded.query_string, normalise_terms(request.terms, taxonomy), since=request.since,
                           until=request.until, sort=sort, size=size, after=after,
                           include_duplicates=request.include_duplicates, highlight=highlight)
    return body, [expansion.note for expansion in expanded.expansions], expanded.query_string


def article_page(engine: SearchEngine, settings: Settings, request: SearchRequest, cursor: str | None = None,
                 taxonomy: Taxonomy | None = None) -> ArticlePage:
    """One page of matching articles after ``cursor`` (the first page without one)."""
    after = decode_cursor(cursor, request.sort) if cursor else None
    body, notes, searched = _listing_body(request, request.size, after, True, taxonomy or default_taxonomy())
    answer = search_engine_query(engine, settings.index_name(ARTICLES), body, request.query)
    hits = answer["hits"]["hits"]
    last = hits[-1].get("sort") if len(hits) == request.size else None
    return ArticlePage(total=int(answer["hits"]["total"]["value"]), hits=[search_hit(hit) for hit in hits],
                       next_cursor=encode_cursor(request.sort, last) if last else None, searched=searched,
                       alias_notes=notes)


def matching_articles(engine: SearchEngine, settings: Settings, request: SearchRequest, limit: int,
                      batch: int = 500, taxonomy: Taxonomy | None = None) -> Iterator[dict[str, Any]]:
    """Every matching article's stored fields, in the request's order, up to
    ``limit``, fetched ``batch`` at a time. The first batch is fetched when
    this is called, so a bad query fails here and not halfway through a stream."""
    taxonomy = taxonomy or default_taxonomy()
    body, _, _ = _listing_body(request, min(batch, limit), None, False, taxonomy)
    first = search_engine_query(engine, settings.index_name(ARTICLES), body, request.query)["hits"]["hits"]

    def stream() -> Iterator[dict[str, Any]]:
        hits, sent = first, 0
        while hits:
            for hit in hits[:limit - sent]:
                yield {"id": hit["_id"], **hit["_source"]}
            sent += min(len(hits), limit - sent)
            if sent >= limit or len(hits) < body["size"]:
                return
            body["search_after"] = hits[-1]["sort"]
            hits = search_engine_query(engine, settings.index_name(ARTICLES), body, request.query)["hits"]["hits"]

    return stream()


def get_article(engine: SearchEngine, settings: Settings, article_id: str) -> dict[str, Any]:
    """One stored article without the clustering internals."""
    article = get_document(engine, settings.index_name(ARTICLES), article_id)
    if article is None:
        raise ArticleNotFound(article_id)
    return {name: value for name, value in article.items() if name not in CLUSTERING_FIELDS}


def similar_to(engine: SearchEngine, settings: Settings, article_id: str, size: int = 10) -> list[SearchHit]:
    """Originals that read like the article, best first; :class:`ArticleNotFound` for an unknown id."""
    get_article(engine, settings, article_id)
    alias = settings.index_name(ARTICLES)
    holder = stored_in(engine, alias, [article_id]).get(article_id)
    # Each monthly index scores with its own term statistics, and a small month's
    # would outrank the look-alikes in a big one: score with the statistics of all.
    answer = engine.request("POST", f"/{alias}/_search", similar_articles(article_id, size, holder),
                            params={"search_type": "dfs_query_then_fetch"})
    return [search_hit(hit) for hit in answer["hits"]["hits"]]
