"""The article-field table: one row per field of an article document.

A row says how the field is indexed (its mapping) and where else it shows:
as a facet of the analyst search, as a filter of alert rules, as a column of
the exports, as a field ``new_term`` rules watch. Everything else is derived
from this table, each in the module that uses it:

=====================================  ==================================================
the index mapping                      search/indexes.py ``ARTICLE_PROPERTIES``
the workspace facets and their order   search/queries/workspace.py ``FACET_FIELDS``, web/api_v1.py parameters
facet titles, aliases and names        search/vocabulary.py (``vocabulary`` hooks)
rule filters: schema and matching      alerts/rule_model.py ``RuleFilters``, search/queries/rules.py
``new_term`` fields                    alerts/rule_types/new_term.py ``TERM_FIELDS``
the CSV / JSONL export columns         search/export.py ``EXPORT_FIELDS``
``coverwatch export`` fields           workers/archive.py ``EXPORT_FIELDS``
saved searches                         web/saved_searches.py, web/saved_api.py
what the enrich stage fills            workers/enrichment.py, by the ``enriched`` rows' enrichers
=====================================  ==================================================

The ``Article`` model (coverwatch/models.py) is the source of the Python type of
each field it names; a unit test holds the table and ``Article.to_document`` to
the same field names. An ``enriched`` row the model does not name is an Article
extra the table allows: a new enrichment field is its extractor module in
workers/enrichers/ and its row here (tests/unit/test_enrichers.py). This module
is core: it imports nothing but the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

# How an analyst's words become the values a field holds and back (search/vocabulary.py,
# alerts/rule_model.py): actor aliases to actor ids, country names to ISO codes, band labels,
# ATT&CK technique names to ids and tactic titles to their short names.
Vocabulary = Literal["actor", "country", "band", "technique", "tactic"]

KEYWORD: dict[str, Any] = {"type": "keyword"}
# Fields every workspace search counts (facets, stories): their global ordinals
# are built when a refresh makes new articles visible, not by the first search
# after it (at 500,000 articles that search took 60-740 ms instead of 30-50;
# a refresh takes some 40 ms instead of 7).
COUNTED: dict[str, Any] = {"type": "keyword", "eager_global_ordinals": True}
DATE: dict[str, Any] = {"type": "date"}
TEXT: dict[str, Any] = {"type": "text", "analyzer": "english",
                        "fields": {"exact": {"type": "text", "analyzer": "standard"}}}
# Title, lead and body also in the analysers of the languages we read beyond
# English (analysis-common: the kuromoji, nori and smartcn plugins are not on Maven
# Central for OpenSearch 2.19). ``cjk`` indexes overlapping character pairs, so a
# Japanese, Chinese or Korean word is found without a dictionary to segment it.
ARTICLE_TEXT: dict[str, Any] = {"type": "text", "analyzer": "english", "fields": {
    "exact": {"type": "text", "analyzer": "standard"}, "cjk": {"type": "text", "analyzer": "cjk"},
    "de": {"type": "text", "analyzer": "german"}, "ru": {"type": "text", "analyzer": "russian"}}}
FLOAT: dict[str, Any] = {"type": "float"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STORED_KEYWORD: dict[str, Any] = {"type": "keyword", "index": False}
STORED_TEXT: dict[str, Any] = {"type": "text", "index": False}
# An article's attribution claims (workers/attribution/): one object per claim, its
# parts keywords, matched claim by claim (nested); the evidence sentence only stored.
CLAIMS: dict[str, Any] = {"type": "nested", "properties": {
    **{part: {"type": "keyword"} for part in ("claimant", "claimant_kind", "claimant_country", "stance", "subject",
                                              "subject_state", "victim")},
    "evidence": {"type": "text", "index": False}}}
# An article's indicators (workers/indicators/): {"type": "domain", "value": "evil.com"},
# refanged. An object, not nested: the facet counts types, a search finds a value.
INDICATORS: dict[str, Any] = {"properties": {"type": {"type": "keyword"}, "value": {"type": "keyword"}}}
# Read from doc values (story candidate searches then need no _source), never searched.
DOC_VALUES: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": True}


@dataclass(frozen=True)
class FacetSpec:
    """A facet of the analyst search (page, API, saved searches)."""

    name: str  # the parameter: ?actor=APT28
    title: str  # the heading on the page
    order: int  # place among the facets, first to last
    size: int = 12  # values counted
    saved: bool = True  # a saved search keeps it
    path: str = ""  # the field it counts when not the row's own: a part of an object field
    # Why an alert rule made from a saved search cannot carry it (facets without a
    # rule filter); "<title> (rules cannot filter on it)" when not given.
    not_in_rules: str = ""


@dataclass(frozen=True)
class RuleFilterSpec:
    """A filter of alert rules (``filters:`` in a rule file)."""

    name: str  # the key under ``filters:``
    order: int  # place among the filters (``rules show``, the schema)
    lower: bool = False  # values compared in lower case
    choices: tuple[str, ...] = ()  # the only values a rule may name
    # A number rather than terms: articles at or above the rule's value, which must lie within these bounds.
    at_least: tuple[float, float] | None = None


@dataclass(frozen=True)
class ArticleField:
    """One field of an article document and every place it shows."""

    name: str  # as in Article and in the index
    mapping: dict[str, Any]
    facet: FacetSpec | None = None
    rule_filter: RuleFilterSpec | None = None
    vocabulary: Vocabulary | None = None
    export: int | None = None  # column of the CSV / JSONL export (search/export.py), by position
    archive: int | None = None  # field of `coverwatch export` (workers/archive.py), by position
    new_term: bool = False  # a `new_term` rule may watch it
    # Filled by the enrich stage with the extractor registered under this name in
    # workers/enrichers/. A field the Article model does not name is kept as a
    # declared extra (coverwatch/models.py), so a new enriched field is its
    # extractor module and this row.
    enriched: bool = False

    @property
    def rule_name(self) -> str:
        """What a rule calls the field: its filter's name, or its own."""
        return self.rule_filter.name if self.rule_filter else self.name


ARTICLE_FIELDS: tuple[ArticleField, ...] = (
    ArticleField("id", KEYWORD, export=10, archive=10),  # Article.id: from the canonical URL
    ArticleField("url", KEYWORD, export=70, archive=20),
    ArticleField("canonical_url", KEYWORD, export=80, archive=30),
    ArticleField("title", ARTICLE_TEXT, export=60, archive=40),
    ArticleField("lead", ARTICLE_TEXT, export=220),
    ArticleField("body", ARTICLE_TEXT),
    ArticleField("source", COUNTED, export=30, archive=50, new_term=True,
                 facet=FacetSpec("source", "Outlet", 1), rule_filter=RuleFilterSpec("sources", 5)),
    ArticleField("language", COUNTED, export=50, archive=60,
                 facet=FacetSpec("language", "Language", 3), rule_filter=RuleFilterSpec("languages", 6, lower=True)),
    ArticleField("country", COUNTED, export=40, vocabulary="country",  # where the outlet is
                 facet=FacetSpec("country", "Outlet country", 2)),
    ArticleField("published_at", DATE, export=20, archive=70),
    ArticleField("modified_at", DATE),
    ArticleField("crawled_at", DATE),
    ArticleField("event_time", DATE),  # Article.to_document: published_at, else crawled_at
    ArticleField("authors", KEYWORD),
    ArticleField("tags", KEYWORD),
    ArticleField("image", STORED_KEYWORD),
    ArticleField("body_hash", KEYWORD),
    ArticleField("duplicate_of", KEYWORD, export=100, archive=90),
    ArticleField("actors", COUNTED, export=110, archive=160, vocabulary="actor", new_term=True,
                 facet=FacetSpec("actor", "Actor", 4), rule_filter=RuleFilterSpec("actors", 1)),
    ArticleField("actor_names", TEXT, archive=170),
    ArticleField("attributed_states", COUNTED, export=120, archive=180, vocabulary="country", new_term=True,
                 facet=FacetSpec("state", "Attributed state", 5), rule_filter=RuleFilterSpec("attributed_states", 2)),
    ArticleField("victim_countries", COUNTED, export=130, archive=190, vocabulary="country", new_term=True,
                 facet=FacetSpec("victim", "Victim country", 6), rule_filter=RuleFilterSpec("victim_countries", 3)),
    ArticleField("sectors", COUNTED, export=140, archive=200, new_term=True, enriched=True,
                 facet=FacetSpec("sector", "Sector", 7), rule_filter=RuleFilterSpec("sectors", 4, lower=True)),
    ArticleField("malware", KEYWORD, archive=210, new_term=True, enriched=True),
    ArticleField("cves", KEYWORD, archive=220, new_term=True, enriched=True),
    # The claim kinds workers/claims.py assigns.
    ArticleField("claim_type", COUNTED, export=150, archive=230, facet=FacetSpec("claim", "Claim", 8),
                 rule_filter=RuleFilterSpec("claim_types", 7,
                                            choices=("government", "vendor", "suspected", "denied"))),
    ArticleField("claim_evidence", STORED_TEXT, archive=250),
    ArticleField("claimant", KEYWORD, export=160, archive=240),
    # Every claim the article reports (issue 22); claim_type above is their one-word summary.
    ArticleField("claims", CLAIMS, archive=255, enriched=True),
    # Indicators of compromise (issue 23), refanged; pages and emails show them defanged.
    ArticleField("indicators", INDICATORS, export=230, archive=260, enriched=True, facet=FacetSpec(
        "indicator_type", "Indicator type", 10, path="indicators.type",
        not_in_rules="indicator type (rules filter on techniques, actors and the rest)")),
    # MITRE ATT&CK technique ids (T1566.001) and the tactics they serve (initial-access).
    ArticleField("techniques", COUNTED, export=240, archive=270, new_term=True, enriched=True, vocabulary="technique",
                 facet=FacetSpec("technique", "ATT&CK technique", 11), rule_filter=RuleFilterSpec("techniques", 8)),
    ArticleField("tactics", COUNTED, archive=280, enriched=True, vocabulary="tactic",
                 facet=FacetSpec("tactic", "ATT&CK tactic", 12)),
    ArticleField("relevance", FLOAT, export=170, archive=100,
                 rule_filter=RuleFilterSpec("min_relevance", 9, at_least=(0.0, 1.0))),
    ArticleField("relevance_evidence", STORED_KEYWORD, export=200, archive=130),
    ArticleField("relevance_band", COUNTED, export=180, archive=110, vocabulary="band", facet=FacetSpec(
        "band", "Relevance", 9, not_in_rules="relevance band (rules alert on on-topic articles; possibly on-topic "
                                             "ones only reach digests that opted in)")),
    ArticleField("relevance_model_version", KEYWORD, export=190, archive=120),
    ArticleField("on_topic", BOOLEAN, archive=150),
    # An analyst's mark overrides band and on_topic; the model's own verdict is kept
    # beside it, so clearing the mark restores it (search/relevance_marks.py).
    ArticleField("relevance_mark", KEYWORD, export=210, archive=140),
    ArticleField("relevance_marked_by", KEYWORD),
    ArticleField("relevance_marked_at", DATE),
    ArticleField("relevance_model_band", KEYWORD),
    ArticleField("relevance_model_on_topic", BOOLEAN),
    ArticleField("story_id", COUNTED, export=90, archive=80),
    ArticleField("story_lineage", KEYWORD),  # stories the article belonged to before they were merged
    ArticleField("cluster_terms", KEYWORD),
    ArticleField("cluster_weights", {"type": "float", "index": False}),
    ArticleField("cluster_features", DOC_VALUES),  # Article.to_document: "term|weight" pairs
    ArticleField("cluster_names", DOC_VALUES),
    ArticleField("cluster_years", DOC_VALUES),
    # Searched for candidates in other languages, and read from doc values.
    ArticleField("cluster_evidence", KEYWORD),
)


def enriched_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> tuple[str, ...]:
    """The fields the enrich stage fills from the enricher registry, in table order."""
    return tuple(row.name for row in table if row.enriched)


def check_table(table: Iterable[ArticleField]) -> tuple[ArticleField, ...]:
    """The table, once no two rows claim one name, facet, filter or position."""
    rows = tuple(table)
    claims: dict[str, list[object]] = {
        "field": [row.name for row in rows],
        "facet": [row.facet.name for row in rows if row.facet],
        "facet order": [row.facet.order for row in rows if row.facet],
        "rule filter": [row.rule_filter.name for row in rows if row.rule_filter],
        "rule filter order": [row.rule_filter.order for row in rows if row.rule_filter],
        "export column": [row.export for row in rows if row.export is not None],
        "archive field": [row.archive for row in rows if row.archive is not None],
        "new_term field": [row.rule_name for row in rows if row.new_term],
    }
    for what, values in claims.items():
        repeated = sorted({str(value) for value in values if values.count(value) > 1})
        if repeated:
            raise ValueError(f"article fields: {what} given twice: {', '.join(repeated)}")
    return rows


def properties(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, Any]:
    """The index mapping's properties of the article fields."""
    return {row.name: row.mapping for row in table}


def facet_rows(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> list[ArticleField]:
    """The rows that are facets, in facet order."""
    return sorted((row for row in table if row.facet), key=lambda row: row.facet.order if row.facet else 0)


def rule_filter_rows(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> list[ArticleField]:
    """The rows that are rule filters, in filter order."""
    return sorted((row for row in table if row.rule_filter),
                  key=lambda row: row.rule_filter.order if row.rule_filter else 0)


def export_columns(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> tuple[str, ...]:
    return tuple(row.name for row in sorted((row for row in table if row.export is not None),
                                            key=lambda row: row.export or 0))


def archive_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> tuple[str, ...]:
    return tuple(row.name for row in sorted((row for row in table if row.archive is not None),
                                            key=lambda row: row.archive or 0))


def new_term_fields(table: Iterable[ArticleField] = ARTICLE_FIELDS) -> dict[str, str]:
    """Rule field name -> article field, for the fields ``new_term`` rules may watch."""
    return {row.rule_name: row.name for row in table if row.new_term}


check_table(ARTICLE_FIELDS)
