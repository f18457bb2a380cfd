"""The article-field table (coverwatch/fields.py): it matches the Article model,
everything derived from it says what it said before the table, and one new row
reaches the mapping, facets, rule filters, new_term, exports and vocabulary."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest

from alerts.rule_model import AlertRule, RuleFilters, rule_filters_model
from alerts.rule_types import parse_rule
from alerts.rule_types.new_term import TERM_FIELDS
from coverwatch.fields import (
    ARTICLE_FIELDS,
    COUNTED,
    ArticleField,
    FacetSpec,
    RuleFilterSpec,
    archive_fields,
    check_table,
    export_columns,
    new_term_fields,
    properties,
)
from coverwatch.models import Article
from search.export import EXPORT_FIELDS
from search.indexes import ARTICLE_PROPERTIES, RULE_PROPERTIES
from search.queries import (
    FACET_FIELDS,
    PERCOLATED_FIELDS,
    RULE_FILTER_FIELDS,
    facet_fields,
    rule_filter_fields,
    rule_minimum_fields,
    workspace_counts,
)
from search.vocabulary import FACET_TITLES, facet_titles, facet_vocabularies, normalise_terms
from web.api_v1 import search_request
from web.saved_api import SavedSearchIn
from web.saved_searches import NOT_CARRIED, RULE_FILTER_OF_FACET, SAVED_FACETS, not_carried, rule_filter_of_facet
from workers.archive import EXPORT_FIELDS as ARCHIVE_FIELDS


def test_every_row_names_a_field_of_the_article_document_and_every_stored_field_has_a_row() -> None:
    document = Article(url="https://example.org/a", title="T", body="B", source="wire").to_document()
    rows = {row.name for row in ARTICLE_FIELDS}
    assert rows == set(document), "a field stored with no mapping, or a row naming no article field"
    # What is not an Article field is one to_document adds (id, event_time, cluster_features).
    assert rows - set(Article.model_fields) == {"id", "event_time", "cluster_features"}
    assert properties() == ARTICLE_PROPERTIES and list(ARTICLE_PROPERTIES) == [row.name for row in ARTICLE_FIELDS]
    assert RULE_PROPERTIES.items() >= ARTICLE_PROPERTIES.items()


def test_the_derived_lists_say_what_they_said_before_the_table() -> None:
    assert list(FACET_FIELDS.items()) == [
        ("source", "source"), ("country", "country"), ("language", "language"), ("actor", "actors"),
        ("state", "attributed_states"), ("victim", "victim_countries"), ("sector", "sectors"),
        ("claim", "claim_type"), ("band", "relevance_band"), ("indicator_type", "indicators.type"),
        ("technique", "techniques"), ("tactic", "tactics")]
    assert FACET_TITLES == {
        "source": "Outlet", "country": "Outlet country", "language": "Language", "actor": "Actor",
        "state": "Attributed state", "victim": "Victim country", "sector": "Sector", "claim": "Claim",
        "band": "Relevance", "indicator_type": "Indicator type", "technique": "ATT&CK technique",
        "tactic": "ATT&CK tactic"}
    assert list(RULE_FILTER_FIELDS.items()) == [
        ("actors", "actors"), ("attributed_states", "attributed_states"), ("victim_countries", "victim_countries"),
        ("sectors", "sectors"), ("sources", "source"), ("languages", "language"), ("claim_types", "claim_type"),
        ("techniques", "techniques")]
    assert list(RuleFilters.model_fields) == [*RULE_FILTER_FIELDS, "min_relevance"]
    assert rule_minimum_fields() == {"min_relevance": "relevance"}
    assert {"id", "title", "lead", "body", "relevance", *RULE_FILTER_FIELDS.values()} == PERCOLATED_FIELDS
    assert TERM_FIELDS == {"actors": "actors", "victim_countries": "victim_countries", "malware": "malware",
                           "attributed_states": "attributed_states", "sectors": "sectors", "sources": "source",
                           "cves": "cves", "techniques": "techniques"}
    assert EXPORT_FIELDS == (
        "id", "published_at", "source", "country", "language", "title", "url", "canonical_url", "story_id",
        "duplicate_of", "actors", "attributed_states", "victim_countries", "sectors", "claim_type", "claimant",
        "relevance", "relevance_band", "relevance_model_version", "relevance_evidence", "relevance_mark", "lead",
        "indicators", "techniques")
    assert ARCHIVE_FIELDS == (
        "id", "url", "canonical_url", "title", "source", "language", "published_at", "story_id", "duplicate_of",
        "relevance", "relevance_band", "relevance_model_version", "relevance_evidence", "relevance_mark",
        "on_topic", "actors", "actor_names", "attributed_states", "victim_countries", "sectors", "malware", "cves",
        "claim_type", "claimant", "claim_evidence", "claims", "indicators", "techniques", "tactics")
    assert RULE_FILTER_OF_FACET == {"source": "sources", "language": "languages", "actor": "actors",
                                    "state": "attributed_states", "victim": "victim_countries",
                                    "sector": "sectors", "claim": "claim_types", "technique": "techniques"}
    assert NOT_CARRIED["country"] == "outlet country (rules cannot filter on it)"
    assert NOT_CARRIED["band"].startswith("relevance band (rules alert on on-topic articles;")
    assert tuple(FACET_FIELDS) == SAVED_FACETS


def test_every_facet_is_a_parameter_of_the_search_and_a_key_of_a_saved_search() -> None:
    parameters = list(inspect.signature(search_request).parameters)
    assert parameters == ["q", *FACET_FIELDS, "since", "until", "sort", "page", "size", "duplicates"]
    keys = SavedSearchIn.model_json_schema()["properties"]["terms"]["propertyNames"]["enum"]
    assert keys == list(FACET_FIELDS)


def test_a_table_claiming_one_facet_or_column_twice_is_refused() -> None:
    source = next(row for row in ARTICLE_FIELDS if row.name == "source")
    with pytest.raises(ValueError, match="facet given twice: source"):
        check_table([*ARTICLE_FIELDS, replace(source, name="outlet", export=None, archive=None, rule_filter=None,
                                              new_term=False)])
    with pytest.raises(ValueError, match="export column given twice: 10"):
        check_table([*ARTICLE_FIELDS, ArticleField("ttps", COUNTED, export=10)])


# One row: a technique field (MITRE ATT&CK ids), a facet, a rule filter, exported, watched by new_term.
TTPS = ArticleField("ttps", COUNTED, facet=FacetSpec("ttp", "Technique", 90),
                    rule_filter=RuleFilterSpec("ttps", 90, lower=True), export=900, archive=900, new_term=True)
# And one whose values are countries: the vocabulary hook comes with the row.
ORIGINS = ArticleField("origin_countries", COUNTED, vocabulary="country",
                       facet=FacetSpec("origin", "Origin country", 91), rule_filter=RuleFilterSpec("origins", 91))


def test_one_new_row_reaches_every_derived_list() -> None:
    table = check_table([*ARTICLE_FIELDS, TTPS, ORIGINS])

    assert properties(table)["ttps"] == COUNTED  # the index mapping
    assert list(facet_fields(table).items())[-2:] == [("ttp", "ttps"), ("origin", "origin_countries")]
    assert list(facet_titles(table).items())[-2:] == [("ttp", "Technique"), ("origin", "Origin country")]
    assert facet_vocabularies(table)["origin"] == "country"
    assert rule_filter_fields(table)["ttps"] == "ttps"
    assert rule_filter_of_facet(table)["ttp"] == "ttps"
    assert "ttp" not in not_carried(table)
    assert new_term_fields(table)["ttps"] == "ttps"
    assert export_columns(table)[-1] == "ttps" and archive_fields(table)[-1] == "ttps"

    filters = rule_filters_model(table)(ttps="T1566.001", origins=["Russia"], actors=["Fancy Bear"])
    assert filters.terms()["ttps"] == ["t1566.001"]
    assert filters.terms()["origins"] == ["RU"]  # the country hook resolves names
    assert filters.terms()["actors"] == ["G0007"]
    with pytest.raises(ValueError, match="unknown country 'Atlantis'"):
        rule_filters_model(table)(origins=["Atlantis"])
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        rule_filters_model(table)(ttp=["T1566"])


def test_the_real_table_drives_rules_facets_and_vocabulary() -> None:
    # The derived module-level names are the builders applied to ARTICLE_FIELDS.
    assert facet_fields() == FACET_FIELDS and facet_titles() == FACET_TITLES and new_term_fields() == TERM_FIELDS
    assert rule_filter_fields() == RULE_FILTER_FIELDS and export_columns() == EXPORT_FIELDS
    rule = parse_rule({"name": "r", "filters": {"sectors": "Defence", "min_relevance": 0.4},
                       "subscribers": ["desk@example.org"]})
    assert isinstance(rule, AlertRule)
    assert rule.matching_query() == {"bool": {"must": [], "filter": [
        {"terms": {"sectors": ["defence"]}}, {"range": {"relevance": {"gte": 0.4}}}]}}
    assert normalise_terms({"victim": ["Denmark"], "actor": ["fancy bear"]}) == {"victim": ("DK",), "actor": ("G0007",)}
    counts = workspace_counts("", {})
    assert counts[1]["aggs"]["facet_actor"] == {"terms": {"field": "actors", "size": 12}}
