"""Rules in other languages percolate on the real engine: a Japanese query
matches the words it names, not their characters scattered through an
article, and a rule limited to German finds inflected German forms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.engine import SearchEngine
from search.indexes import RULES, ensure_indices
from search.queries import percolate_articles

pytestmark = pytest.mark.integration

ARTICLES = [
    Article(url="https://jp.example/leak", source="jp-daily", language="ja", published_at=utc_now(),
            title="防衛省の機密ネットワークに侵入",
            body="中国軍のハッカーが防衛省の機密ネットワークに侵入していた。" * 3),
    # Both words of the Japanese rule, never side by side.
    Article(url="https://jp.example/phones", source="jp-daily", language="ja", published_at=utc_now(),
            title="携帯電話のネットワーク障害",
            body="通信会社は機密情報の流出はないと説明した。ネットワークは復旧した。" * 3),
    Article(url="https://de.example/angriff", source="de-zeitung", language="de", published_at=utc_now(),
            title="Hackerangriff auf das Verteidigungsministerium",
            body="Ein Hackerangriff russischer Geheimdienste traf die Behörde. " * 3),
    Article(url="https://en.example/raid", source="wire", language="en", published_at=utc_now(),
            title="Ransomware gang hits a hospital network", body="The gang demanded a ransom. " * 3),
]


@pytest.fixture(scope="module")
def own(settings: Settings, engine: SearchEngine) -> Iterator[Settings]:
    from console.demo import reset_deployment

    isolated = settings.model_copy(update={"index_prefix": f"{settings.index_prefix}-langrules"})
    ensure_indices(engine, isolated)
    yield isolated
    reset_deployment(isolated)


def _matched(engine: SearchEngine, settings: Settings, *specs: dict[str, object]) -> dict[str, list[str]]:
    rules = [parse_rule({"subscribers": ["desk@example.org"], **spec}) for spec in specs]
    for rule in rules:
        register_rule(engine, settings, rule)
    try:
        answer = engine.request("POST", f"/{settings.index_name(RULES)}/_search",
                                percolate_articles([a.to_document() for a in ARTICLES]))
    finally:
        for rule in rules:
            delete_rule(engine, settings, rule.name)
    return {hit["_source"]["rule"]["name"]: [ARTICLES[slot].url for slot in hit["fields"]["_percolator_document_slot"]]
            for hit in answer["hits"]["hits"]}


def test_japanese_rule_matches_the_phrase_not_its_scattered_characters(engine: SearchEngine, own: Settings) -> None:
    matched = _matched(engine, own, {"name": "ja leak", "query_string": "機密ネットワーク"})
    assert matched == {"ja leak": ["https://jp.example/leak"]}


def test_german_rule_finds_inflected_forms_when_limited_to_german(engine: SearchEngine, own: Settings) -> None:
    matched = _matched(engine, own,
                       {"name": "de only", "query_string": "Hackerangriffen", "filters": {"languages": ["de"]}},
                       {"name": "any language", "query_string": "Hackerangriffen"},
                       {"name": "umlaut", "query_string": "Behörden AND Verteidigungsministerium"})
    # The unfiltered rule is matched on the English fields: "Hackerangriffen" stays a word of its own there.
    assert matched == {"de only": ["https://de.example/angriff"], "umlaut": ["https://de.example/angriff"]}
