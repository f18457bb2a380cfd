"""``threshold``: at least ``min_articles`` matching articles within
``window_hours``. Evaluated on a schedule; while the count stays high it alerts
again once per window (or per ``realert_minutes`` when given)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from alerts.rule_model import AlertRule, Firing, hours_text
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id, matching_coverage
from alerts.windows import threshold_crossings
from coverwatch.settings import Settings
from search.engine import SearchEngine

# Every crossing of one rule shares a key, so realert spaces them out.
GROUP_KEY = "threshold"


@register_rule_type
class ThresholdRule(AlertRule):
    type: Literal["threshold"] = "threshold"
    min_articles: int = Field(ge=1, le=100_000)
    window_hours: float = Field(gt=0, le=30 * 24)

    percolated = False
    periodic = True

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    def realert_window(self) -> timedelta:
        return super().realert_window() or self.window

    def summary(self) -> str:
        return f"threshold: >= {self.min_articles} in {self.window_hours:g} h of {self.query_string or 'filters'}"

    def _firings(self, engine: SearchEngine, settings: Settings, since: datetime,
                 until: datetime, only_latest: bool) -> list[Firing]:
        coverage = matching_coverage(engine, settings, self, since, until)
        crossings = threshold_crossings([row.at for row in coverage], self.window, self.min_articles,
                                        self.realert_window())
        if only_latest:
            crossings = crossings[-1:]
        articles = articles_by_id(engine, settings, [coverage[c.index].article_id for c in crossings])
        return [Firing(self, articles[coverage[c.index].article_id], GROUP_KEY, c.at,
                       f"{c.count} matching articles within {hours_text(self.window_hours)}",
                       {"matching_articles": c.count, "window_hours": self.window_hours})
                for c in crossings if coverage[c.index].article_id in articles]

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        # Only the trailing window decides whether the rule holds now.
        coverage_start = now - self.window
        firings = self._firings(engine, settings, coverage_start, now, only_latest=True)
        return [Firing(f.rule, f.article, f.group_key, now, f.summary, f.details) for f in firings]

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        return self._firings(engine, settings, since, until, only_latest=False)
