"""``flatline``: fewer than ``min_articles`` matches within ``window_hours``:
a source, an actor or a topic went quiet. Evaluated on a schedule; while it
stays quiet it alerts again once per window (or per ``realert_minutes``).
The message leads with the last match before the silence; a rule that never
matched anything in ``history_days`` stays silent itself (nothing went quiet)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from alerts.rule_model import AlertRule, Firing, hours_text
from alerts.rule_types import register_rule_type
from alerts.rule_types._trend_reads import latest_match, match_times, window_counts
from alerts.trend_windows import Quiet, quiet_spells
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine

GROUP_KEY = "flatline"


@register_rule_type
class FlatlineRule(AlertRule):
    type: Literal["flatline"] = "flatline"
    min_articles: int = Field(default=1, ge=1, le=100_000)
    window_hours: float = Field(gt=0, le=90 * 24)
    # How far back the last match before a silence is looked for.
    history_days: int = Field(default=90, ge=1, le=3 * 366)

    percolated = False
    periodic = True

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    def realert_window(self) -> timedelta | None:
        return super().realert_window() or self.window

    def summary(self) -> str:
        return f"flatline: < {self.min_articles} in {self.window_hours:g} h of {self.query_string or 'filters'}"

    def _firing(self, article: Article, quiet: Quiet) -> Firing:
        last = article.published_at or article.crawled_at
        return Firing(self, article, GROUP_KEY, quiet.at,
                      f"only {quiet.count} matching article(s) within {hours_text(self.window_hours)} "
                      f"(fewer than {self.min_articles}); last match {last:%d %b %Y %H:%M} UTC",
                      {"matching_articles": quiet.count, "min_articles": self.min_articles,
                       "window_hours": self.window_hours, "last_match_at": last.isoformat()})

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        count = window_counts(engine, settings, self, {"window": (now - self.window, now)})["window"]
        if count >= self.min_articles:
            return []
        last = latest_match(engine, settings, self, now - timedelta(days=self.history_days), now)
        return [] if last is None else [self._firing(last, Quiet(now, count, None))]

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        times = match_times(engine, settings, self, since - self.window, until)
        firings = []
        for quiet in quiet_spells(times, since, until, self.window, self.min_articles,
                                  self.realert_window() or self.window):
            last = latest_match(engine, settings, self, quiet.at - timedelta(days=self.history_days), quiet.at)
            if last is not None:
                firings.append(self._firing(last, quiet))
        return firings
