"""Which article fields a rule's query string is matched on, by script and by
the rule's language filter (issue 13: rules beyond English)."""

from __future__ import annotations

from alerts.rule_types import parse_rule
from search.queries import rule_text_fields


def _fields_of(query: dict[str, object]) -> list[str]:
    """The query_string fields inside a rule's matching query, wherever they sit."""
    if "query_string" in query:
        return list(query["query_string"]["fields"])  # type: ignore[index]
    return _fields_of(query["bool"]["must"][0])  # type: ignore[index]


def test_english_rule_keeps_the_english_fields() -> None:
    assert rule_text_fields("Turla AND defence") == ["title", "lead", "body"]


def test_japanese_rule_matches_character_pairs_only() -> None:
    # On the English fields "機密ネットワーク" would be three loose tokens.
    assert rule_text_fields("機密ネットワーク") == ["title.cjk", "lead.cjk", "body.cjk"]
    assert rule_text_fields("APT10 AND 防衛省") == ["title.cjk", "lead.cjk", "body.cjk"]


def test_korean_and_chinese_scripts_use_the_same_fields() -> None:
    assert rule_text_fields("국방부") == rule_text_fields("国防部") == ["title.cjk", "lead.cjk", "body.cjk"]


def test_german_letters_or_a_german_filter_add_the_german_fields() -> None:
    german = ["title.de", "lead.de", "body.de"]
    assert rule_text_fields("Behörden")[3:] == german
    assert rule_text_fields("Hackerangriffen", ["de"])[3:] == german
    assert rule_text_fields("Hackerangriffen") == ["title", "lead", "body"]


def test_cyrillic_query_adds_the_russian_fields() -> None:
    assert rule_text_fields("шпионаж")[3:] == ["title.ru", "lead.ru", "body.ru"]


def test_a_rule_limited_to_german_searches_its_fields() -> None:
    rule = parse_rule({"name": "de desk", "query_string": "Hackerangriffen", "subscribers": ["desk@example.org"],
                       "filters": {"languages": ["DE"]}})
    assert "body.de" in _fields_of(rule.matching_query())
    unfiltered = parse_rule({"name": "desk", "query_string": "Hackerangriffen", "subscribers": ["desk@example.org"]})
    assert "body.de" not in _fields_of(unfiltered.matching_query())
