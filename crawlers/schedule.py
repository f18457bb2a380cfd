"""Crawl schedules: "every 30m" / "every 2h" / "every 1d", or a five-field cron expression."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

_INTERVAL = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Schedule:
    interval: timedelta | None = None
    cron: str | None = None

    def next_run(self, after: datetime) -> datetime:
        if self.interval is not None:
            return after + self.interval
        return croniter(self.cron, after).get_next(datetime)  # type: ignore[no-any-return]


def parse_schedule(text: str) -> Schedule:
    text = text.strip()
    match = _INTERVAL.match(text)
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        if seconds < 10:
            raise ValueError(f"schedule {text!r}: at least 10 seconds between crawls")
        return Schedule(interval=timedelta(seconds=seconds))
    if len(text.split()) == 5 and croniter.is_valid(text):
        return Schedule(cron=text)
    raise ValueError(f"schedule {text!r}: use 'every 30m' (s, m, h, d) or a five-field cron expression")
