"""Query bodies as pure functions: no I/O, easy to test, one place to change."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


_RULE_TEXT_FIELDS = ["title", "lead", "body"]


def rule_text_fields(query_string: str, languages: Sequence[str] = ()) -> list[str]:
    """The article fields a rule's query string is matched on: as for search, a
    query in CJK script on the character-pair fields (the English analyser would
    split it into single characters and match almost anything), and the German or
    Russian fields when the query is written in their letters or the rule is
    limited to that language, so "Cyberangriffe" finds "Cyberangriff" there."""
    if _CJK.search(query_string):
        return [f"{name}.cjk" for name in _RULE_TEXT_FIELDS]
    fields = list(_RULE_TEXT_FIELDS)
    for suffix, letters in _LANGUAGE_FIELDS.items():
        if suffix in languages or letters.search(query_string):
            fields += [f"{name}.{suffix}" for name in _RULE_TEXT_FIELDS]
    return fields


def rule_query(query_string: str, languages: Sequence[str] = ()) -> dict[str, Any]:
    """The stored percolator query for an alert rule's query string."""
    return {"query_string": {"query": query_string, "fields": rule_text_fields(query_string, languages),
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
    must = [rule_query(query_string, terms.get("languages", ()))] if query_string.strip() else []
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


def documents_by_id(ids: Sequence[str], with_source: bool = True) -> dict[str, Any]:
    """The documents with these ids, wherever behind an alias they are stored
    (each hit names its index); without their source, only where they are."""
    body: dict[str, Any] = {"size": len(ids), "query": {"ids": {"values": list(ids)}}}
    if not with_source:
        body["_source"] = False
    return body


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


# --- analyst workspace: faceted search, stories list, timelines, actor profiles -------------
# Facet name (as the API and the page say it) -> article field it counts and filters on.
FACET_FIELDS: dict[str, str] = {
    "source": "source",
    "country": "country",  # where the outlet is
    "language": "language",
    "actor": "actors",
    "state": "attributed_states",
    "victim": "victim_countries",
    "sector": "sectors",
    "claim": "claim_type",
    "band": "relevance_band",
}
SEARCH_SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"event_time": {"order": "desc"}}],
    "newest": [{"event_time": {"order": "desc"}}, "_score"],
}
STORY_SORTS: dict[str, list[Any]] = {
    "newest": [{"first_seen": {"order": "desc", "missing": "_last"}}],
    "updated": [{"last_update": {"order": "desc", "missing": "_last"}}],
    # Painless is in both engines; a story document lists each outlet once.
    "outlets": [{"_script": {"type": "number", "order": "desc",
                             "script": {"lang": "painless", "source": "doc['outlets'].size()"}}},
                {"article_count": {"order": "desc"}}, {"first_seen": {"order": "desc", "missing": "_last"}}],
}
# Highlights come back raw and are escaped where they become HTML (web/workspace.py);
# control characters as tags cannot be confused with markup an article itself contains.
MARK_START, MARK_END = "\u0002", "\u0003"
MARKED_HIGHLIGHT: dict[str, Any] = {**HIGHLIGHT, "pre_tags": [MARK_START], "post_tags": [MARK_END]}
HIT_EXCLUDES = ["body", "cluster_terms", "cluster_weights", "cluster_features", "cluster_names", "cluster_years"]
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


def _workspace_query(query_string: str, *, since: str | None, until: str | None, include_duplicates: bool,
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
        "query": _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
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
        "query": _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
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
    facet_size: int = 12,
) -> list[dict[str, Any]]:
    """The counts beside a workspace page as size-0 searches the engine runs
    side by side with the page's ranking. The first matches every choice and
    counts the total, the stories and coverage over time; the second, the same
    matches, counts each facet without a choice; then one search per chosen
    facet counts it without its own choice (so its alternatives stay countable). Filter aggregations would do this in
    one search, but each builds its filter over the whole index for every
    segment, the largest cost of the page at 500,000 articles (bench/search.py)."""
    def scoped(filters: list[dict[str, Any]]) -> dict[str, Any]:
        return _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                filters=filters)

    def facet(name: str) -> dict[str, Any]:
        return {"terms": {"field": FACET_FIELDS[name], "size": facet_size}}

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
        "query": _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
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
        "query": _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms), must_not=[{"exists": {"field": "story_id"}}]),
        "highlight": MARKED_HIGHLIGHT,
        "sort": SEARCH_SORTS[sort],
        "_source": {"excludes": HIT_EXCLUDES},
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


def story_timeline_articles(story_id: str, size: int = 500) -> dict[str, Any]:
    """Every article of a story, oldest first, with what a timeline shows of it."""
    return {
        "size": size,
        "query": {"term": {"story_id": story_id}},
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        "_source": ["id", "title", "url", "canonical_url", "source", "language", "country", "published_at",
                    "crawled_at", "event_time", "duplicate_of", "claim_type", "claimant", "relevance",
                    "relevance_band", "relevance_evidence", "relevance_mark", "relevance_marked_by",
                    "relevance_marked_at"],
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


# --- trend rule types (spike, flatline, new_term) and the delivery log -----------------------
def _alertable_after(query: Mapping[str, Any], start: str, end: str) -> dict[str, Any]:
    # The trend types count in half-open windows (start, end], unlike _alertable_between.
    return {"bool": {
        "filter": [dict(query), {"range": {"event_time": {"gt": start, "lte": end}}}],
        "must_not": [{"exists": {"field": "duplicate_of"}}, {"term": {"on_topic": False}}],
    }}


def rule_window_counts(query: Mapping[str, Any], windows: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """How many alertable articles a rule matches in each named window ``(start, end]``,
    in one request and without fetching any article."""
    starts = [start for start, _ in windows.values()]
    ends = [end for _, end in windows.values()]
    return {
        "size": 0,
        "query": _alertable_after(query, min(starts), max(ends)),
        "aggs": {"windows": {"filters": {"filters": {
            name: {"range": {"event_time": {"gt": start, "lte": end}}} for name, (start, end) in windows.items()}}}},
    }


def rule_match_sightings(query: Mapping[str, Any], since: str, until: str, fields: Sequence[str],
                         size: int = 10000) -> dict[str, Any]:
    """Like rule_match_times, with the article fields a trend type reads (a
    term's values, the outlet's country)."""
    return {
        "size": size,
        "query": _alertable_between(query, since, until),
        "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
        "_source": sorted({"id", "event_time", "story_id", "source", *fields}),
    }


def rule_latest_match(query: Mapping[str, Any], since: str, until: str) -> dict[str, Any]:
    """The newest alertable article a rule matched in ``(since, until]``."""
    return {
        "size": 1,
        "query": _alertable_after(query, since, until),
        "sort": [{"event_time": {"order": "desc"}}, {"id": "desc"}],
        "_source": {"excludes": ["cluster_terms", "cluster_weights", "cluster_features", "cluster_names"]},
    }


def term_first_sightings(query: Mapping[str, Any], field: str, since: str, until: str,
                         size: int = 500) -> dict[str, Any]:
    """Each value of ``field`` among a rule's matches in ``(since, until]``: when
    it was first seen there and by which article."""
    return {
        "size": 0,
        "query": _alertable_after(query, since, until),
        "aggs": {"values": {"terms": {"field": field, "size": size}, "aggs": {
            "first": {"min": {"field": "event_time"}},
            "opener": {"top_hits": {"size": 1, "sort": [{"event_time": {"order": "asc"}}, {"id": "asc"}],
                                    "_source": ["id"]}},
        }}},
    }


def term_last_sightings(query: Mapping[str, Any], field: str, values: Sequence[str], since: str,
                        until: str) -> dict[str, Any]:
    """When each of ``values`` was last seen among a rule's matches in ``(since, until]``."""
    return {
        "size": 0,
        "query": _alertable_after(query, since, until),
        "aggs": {"values": {"terms": {"field": field, "size": max(len(values), 1), "include": list(values)},
                            "aggs": {"last": {"max": {"field": "event_time"}}}}},
    }


# --- index lifecycle (search/lifecycle.py runs these) ----------------------------------------

def older_than(field: str, cutoff: str) -> dict[str, Any]:
    """Documents whose ``field`` is before ``cutoff``; documents without it are kept."""
    return {"query": {"range": {field: {"lt": cutoff}}}}


# --- deep pagination, one article's neighbours ------------------------------------------------
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
        "query": _workspace_query(query_string, since=since, until=until, include_duplicates=include_duplicates,
                                  filters=facet_filters(terms)),
        "sort": CURSOR_SORTS[sort],
        "_source": {"excludes": HIT_EXCLUDES},
    }
    if highlight:
        body["highlight"] = MARKED_HIGHLIGHT
    if after:
        body["search_after"] = list(after)
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


def percolate_articles_page(documents: Sequence[dict[str, Any]], size: int,
                            after: str | None = None) -> dict[str, Any]:
    """One page of percolate_articles in rule-id order: a batch may match more
    rules than one response holds, and none of them may be dropped."""
    body = percolate_articles(documents, size)
    body["sort"] = [{"rule.id": "asc"}]
    if after is not None:
        body["search_after"] = [after]
    return body


# What a rule can look at (rule_filter_query): the text fields, the filter fields
# and relevance. Percolating only these spares the engine the clustering vectors.
PERCOLATED_FIELDS = frozenset({"id", "title", "lead", "body", "relevance", *RULE_FILTER_FIELDS.values()})


def percolated_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an article document that rules match on."""
    return {name: value for name, value in document.items() if name in PERCOLATED_FIELDS}


# --- subscribers and digests (alerts/subscribers.py, subscriptions.py, digests.py run these) ---

def subscribers_by_address(size: int) -> dict[str, Any]:
    return {"query": {"match_all": {}}, "size": size, "sort": [{"address": "asc"}]}


def subscriptions_of_address(address: str) -> dict[str, Any]:
    return {"query": {"term": {"address": address}}}


def subscriptions_where(field: str, values: Sequence[str], size: int) -> dict[str, Any]:
    return {"query": {"terms": {field: list(values)}}, "size": size}


def digest_entries_due(now: str, size: int) -> dict[str, Any]:
    """Pending digest entries whose digest is due by ``now``, oldest first."""
    return {"query": {"bool": {"filter": [{"term": {"status": "pending"}}, {"range": {"due_at": {"lte": now}}}]}},
            "size": size, "sort": [{"due_at": "asc"}]}


def delivered_to(recipients: Sequence[str], group_keys: Sequence[str], statuses: Sequence[str],
                 leave_out_rule: str) -> dict[str, Any]:
    """Which of these stories (or articles) already reached these recipients,
    other than through the rule ``leave_out_rule``: only their group keys."""
    return {"query": {"bool": {"filter": [{"terms": {"subscriber": list(recipients)}},
                                          {"terms": {"group_key": list(group_keys)}},
                                          {"terms": {"status": list(statuses)}}],
                               "must_not": [{"term": {"rule_id": leave_out_rule}}]}},
            "size": len(group_keys), "_source": ["group_key"]}


# --- export (workers/archive.py runs this) ----------------------------------------------------

def articles_crawled_since(since: str | None, fields: Sequence[str], page_size: int = 1000) -> dict[str, Any]:
    """Every article (crawled on or after ``since`` when given) in index order, for a scroll."""
    filters = [{"range": {"crawled_at": {"gte": since}}}] if since else []
    return {"size": page_size, "sort": ["_doc"], "_source": list(fields), "query": {"bool": {"filter": filters}}}
