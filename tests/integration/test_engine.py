"""Against the real OpenSearch node started from Maven artifacts."""

from __future__ import annotations

import re

import pytest

from alerts.rules import AlertRule, InvalidRule, delete_rule, register_rule
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.article_indices import stored_in
from search.documents import bulk_index, count, get_document
from search.engine import OpenSearchEngine, SearchEngine, detect_distribution
from search.indexes import (
    ARTICLES,
    RULES,
    concrete_index,
    drop_indices,
    ensure_indices,
    first_index,
    refresh,
)
from search.lifecycle import upgrade_mapping
from search.queries import percolate_articles
from search.service import InvalidQuery, run_search

pytestmark = pytest.mark.integration


def _article(path: str, title: str, body: str, source: str = "northgate-wire") -> Article:
    return Article(url=f"https://news.example.com/{path}", title=title, body=body, source=source)


def test_client_detects_opensearch(engine: SearchEngine, settings: Settings) -> None:
    distribution, version = detect_distribution(settings.search_url)
    assert distribution == "opensearch"
    assert version.startswith("2.19")
    assert isinstance(engine, OpenSearchEngine)


def test_template_applied_behind_the_alias(engine: SearchEngine, settings: Settings) -> None:
    alias = settings.index_name(ARTICLES)
    aliases = engine.request("GET", f"/_alias/{alias}")
    # One index per month written so far (other tests write other months), named by the month.
    assert first_index(settings, ARTICLES).startswith(f"{concrete_index(settings, ARTICLES)}-20")
    assert aliases and all(re.fullmatch(rf"{re.escape(alias)}-v\d+-\d{{4}}\.\d{{2}}", name) for name in aliases)
    mapping = engine.request("GET", f"/{alias}/_mapping")
    properties = next(iter(mapping.values()))["mappings"]["properties"]
    assert properties["canonical_url"]["type"] == "keyword"
    assert properties["body"]["analyzer"] == "english"
    assert properties["published_at"]["type"] == "date"
    rules = next(iter(engine.request("GET", f"/{settings.index_name(RULES)}/_mapping").values()))
    assert rules["mappings"]["properties"]["query"]["type"] == "percolator"


def test_article_indexed_twice_stays_one_document(engine: SearchEngine, settings: Settings) -> None:
    index = settings.index_name(ARTICLES)
    first = _article("twice?utm_source=rss", "Twice indexed", "Body of the story " * 20)
    second = _article("twice#comments", "Twice indexed (updated)", "Body of the story " * 21)
    assert first.id == second.id
    bulk_index(engine, index, [first.to_document()], refresh=True)
    bulk_index(engine, index, [second.to_document()], refresh=True)
    assert count(engine, index, {"term": {"canonical_url": "https://news.example.com/twice"}}) == 1
    stored = get_document(engine, index, first.id)
    assert stored is not None and stored["title"] == "Twice indexed (updated)"


def test_percolator_rule_matches_only_matching_articles(engine: SearchEngine,
                                                        settings: Settings) -> None:
    rule = AlertRule(name="perc-test Volt Typhoon", query_string='"Volt Typhoon" AND water',
                     subscribers=["a@example.org"])
    register_rule(engine, settings, rule)
    matching = _article("vt", "Volt Typhoon in water utilities",
                        "Volt Typhoon kept access to water utilities for months. " * 5)
    other = _article("fb", "Cup final", "Rovers won the cup final with two late goals. " * 5)
    answer = engine.request("POST", f"/{settings.index_name(RULES)}/_search",
                            percolate_articles([other.to_document(), matching.to_document()]))
    hits = {hit["_source"]["rule"]["name"]: hit["fields"]["_percolator_document_slot"]
            for hit in answer["hits"]["hits"]}
    # Rules share the run's prefix with the end-to-end tests, whose inboxes must not
    # receive this rule's mail: it goes, and a second delete finds nothing.
    assert delete_rule(engine, settings, rule.name)
    assert not delete_rule(engine, settings, rule.name)
    assert hits.get(rule.name) == [1]


def test_rule_with_broken_query_is_refused(engine: SearchEngine, settings: Settings) -> None:
    with pytest.raises(InvalidRule, match="does not parse"):
        register_rule(engine, settings, AlertRule(name="broken", query_string='"unclosed AND (',
                                                  subscribers=["a@example.org"]))


def test_search_highlights_escape_the_article_text(engine: SearchEngine, settings: Settings) -> None:
    hostile = _article("hostile-highlight", "Zorvane loader found",
                       'The Zorvane loader <img src=x onerror="alert(1)"> was found on ministry servers. ' * 3)
    bulk_index(engine, settings.index_name(ARTICLES), [hostile.to_document()], refresh=True)
    fragment = run_search(engine, settings, "zorvane").hits[0].highlights[0]
    assert "<mark>Zorvane</mark>" in fragment
    assert "<img" not in fragment and "&lt;img" in fragment


def test_search_highlights_and_hides_duplicates(engine: SearchEngine, settings: Settings) -> None:
    index = settings.index_name(ARTICLES)
    original = _article("sandworm", "Sandworm wiper hits substations",
                        "The Sandworm group deployed the Quokkawipe wiper against substations. " * 4)
    copy = _article("sandworm-copy", original.title, original.body, source="civic-tribune")
    copy.duplicate_of = original.id
    bulk_index(engine, index, [original.to_document(), copy.to_document()], refresh=True)
    page = run_search(engine, settings, "quokkawipe wiper")
    assert [hit.id for hit in page.hits] == [original.id]
    assert "<mark>" in page.hits[0].highlights[0]
    with_copies = run_search(engine, settings, "quokkawipe wiper", include_duplicates=True)
    assert {hit.id for hit in with_copies.hits} == {original.id, copy.id}
    with pytest.raises(InvalidQuery):
        run_search(engine, settings, 'title:(unclosed "quote')


def test_reindex_swaps_the_alias_without_losing_documents(engine: SearchEngine,
                                                         settings: Settings) -> None:
    index = settings.index_name(ARTICLES)
    refresh(engine, settings, ARTICLES)
    before = count(engine, index)
    assert before > 0
    targets = upgrade_mapping(engine, settings, ARTICLES)
    assert sorted(engine.request("GET", f"/_alias/{index}")) == targets
    assert count(engine, index) == before


def test_more_like_this_finds_the_related_article(engine: SearchEngine, settings: Settings) -> None:
    index = settings.index_name(ARTICLES)
    related = [
        _article("mlt-a", "Zephyrine backdoor found at port authority",
                 "Responders found the Zephyrine backdoor on cargo scheduling servers at the port authority. " * 3),
        _article("mlt-b", "Port authority confirms Zephyrine intrusion",
                 "The port authority confirmed that the Zephyrine backdoor reached its cargo scheduling servers. " * 3),
        _article("mlt-c", "Council passes bus budget",
                 "The council approved more money for bus routes and parks. " * 3),
    ]
    bulk_index(engine, index, [a.to_document() for a in related], refresh=True)
    holder = stored_in(engine, index, [related[0].id])[related[0].id]  # the alias spans months
    answer = engine.request("POST", f"/{index}/_search", {"query": {"more_like_this": {
        "fields": ["title", "body"], "like": [{"_index": holder, "_id": related[0].id}],
        "min_term_freq": 1, "min_doc_freq": 1}}}, params={"search_type": "dfs_query_then_fetch"})
    assert [hit["_id"] for hit in answer["hits"]["hits"]][:1] == [related[1].id]


def test_ensure_indices_adds_new_fields_to_an_older_index(engine: SearchEngine, settings: Settings) -> None:
    older = settings.model_copy(update={"index_prefix": f"{settings.index_prefix}-upgrade"})
    alias = older.index_name(ARTICLES)
    try:
        # An index as an older release made it: no cluster_features field.
        engine.request("PUT", f"/{concrete_index(older, ARTICLES)}", {
            "mappings": {"dynamic": False, "properties": {"id": {"type": "keyword"}}},
            "aliases": {alias: {"is_write_index": True}}})
        ensure_indices(engine, older)
        mapping = engine.request("GET", f"/{alias}/_mapping")
        properties = next(iter(mapping.values()))["mappings"]["properties"]
        assert properties["cluster_features"] == {"type": "keyword", "index": False}
        assert properties["story_id"]["type"] == "keyword"
    finally:
        drop_indices(engine, older)
