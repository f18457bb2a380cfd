"""The analyst workspace: faceted search (one hit per story), its counts,
the matching coverage of a page's stories and deep pagination."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, facet_rows
from search.queries.articles import HIT_EXCLUDES, MARKED_HIGHLIGHT, article_text_must, article_text_query


def facet_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Facet name (as the API and the page say it) -> article field it counts and
    filters on, in the order of the page: the facets of coverwatch/fields.py."""
    return {row.facet.name: row.facet.path or row.name for row in facet_rows(table) if row.facet}


FACET_FIELDS: dict[str, str] = facet_fields()
# Values counted per facet.
FACET_SIZES: dict[str, int] = {row.facet.name: row.facet.size for row in facet_rows() if row.facet}
SEARCH_SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"event_time": {"order": "desc"}}],
    "newest": [{"event_time": {"order": "desc"}}, "_score"],
}
COVERAGE_BARS = 40


def facet_filters(terms: Mapping[str, Sequence[str]], leave_out: str | None = None) -> list[dict[str, Any]]:
    """One terms filter per facet with values (values within a facet OR-ed),
    optionally without one facet: its own counts must not shrink to its choice."""
    return [{"terms": {FACET_FIELDS[name]: list(values)}}
            for name, values in sorted(terms.items()) if values and name != leave_out]


def date_range(field: str, since: str | None, until: str | None) -> list[dict[str, Any]]:
    """A range filter on ``field`` (``until`` inclusive of its whole day when a bare date)."""
    bounds: dict[str, str] = {}
    if since:
        bounds["gte"] = since
    if until:
        bounds["lte"] = f"{until}||/d" if len(until) == 10 else until
    return [{"range": {field: bounds}}] if bounds else []


def workspace_query(query_string: str, *, since: str | None, until: str | None, include_duplicates: bool,
                     filters: Sequence[dict[str, Any]] = (),
                     must_not: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """What the workspace matches: the (alias-expanded) query string over the
    article text, a date range, originals only unless asked, and ``filters``."""
    must = article_text_must(query_string)
    excluded = [] if include_duplicates else [{"exists": {"field": "duplicate_of"}}]
    return {"bool": {"must": must, "filter": date_range("event_time", since, until) + list(filters),
                     "must_not": excluded + list(must_not)}}


def workspace_hits(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    size: int = 20,
    include_duplicates: bool = False,
) -> dict[str, Any]:
    """One page of the analyst search, one hit per story (the best-matching
    article), highlighted. ``query_string`` is already alias-expanded; ``terms``
    is keyed by the names in ``FACET_FIELDS``. The counts come from
    :func:`workspace_counts`, and each story's other matching outlets from
    :func:`story_coverage`: inner hits here ran one more query per hit, the
    largest part of the search (bench/search.py)."""
    return {
        "from": max(page - 1, 0) * size,
        "size": size,
        "track_total_hits": False,
        "query": workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms)),
        "collapse": {"field": "story_id"},
        "highlight": MARKED_HIGHLIGHT,
        "sort": SEARCH_SORTS[sort],
        "_source": {"excludes": HIT_EXCLUDES},
    }


def workspace_candidates(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    size: int = 60,
    include_duplicates: bool = False,
) -> dict[str, Any]:
    """The best-matching articles in the page's order, only their ids and
    stories (doc values: no stored field is unpacked), to be grouped by story
    in Python. Without collapse the engine can skip articles that cannot make
    the top ``size`` (a collapse scores every match)."""
    return {
        "size": size,
        "track_total_hits": False,
        "query": workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms)),
        "sort": SEARCH_SORTS[sort],
        "stored_fields": "_none_",
        "docvalue_fields": ["id", "story_id"],
    }


def page_articles(query_string: str, article_ids: Sequence[str]) -> dict[str, Any]:
    """The articles chosen for one page, whole and highlighted for the query.
    The query only highlights (``highlight_query``): matching it again over the
    index would cost as much as ranking the page did."""
    highlight: dict[str, Any] = dict(MARKED_HIGHLIGHT)
    if query_string.strip():
        highlight["highlight_query"] = article_text_query(query_string)
    return {
        "size": len(article_ids),
        "track_total_hits": False,
        "query": {"ids": {"values": list(article_ids)}},
        "highlight": highlight,
        "_source": {"excludes": HIT_EXCLUDES},
    }


def workspace_counts(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    include_duplicates: bool = False,
    facet_size: int | None = None,
) -> list[dict[str, Any]]:
    """The counts beside a workspace page as size-0 searches the engine runs
    side by side with the page's ranking. The first matches every choice and
    counts the total, the stories and coverage over time; the second, the same
    matches, counts each facet without a choice; then one search per chosen
    facet counts it without its own choice (so its alternatives stay countable). Filter aggregations would do this in
    one search, but each builds its filter over the whole index for every
    segment, the largest cost of the page at 500,000 articles (bench/search.py)."""
    def scoped(filters: list[dict[str, Any]]) -> dict[str, Any]:
        return workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                filters=filters)

    def facet(name: str) -> dict[str, Any]:
        return {"terms": {"field": FACET_FIELDS[name], "size": facet_size or FACET_SIZES[name]}}

    chosen = sorted(name for name, values in terms.items() if values)
    coverage = {
        "stories": {"cardinality": {"field": "story_id"}},
        "unclustered": {"missing": {"field": "story_id"}},
        "over_time": {"auto_date_histogram": {"field": "event_time", "buckets": COVERAGE_BARS}},
    }
    # Coverage and the facets without a choice are two searches, so that two cores share the counting.
    counts = [{"size": 0, "track_total_hits": True, "query": scoped(facet_filters(terms)), "aggs": coverage}]
    unchosen = {f"facet_{name}": facet(name) for name in FACET_FIELDS if name not in chosen}
    if unchosen:
        counts.append({"size": 0, "track_total_hits": False, "query": scoped(facet_filters(terms)),
                       "aggs": unchosen})
    counts += [{"size": 0, "track_total_hits": False, "query": scoped(facet_filters(terms, leave_out=name)),
                "aggs": {f"facet_{name}": facet(name)}} for name in chosen]
    return counts


def story_coverage(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    story_ids: Sequence[str],
    *,
    since: str | None = None,
    until: str | None = None,
    include_duplicates: bool = False,
    outlet_size: int = 10,
) -> dict[str, Any]:
    """For the stories on one workspace page: how many of their articles match
    the search and from which outlets (most matching articles first)."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=[*facet_filters(terms), {"terms": {"story_id": sorted(story_ids)}}]),
        "aggs": {"stories": {"terms": {"field": "story_id", "size": max(len(story_ids), 1)},
                             "aggs": {"outlets": {"terms": {"field": "source", "size": outlet_size}}}}},
    }


def unclustered_hits(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    include_duplicates: bool = False,
    size: int = 10,
) -> dict[str, Any]:
    """The matching articles in no story, which the page's collapse folds into
    one hit: each is shown on its own, highlighted, in the page's order."""
    return {
        "size": size,
        "track_total_hits": False,
        "query": workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms), must_not=[{"exists": {"field": "story_id"}}]),
        "highlight": MARKED_HIGHLIGHT,
        "sort": SEARCH_SORTS[sort],
        "_source": {"excludes": HIT_EXCLUDES},
    }


# --- deep pagination --------------------------------------------------------------------------
# Orders for search_after: each ends in the article id (unique), so a page boundary
# never falls between two articles that sort alike.
CURSOR_SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"event_time": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
    "newest": [{"event_time": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}


def article_listing(
    query_string: str,
    terms: Mapping[str, Sequence[str]],
    *,
    since: str | None = None,
    until: str | None = None,
    sort: str = "relevance",
    size: int = 20,
    after: Sequence[Any] | None = None,
    include_duplicates: bool = False,
    highlight: bool = True,
) -> dict[str, Any]:
    """Matching articles one by one (no collapse, no facets), in a stable order,
    continuing after the sort values ``after`` of the last article seen."""
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": True,
        "query": workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms)),
        "sort": CURSOR_SORTS[sort],
        "_source": {"excludes": HIT_EXCLUDES},
    }
    if highlight:
        body["highlight"] = MARKED_HIGHLIGHT
    if after:
        body["search_after"] = list(after)
    return body
