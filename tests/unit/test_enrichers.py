"""The enricher registry (workers/enrichers/): a new enrichment field is its
extractor module plus one row of coverwatch/fields.py. A throwaway field, on
copies of the registry and the table, goes from enrich through the Article,
its stored document, the mapping, the facets and both export lists; nothing
global changes, and keys no row declares are still ignored."""

from __future__ import annotations

import re
from typing import Any

import pytest

from coverwatch.fields import (
    ARTICLE_FIELDS,
    COUNTED,
    ArticleField,
    FacetSpec,
    RuleFilterSpec,
    archive_fields,
    check_table,
    enriched_fields,
    export_columns,
    new_term_fields,
    properties,
)
from coverwatch.models import FIELDS_CONTEXT, Article
from coverwatch.taxonomy import default_taxonomy
from search.queries import facet_fields
from search.vocabulary import facet_titles
from workers.enrichers import ENRICHERS, Enricher, EnrichmentContext, check_enrichers, enricher
from workers.enrichment import enrich
from workers.entities import cve_ids, default_matcher, malware_names, sectors
from workers.indicators import extract_indicators
from workers.stages import parse_articles
from workers.techniques import find_techniques, tactics_of

TEXT = ("Fancy Bear used spearphishing attachments (T1566.001) and PowerShell (T1059.001) against "
        "Danish defence contractors, exploiting CVE-2023-23397 to drop X-Agent.")

# The one row a new field needs: a MITRE ATT&CK technique field, faceted, filtered, exported, enriched.
TTPS = ArticleField("ttps", COUNTED, facet=FacetSpec("ttp", "Technique", 90),
                    rule_filter=RuleFilterSpec("ttps", 90), export=900, archive=900, new_term=True,
                    enriched=True)


def techniques(context: EnrichmentContext) -> list[str]:
    """The throwaway extractor: technique ids, in order of first mention."""
    return list(dict.fromkeys(re.findall(r"\bT\d{4}(?:\.\d{3})?\b", context.text)))


def article(**fields: Any) -> Article:
    return Article(url="https://example.org/fancy-bear", title="Fancy Bear phishes Danish contractors",
                   body=TEXT, source="wire", **fields)


@pytest.fixture
def registry() -> dict[str, Enricher]:
    copy = dict(ENRICHERS)
    enricher("ttps", copy)(techniques)
    return copy


def test_a_new_enriched_field_is_one_enricher_and_one_row(registry: dict[str, Enricher]) -> None:
    registered_before, table_before = dict(ENRICHERS), ARTICLE_FIELDS
    table = check_table([*ARTICLE_FIELDS, TTPS])
    check_enrichers(table, registry)

    enriched = enrich(article(), default_taxonomy(), default_matcher(), table, registry)
    assert enriched.model_extra == {"ttps": ["T1566.001", "T1059.001"]}
    document = enriched.to_document()
    assert document["ttps"] == ["T1566.001", "T1059.001"]
    # Every other field as without it.
    plain = enrich(article(), default_taxonomy(), default_matcher()).to_document()
    assert {k: v for k, v in document.items() if k not in {"ttps", "crawled_at", "event_time"}} == \
        {k: v for k, v in plain.items() if k not in {"crawled_at", "event_time"}}

    # Mapping, facets, rule filter, new_term and both export lists, all from the row.
    assert properties(table)["ttps"] == COUNTED
    assert set(document) <= set(properties(table))
    assert facet_fields(table)["ttp"] == "ttps" and facet_titles(table)["ttp"] == "Technique"
    assert new_term_fields(table)["ttps"] == "ttps"
    assert export_columns(table)[-1] == "ttps" and archive_fields(table)[-1] == "ttps"
    exported = {name: document.get(name) for name in export_columns(table)}
    assert exported["ttps"] == ["T1566.001", "T1059.001"]

    # Read back from the engine (or a batch between stages) under that table, it stays.
    stored = Article.model_validate(document, context={FIELDS_CONTEXT: table})
    assert stored.model_extra == {"ttps": ["T1566.001", "T1059.001"]}
    assert stored.to_document()["ttps"] == ["T1566.001", "T1059.001"]

    # Nothing global changed: the real table does not declare it, so it is ignored there.
    assert registered_before == ENRICHERS and ARTICLE_FIELDS is table_before and "ttps" not in enriched_fields()
    assert Article.model_validate(document).model_extra == {}
    assert "ttps" not in enrich(article(), default_taxonomy(), default_matcher()).to_document()


def test_unknown_keys_are_ignored_and_misspelt_attributes_refused_as_before() -> None:
    record = {"url": "https://example.org/a", "title": "T", "body": "B", "source": "wire",
              "id": "x", "event_time": "2024-01-01T00:00:00+00:00", "cluster_features": [], "ttps": ["T1566"],
              "bogus": 1}
    assert Article.model_validate(record).model_extra == {}
    articles, rejected = parse_articles([record])  # a crawler item
    assert not rejected and articles[0].model_extra == {}
    assert set(articles[0].to_document()) == {row.name for row in ARTICLE_FIELDS}
    with pytest.raises(ValueError, match='"Article" object has no field "sector"'):
        articles[0].sector = ["defence"]
    with pytest.raises(ValueError, match='no field "ttps"'):
        articles[0].set_fields({"ttps": ["T1566"]})
    with pytest.raises(ValueError, match="Field required"):
        Article.model_validate({"url": "https://example.org/a", "title": "T", "body": "B"})


def test_rows_and_enrichers_must_match(registry: dict[str, Enricher]) -> None:
    check_enrichers()  # the real table and registry
    assert set(enriched_fields()) == set(ENRICHERS) == {"sectors", "malware", "cves", "claims", "indicators",
                                                        "techniques", "tactics"}
    table = check_table([*ARTICLE_FIELDS, TTPS])
    with pytest.raises(LookupError, match="marked enriched with no enricher in workers/enrichers/: ttps"):
        check_enrichers(table, ENRICHERS)
    with pytest.raises(LookupError, match=r"enrichers with no enriched row in coverwatch/fields\.py: ttps"):
        check_enrichers(ARTICLE_FIELDS, registry)
    with pytest.raises(LookupError, match="'ttps' is marked enriched but no enricher"):
        enrich(article(), default_taxonomy(), default_matcher(), table, ENRICHERS)
    with pytest.raises(TypeError, match="two enrichers for article field 'ttps'"):
        enricher("ttps", registry)(techniques)


def test_the_registered_extractors_give_what_the_extractors_give() -> None:
    enriched = enrich(article(), default_taxonomy(), default_matcher())
    text = f"{enriched.title}\n{enriched.lead}\n{enriched.body}"
    aliases = frozenset(alias.casefold() for actor_id in enriched.actors
                        for alias in default_taxonomy().by_id[actor_id].names)
    assert enriched.sectors == sectors(text) and enriched.sectors
    assert enriched.malware == malware_names(text, aliases) and enriched.malware
    assert enriched.cves == cve_ids(text) == ["CVE-2023-23397"]
    assert enriched.indicators == [indicator.to_dict() for indicator in extract_indicators(text)]
    assert enriched.techniques == find_techniques(text) == ["T1566.001", "T1059.001"]
    assert enriched.tactics == tactics_of(enriched.techniques) == ["initial-access", "execution"]
    assert enriched.model_extra == {}  # enriched rows the model names are its typed attributes
