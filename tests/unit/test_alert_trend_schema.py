"""Schemas of spike, flatline and new_term, and story_growth by countries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alerts.rule_types import RuleSchemaError, parse_rule
from alerts.rule_types.flatline import FlatlineRule
from alerts.rule_types.new_term import NewTermRule, group_key
from alerts.rule_types.spike import SpikeRule, ratio_text
from alerts.rule_types.story_growth import StoryGrowthRule
from alerts.rules import from_document, to_document
from alerts.trend_windows import NewTerm, Sighting
from coverwatch.models import utc_now

BASE: dict[str, Any] = {"name": "Trend", "subscribers": ["desk@example.org"], "query_string": "espionage"}


def test_spike_defaults_and_realert_per_current_window() -> None:
    rule = parse_rule({**BASE, "type": "spike", "window_hours": 2, "baseline_hours": 48})
    assert isinstance(rule, SpikeRule) and rule.periodic and not rule.percolated
    assert (rule.min_ratio, rule.min_count, rule.min_baseline) == (3.0, 3, 0)
    assert rule.realert_window() == timedelta(hours=2)
    assert parse_rule({**BASE, "type": "spike", "window_hours": 2, "baseline_hours": 48,
                       "realert_minutes": 30}).realert_window() == timedelta(minutes=30)


def test_spike_refuses_a_ratio_that_is_no_rise() -> None:
    with pytest.raises(RuleSchemaError) as caught:
        parse_rule({**BASE, "type": "spike", "window_hours": 2, "min_ratio": 1.0})
    assert {field for field, _ in caught.value.problems} == {"min_ratio", "baseline_hours"}


def test_ratio_text_says_when_the_baseline_was_silent() -> None:
    assert ratio_text(float("inf")) == "from nothing"
    assert ratio_text(4.25) == "4.2x the usual rate"


def test_flatline_needs_a_window() -> None:
    rule = parse_rule({**BASE, "type": "flatline", "window_hours": 24, "filters": {"sources": ["wire"]}})
    assert isinstance(rule, FlatlineRule) and rule.min_articles == 1 and rule.realert_window() == timedelta(days=1)
    with pytest.raises(RuleSchemaError, match="window_hours"):
        parse_rule({**BASE, "type": "flatline"})


def test_new_term_field_is_one_of_the_keyword_fields() -> None:
    rule = parse_rule({**BASE, "type": "new_term", "field": "actors"})
    assert isinstance(rule, NewTermRule) and rule.lookback == timedelta(days=90)
    with pytest.raises(RuleSchemaError) as caught:
        parse_rule({**BASE, "type": "new_term", "field": "body"})
    assert caught.value.problems[0][0] == "field"


def test_new_term_key_names_the_value_and_its_return() -> None:
    first = NewTerm(Sighting(utc_now(), "G0007", "a1"), None)
    again = NewTerm(Sighting(utc_now(), "G0007", "a9"), utc_now())
    assert group_key("actors", first) == "new_term:actors:G0007:a1"
    assert group_key("actors", first) != group_key("actors", again)


def test_story_growth_by_countries_alone_or_with_outlets() -> None:
    by_countries = parse_rule({**BASE, "type": "story_growth", "min_countries": 3, "within_hours": 12})
    assert isinstance(by_countries, StoryGrowthRule) and by_countries.min_outlets is None
    assert "3 countries" in by_countries.summary()
    both = parse_rule({**BASE, "type": "story_growth", "min_outlets": 5, "min_countries": 3, "within_hours": 12})
    assert "5 outlets or 3 countries" in both.summary()
    with pytest.raises(RuleSchemaError, match="give min_outlets, min_countries or both"):
        parse_rule({**BASE, "type": "story_growth", "within_hours": 12})


@pytest.mark.parametrize("spec", [
    {"type": "spike", "window_hours": 1, "baseline_hours": 24, "min_ratio": 5},
    {"type": "flatline", "window_hours": 48, "min_articles": 2},
    {"type": "new_term", "field": "malware", "lookback_days": 30},
])
def test_trend_rules_store_without_a_percolator_query_and_come_back_equal(spec: dict[str, Any]) -> None:
    rule = parse_rule({**BASE, **spec})
    document = to_document(rule)
    assert "query" not in document
    assert from_document(document) == rule
