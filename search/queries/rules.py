"""Alert rules: the percolator query of a rule (text and filters), percolating
articles, and what a rule matched over a time range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coverwatch.fields import ARTICLE_FIELDS, ArticleField, rule_filter_rows
from search.queries.articles import _CJK, _LANGUAGE_FIELDS

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


def rule_filter_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Rule filter name -> article field it filters on with exact terms (keyword
    fields): the term filters of coverwatch/fields.py."""
    return {row.rule_filter.name: row.name for row in rule_filter_rows(table)
            if row.rule_filter and row.rule_filter.at_least is None}


def rule_minimum_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Rule filter name -> number field articles must reach (``min_relevance``: relevance)."""
    return {row.rule_filter.name: row.name for row in rule_filter_rows(table)
            if row.rule_filter and row.rule_filter.at_least is not None}


RULE_FILTER_FIELDS = rule_filter_fields()
RULE_MINIMUM_FIELDS = rule_minimum_fields()
# The filter naming the languages a rule is limited to: their analysers match its query string.
_LANGUAGE_FILTER = next((name for name, field in RULE_FILTER_FIELDS.items() if field == "language"), "")


def rule_filter_query(query_string: str, terms: Mapping[str, Sequence[str]],
                      minimums: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """A rule's whole matching condition: its query string (if any) and its
    structured filters, every filter required, values within one filter OR-ed.
    ``terms`` is keyed by the rule field names of ``RULE_FILTER_FIELDS``,
    ``minimums`` by those of ``RULE_MINIMUM_FIELDS``."""
    must = [rule_query(query_string, terms.get(_LANGUAGE_FILTER, ()))] if query_string.strip() else []
    filters: list[dict[str, Any]] = [
        {"terms": {RULE_FILTER_FIELDS[name]: list(values)}} for name, values in sorted(terms.items()) if values]
    filters += [{"range": {RULE_MINIMUM_FIELDS[name]: {"gte": value}}}
                for name, value in sorted((minimums or {}).items()) if value is not None]
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


def percolate_articles_page(documents: Sequence[dict[str, Any]], size: int,
                            after: str | None = None) -> dict[str, Any]:
    """One page of percolate_articles in rule-id order: a batch may match more
    rules than one response holds, and none of them may be dropped."""
    body = percolate_articles(documents, size)
    body["sort"] = [{"rule.id": "asc"}]
    if after is not None:
        body["search_after"] = [after]
    return body


# What a rule can look at (rule_filter_query): the text fields and the filter fields
# (relevance among them). Percolating only these spares the engine the clustering vectors.
PERCOLATED_FIELDS = frozenset({"id", *_RULE_TEXT_FIELDS, *RULE_FILTER_FIELDS.values(), *RULE_MINIMUM_FIELDS.values()})


def percolated_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an article document that rules match on."""
    return {name: value for name, value in document.items() if name in PERCOLATED_FIELDS}
