"""Rules as data: the schema, its error messages, filters and YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alerts.rule_files import RuleFileError, load_rule_files, parse_rule_documents
from alerts.rule_model import AlertRule, resolve_actor
from alerts.rule_types import RULE_TYPES, RuleSchemaError, parse_rule, typed
from alerts.rule_types.match import MatchRule
from alerts.rule_types.story_growth import StoryGrowthRule
from alerts.rule_types.threshold import ThresholdRule
from alerts.rules import from_document, rule_spec, to_document
from search.queries import rule_query

BASE: dict[str, Any] = {"name": "Bears", "subscribers": ["desk@example.org"]}


def test_every_type_is_registered() -> None:
    assert set(RULE_TYPES) == {"match", "new_story", "threshold", "story_growth", "spike", "new_term", "flatline",
                               "attribution", "story_development"}


def test_error_names_the_rule_and_each_field() -> None:
    with pytest.raises(RuleSchemaError) as caught:
        parse_rule({**BASE, "type": "threshold", "query_string": "APT28", "window_hours": 0,
                    "filters": {"actors": ["Fancy Bear", "Sleepy Koala"]}})
    error = caught.value
    fields = dict(error.problems)
    assert error.rule == "Bears"
    assert set(fields) == {"window_hours", "min_articles", "filters.actors"}
    assert "Sleepy Koala" in fields["filters.actors"] and "Fancy Bear" not in fields["filters.actors"]
    assert str(error).startswith("rule 'Bears': field ")


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(RuleSchemaError,
                       match="unknown rule type 'surge'; known: attribution, flatline, match, new_story") as caught:
        parse_rule({**BASE, "type": "surge", "query_string": "x"})
    assert caught.value.problems[0][0] == "type"


def test_misspelt_field_is_refused_not_ignored() -> None:
    with pytest.raises(RuleSchemaError) as caught:
        parse_rule({**BASE, "query_string": "x", "filter": {"actors": "APT28"}})
    assert [field for field, _ in caught.value.problems] == ["filter"]


def test_a_rule_must_match_something() -> None:
    with pytest.raises(RuleSchemaError, match="give a query_string or at least one filter"):
        parse_rule(BASE)


def test_subscriber_targets_are_checked_and_normalised() -> None:
    rule = parse_rule({**BASE, "query_string": "x",
                       "subscribers": ["mailto:Desk@Example.org", "https://hooks.example.com/cw",
                                       "http://127.0.0.1:9999/hook"]})
    assert rule.subscribers == ["Desk@Example.org", "https://hooks.example.com/cw", "http://127.0.0.1:9999/hook"]
    for refused in ("http://hooks.example.com/cw", "ftp://example.org", "desk"):
        with pytest.raises(RuleSchemaError) as caught:
            parse_rule({**BASE, "query_string": "x", "subscribers": [refused]})
        assert caught.value.problems[0][0] == "subscribers"


def test_filters_resolve_aliases_and_country_names() -> None:
    rule = parse_rule({**BASE, "filters": {"actors": ["fancy bear", "APT28", "Cozy Bear"],
                                           "attributed_states": "Russia", "victim_countries": ["dk", "Latvia"],
                                           "sectors": ["Defence"], "claim_types": ["government"],
                                           "min_relevance": 0.5}})
    assert resolve_actor("fancy bear") == resolve_actor("APT28") == "G0007"
    query = rule.matching_query()
    assert query["bool"]["must"] == []
    assert query["bool"]["filter"] == [
        {"terms": {"actors": sorted({"G0007", str(resolve_actor("Cozy Bear"))})}},
        {"terms": {"attributed_states": ["RU"]}},
        {"terms": {"claim_type": ["government"]}},
        {"terms": {"sectors": ["defence"]}},
        {"terms": {"victim_countries": ["DK", "LV"]}},
        {"range": {"relevance": {"gte": 0.5}}},
    ]


def test_plain_query_rule_percolates_exactly_as_before() -> None:
    rule = AlertRule(name="Defence", query_string="Turla AND defence", subscribers=["a@example.org"])
    assert isinstance(typed(rule), MatchRule)
    assert to_document(rule)["query"] == rule_query("Turla AND defence")


def test_periodic_rules_have_no_percolator_query_and_round_trip() -> None:
    rule = parse_rule({**BASE, "type": "story_growth", "query_string": "Lazarus", "min_outlets": 3,
                       "within_hours": 6, "realert_minutes": 120})
    document = to_document(rule)
    assert "query" not in document
    again = from_document(document)
    assert isinstance(again, StoryGrowthRule) and again == rule
    assert rule_spec(rule) == {"name": "Bears", "type": "story_growth", "query_string": "Lazarus",
                               "subscribers": ["desk@example.org"], "realert_minutes": 120,
                               "min_outlets": 3, "within_hours": 6.0}


def test_threshold_realerts_once_per_window_unless_told() -> None:
    rule = parse_rule({**BASE, "type": "threshold", "query_string": "x", "min_articles": 2, "window_hours": 3})
    assert isinstance(rule, ThresholdRule)
    assert rule.realert_window().total_seconds() == 3 * 3600
    told = rule.model_copy(update={"realert_minutes": 30})
    assert told.realert_window().total_seconds() == 30 * 60


def test_rule_files_report_file_rule_and_field(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("name: Good\nquery_string: Turla\nsubscribers: [a@example.org]\n")
    (tmp_path / "b.yaml").write_text(
        "rules:\n"
        "- {name: Growth, type: story_growth, query_string: x, subscribers: [a@example.org], min_outlets: 1,"
        " within_hours: 2}\n"
        "- {name: good, query_string: y, subscribers: [b@example.org]}\n")
    (tmp_path / "notes.txt").write_text("not a rule")
    with pytest.raises(RuleFileError) as caught:
        load_rule_files(tmp_path)
    assert caught.value.problems == [
        "rule 'Growth' in b.yaml#1: field 'min_outlets': Input should be greater than or equal to 2",
        "rule 'good' in b.yaml#2: field 'name': already defined in a.yml",
    ]


def test_rule_files_load_every_rule_when_all_are_valid(tmp_path: Path) -> None:
    (tmp_path / "one.yml").write_text("name: One\nquery_string: Turla\nsubscribers: [a@example.org]\n")
    (tmp_path / "two.yml").write_text("- {name: Two, type: new_story, filters: {actors: Volt Typhoon},"
                                      " subscribers: [b@example.org]}\n")
    rules = load_rule_files(tmp_path)
    assert [(rule.name, rule.type) for rule in rules] == [("One", "match"), ("Two", "new_story")]
    assert rules[1].filters.actors == ["Volt Typhoon"]


def test_a_rule_document_that_is_not_a_mapping_is_reported() -> None:
    with pytest.raises(RuleFileError, match=r"x.yml: expected a rule"):
        parse_rule_documents([("x.yml", "just words")])
