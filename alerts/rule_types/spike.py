"""``spike``: the rate of matches in the current window against the window
before it (the baseline): at least ``min_ratio`` times the baseline rate and
at least ``min_count`` matches now. Evaluated on a schedule; while the spike
lasts it alerts again once per current window (or per ``realert_minutes``)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from alerts.rule_model import AlertRule, Firing, hours_text
from alerts.rule_types import register_rule_type
from alerts.rule_types._trend_reads import latest_match, match_times, window_counts
from alerts.trend_windows import Spike, SpikeShape, rate_ratio, spikes
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import SearchEngine

GROUP_KEY = "spike"


def ratio_text(ratio: float) -> str:
    return "from nothing" if math.isinf(ratio) else f"{ratio:.1f}x the usual rate"


@register_rule_type
class SpikeRule(AlertRule):
    type: Literal["spike"] = "spike"
    window_hours: float = Field(gt=0, le=7 * 24)
    baseline_hours: float = Field(gt=0, le=90 * 24)
    min_ratio: float = Field(default=3.0, gt=1.0, le=1000.0)
    min_count: int = Field(default=3, ge=1, le=100_000)
    min_baseline: int = Field(default=0, ge=0, le=100_000)

    percolated = False
    periodic = True

    @property
    def shape(self) -> SpikeShape:
        return SpikeShape(timedelta(hours=self.window_hours), timedelta(hours=self.baseline_hours),
                          self.min_ratio, self.min_count, self.min_baseline)

    def realert_window(self) -> timedelta | None:
        return super().realert_window() or self.shape.current

    def summary(self) -> str:
        return (f"spike: x{self.min_ratio:g} in {self.window_hours:g} h against {self.baseline_hours:g} h "
                f"of {self.query_string or 'filters'}")

    def _firing(self, article: Article, spike: Spike) -> Firing:
        return Firing(self, article, GROUP_KEY, spike.at,
                      f"{spike.current} matching articles within {hours_text(self.window_hours)}, "
                      f"{ratio_text(spike.ratio)} (baseline {spike.baseline} in {hours_text(self.baseline_hours)})",
                      {"current": spike.current, "baseline": spike.baseline,
                       "ratio": None if math.isinf(spike.ratio) else round(spike.ratio, 3),
                       "window_hours": self.window_hours, "baseline_hours": self.baseline_hours})

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        shape = self.shape
        counts = window_counts(engine, settings, self, {
            "current": (now - shape.current, now),
            "baseline": (now - shape.current - shape.baseline, now - shape.current)})
        ratio = rate_ratio(counts["current"], shape.current, counts["baseline"], shape.baseline)
        if (counts["current"] < shape.min_count or counts["baseline"] < shape.min_baseline
                or ratio < shape.min_ratio):
            return []
        newest = latest_match(engine, settings, self, now - shape.current, now)
        spike = Spike(now, counts["current"], counts["baseline"], ratio)
        return [] if newest is None else [self._firing(newest, spike)]

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        shape = self.shape
        times = match_times(engine, settings, self, since - shape.current - shape.baseline, until)
        firings = []
        for spike in spikes(times, since, shape, self.realert_window() or shape.current):
            lead = latest_match(engine, settings, self, spike.at - shape.current, spike.at)
            if lead is not None:
                firings.append(self._firing(lead, spike))
        return firings
