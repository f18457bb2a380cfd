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
from coverwatch.models import Article
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

    def _firing(self, article: Article, at: datetime, count: int) -> Firing:
        return Firing(self, article, GROUP_KEY, at,
                      f"{count} matching articles within {hours_text(self.window_hours)}",
                      {"matching_articles": count, "window_hours": self.window_hours})

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        """Fires when the trailing window holds enough; the message leads with the newest."""
        coverage = matching_coverage(engine, settings, self, now - self.window, now)
        if len(coverage) < self.min_articles:
            return []
        newest = articles_by_id(engine, settings, [coverage[-1].article_id])
        return [self._firing(article, now, len(coverage)) for article in newest.values()]

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        coverage = matching_coverage(engine, settings, self, since, until)
        crossings = threshold_crossings([row.at for row in coverage], self.window, self.min_articles,
                                        self.realert_window())
        articles = articles_by_id(engine, settings, [coverage[c.index].article_id for c in crossings])
        return [self._firing(articles[coverage[c.index].article_id], c.at, c.count)
                for c in crossings if coverage[c.index].article_id in articles]
