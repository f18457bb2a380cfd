"""``story_growth``: a story's matching coverage reaches ``min_outlets``
distinct outlets within ``within_hours``. Evaluated on a schedule; once per
story (unless ``realert_minutes`` says otherwise)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from alerts.rule_model import AlertRule, Firing, hours_text
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id, matching_coverage
from alerts.windows import story_growth
from coverwatch.settings import Settings
from search.engine import SearchEngine

# How far back a scheduled evaluation looks beyond the window itself, so growth
# that happened while beat was down still alerts (once) when it comes back.
CATCH_UP = timedelta(days=1)


@register_rule_type
class StoryGrowthRule(AlertRule):
    type: Literal["story_growth"] = "story_growth"
    min_outlets: int = Field(ge=2, le=1000)
    within_hours: float = Field(gt=0, le=30 * 24)

    percolated = False
    periodic = True

    def summary(self) -> str:
        return (f"story_growth: {self.min_outlets} outlets in {self.within_hours:g} h "
                f"of {self.query_string or 'filters'}")

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        coverage = matching_coverage(engine, settings, self, since, until)
        grown = story_growth(coverage, self.min_outlets, timedelta(hours=self.within_hours))
        articles = articles_by_id(engine, settings, [growth.article_id for growth in grown])
        return [Firing(self, articles[growth.article_id], growth.story_id, growth.at,
                       f"reached {len(growth.outlets)} outlets within {hours_text(self.within_hours)}: "
                       + ", ".join(growth.outlets),
                       {"outlets": list(growth.outlets), "within_hours": self.within_hours})
                for growth in grown if growth.article_id in articles]

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        return self.preview(engine, settings, now - timedelta(hours=self.within_hours) - CATCH_UP, now)
