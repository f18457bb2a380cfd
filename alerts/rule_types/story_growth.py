"""``story_growth``: a story's matching coverage reaches ``min_outlets``
distinct outlets, or outlets in ``min_countries`` distinct countries, within
``within_hours``. Evaluated on a schedule; once per
story (unless ``realert_minutes`` says otherwise)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from alerts.rule_model import AlertRule, Firing, hours_text
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id, matching_coverage
from alerts.windows import Growth, story_growth
from coverwatch.settings import Settings
from search.engine import SearchEngine

# How far back a scheduled evaluation looks beyond the window itself, so growth
# that happened while beat was down still alerts (once) when it comes back.
CATCH_UP = timedelta(days=1)


@register_rule_type
class StoryGrowthRule(AlertRule):
    type: Literal["story_growth"] = "story_growth"
    min_outlets: int | None = Field(default=None, ge=2, le=1000)
    min_countries: int | None = Field(default=None, ge=2, le=300)
    within_hours: float = Field(gt=0, le=30 * 24)

    percolated = False
    periodic = True

    @model_validator(mode="after")
    def _grows_by_something(self) -> StoryGrowthRule:
        if self.min_outlets is None and self.min_countries is None:
            raise ValueError("give min_outlets, min_countries or both")
        return self

    def summary(self) -> str:
        reach = " or ".join(part for part in (
            f"{self.min_outlets} outlets" if self.min_outlets else "",
            f"{self.min_countries} countries" if self.min_countries else "") if part)
        return f"story_growth: {reach} in {self.within_hours:g} h of {self.query_string or 'filters'}"

    def _growth_text(self, growth: Growth) -> str:
        text = f"reached {len(growth.outlets)} outlets"
        if self.min_countries is not None:
            text += f" in {len(growth.countries)} countries"
        return f"{text} within {hours_text(self.within_hours)}: " + ", ".join(growth.outlets)

    def _growth_details(self, growth: Growth) -> dict[str, Any]:
        details: dict[str, Any] = {"outlets": list(growth.outlets), "within_hours": self.within_hours}
        if self.min_countries is not None:
            details["countries"] = list(growth.countries)
        return details

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        coverage = matching_coverage(engine, settings, self, since, until)
        grown = story_growth(coverage, self.min_outlets, timedelta(hours=self.within_hours), self.min_countries)
        articles = articles_by_id(engine, settings, [growth.article_id for growth in grown])
        return [Firing(self, articles[growth.article_id], growth.story_id, growth.at, self._growth_text(growth),
                       self._growth_details(growth))
                for growth in grown if growth.article_id in articles]

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        return self.preview(engine, settings, now - timedelta(hours=self.within_hours) - CATCH_UP, now)
