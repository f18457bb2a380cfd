"""Window arithmetic for rule types, pure so it can be tested to the second.

Windows are half-open, ``(t - window, t]``: an article exactly one window older
than another no longer counts with it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def realert_due(last_alerted: datetime, now: datetime, window: timedelta | None) -> bool:
    """May the same (rule, subscriber, story) alert again? Never without a window."""
    return window is not None and now - last_alerted >= window


@dataclass(frozen=True)
class Crossing:
    at: datetime
    count: int
    index: int  # position in the input of the article that made the count


def threshold_crossings(times: Sequence[datetime], window: timedelta, minimum: int,
                        realert: timedelta) -> list[Crossing]:
    """Each moment the number of articles in the trailing window reached
    ``minimum``, at most once per ``realert``. ``times`` must be sorted."""
    crossings: list[Crossing] = []
    start = 0
    for end, moment in enumerate(times):
        while times[start] <= moment - window:
            start += 1
        in_window = end - start + 1
        if in_window >= minimum and (not crossings or moment - crossings[-1].at >= realert):
            crossings.append(Crossing(moment, in_window, end))
    return crossings


def count_in_window(times: Sequence[datetime], now: datetime, window: timedelta) -> int:
    return sum(1 for moment in times if now - window < moment <= now)


@dataclass(frozen=True)
class Coverage:
    """One article of a story: when and by whom (and where the outlet is)."""

    story_id: str
    outlet: str
    at: datetime
    article_id: str
    country: str | None = None


@dataclass(frozen=True)
class Growth:
    story_id: str
    at: datetime
    outlets: tuple[str, ...]
    article_id: str  # the article that brought the story to the count
    countries: tuple[str, ...] = ()


def _drop(counts: Counter[str], key: str | None) -> None:
    if key is not None:
        counts[key] -= 1
        if not counts[key]:
            del counts[key]


def story_growth(coverage: Sequence[Coverage], min_outlets: int | None, within: timedelta,
                 min_countries: int | None = None) -> list[Growth]:
    """Stories whose coverage came from ``min_outlets`` distinct outlets, or from
    outlets in ``min_countries`` distinct countries, inside some window of length
    ``within``; each story once, at the first such moment."""
    by_story: dict[str, list[Coverage]] = {}
    for item in coverage:
        by_story.setdefault(item.story_id, []).append(item)
    reached: list[Growth] = []
    for story_id, items in by_story.items():
        items.sort(key=lambda item: (item.at, item.article_id))
        outlets: Counter[str] = Counter()
        countries: Counter[str] = Counter()
        start = 0
        for item in items:
            outlets[item.outlet] += 1
            if item.country:
                countries[item.country] += 1
            while items[start].at <= item.at - within:
                _drop(outlets, items[start].outlet)
                _drop(countries, items[start].country or None)
                start += 1
            if ((min_outlets is not None and len(outlets) >= min_outlets)
                    or (min_countries is not None and len(countries) >= min_countries)):
                reached.append(Growth(story_id, item.at, tuple(sorted(outlets)), item.article_id,
                                      tuple(sorted(countries))))
                break
    return sorted(reached, key=lambda growth: (growth.at, growth.story_id))
