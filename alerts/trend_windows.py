"""Window arithmetic of the trend rule types (spike, flatline, new_term), pure
so that every edge can be tested to the second.

Windows are half-open like those of alerts/windows.py, ``(t - window, t]``;
a baseline window ends where the current one starts. ``times`` arguments are
sorted, oldest first.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


def count_between(times: Sequence[datetime], start: datetime, end: datetime) -> int:
    """How many of the sorted ``times`` fall in ``(start, end]``."""
    return bisect_right(times, end) - bisect_right(times, start)


def rate_ratio(current: int, current_window: timedelta, baseline: int, baseline_window: timedelta) -> float:
    """Articles per hour now against per hour in the baseline; infinite when
    the baseline was silent (anything is a spike against nothing)."""
    current_rate = current / (current_window / timedelta(hours=1))
    if baseline == 0:
        return math.inf if current else 0.0
    return current_rate / (baseline / (baseline_window / timedelta(hours=1)))


@dataclass(frozen=True)
class SpikeShape:
    current: timedelta
    baseline: timedelta
    min_ratio: float
    min_count: int
    min_baseline: int = 0  # baseline articles needed before a ratio means anything


@dataclass(frozen=True)
class Spike:
    at: datetime
    current: int
    baseline: int
    ratio: float


def spike_at(times: Sequence[datetime], now: datetime, shape: SpikeShape) -> Spike | None:
    """The spike the trailing windows ending at ``now`` show, if they show one."""
    current = count_between(times, now - shape.current, now)
    baseline = count_between(times, now - shape.current - shape.baseline, now - shape.current)
    ratio = rate_ratio(current, shape.current, baseline, shape.baseline)
    if current >= shape.min_count and baseline >= shape.min_baseline and ratio >= shape.min_ratio:
        return Spike(now, current, baseline, ratio)
    return None


def spikes(times: Sequence[datetime], since: datetime, shape: SpikeShape, realert: timedelta) -> list[Spike]:
    """Each moment from ``since`` on that an article made a spike, at most once
    per ``realert``. Only an arriving article can start a spike, so those are
    the only moments looked at; ``times`` must reach back a baseline before ``since``."""
    found: list[Spike] = []
    for moment in times:
        if moment < since or (found and moment - found[-1].at < realert):
            continue
        spike = spike_at(times, moment, shape)
        if spike is not None:
            found.append(spike)
    return found


@dataclass(frozen=True)
class Quiet:
    at: datetime
    count: int  # matches in the window ending at ``at``
    last_seen: datetime | None  # the newest match before ``at``


def quiet_at(times: Sequence[datetime], now: datetime, window: timedelta, minimum: int) -> Quiet | None:
    count = count_between(times, now - window, now)
    if count >= minimum:
        return None
    position = bisect_right(times, now)
    return Quiet(now, count, times[position - 1] if position else None)


def quiet_spells(times: Sequence[datetime], since: datetime, until: datetime, window: timedelta,
                 minimum: int, realert: timedelta) -> list[Quiet]:
    """Moments in ``[since, until)`` at which the window held fewer than
    ``minimum`` matches, at most once per ``realert``. A count only falls when
    an article leaves the window, so besides ``since`` those are the moments
    looked at; ``times`` must reach back a window before ``since``."""
    candidates = sorted({since, *(moment + window for moment in times if since < moment + window < until)})
    found: list[Quiet] = []
    for moment in candidates:
        if found and moment - found[-1].at < realert:
            continue
        quiet = quiet_at(times, moment, window, minimum)
        if quiet is not None:
            found.append(quiet)
    return found


@dataclass(frozen=True)
class Sighting:
    at: datetime
    value: str
    article_id: str


@dataclass(frozen=True)
class NewTerm:
    sighting: Sighting
    last_seen: datetime | None  # before this sighting; None: never in what was read


def new_terms(sightings: Sequence[Sighting], since: datetime, lookback: timedelta) -> list[NewTerm]:
    """Sightings from ``since`` on of a value not seen in the ``lookback``
    before them. ``sightings`` must be sorted by time and reach back
    ``lookback`` before ``since``; a value that comes back after another quiet
    ``lookback`` is new again."""
    last_seen: dict[str, datetime] = {}
    found: list[NewTerm] = []
    for sighting in sightings:
        previous = last_seen.get(sighting.value)
        if sighting.at >= since and (previous is None or sighting.at - previous >= lookback):
            found.append(NewTerm(sighting, previous))
        last_seen[sighting.value] = sighting.at
    return found


def first_return(first_current: datetime, last_before: datetime | None, lookback: timedelta) -> bool:
    """Is a value first seen lately at ``first_current`` new, given when it was
    last seen before that (None: not within what was read)?"""
    return last_before is None or first_current - last_before >= lookback
