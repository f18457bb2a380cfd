"""When a subscriber hears about something, in their own timezone: digest
slots (daily, or weekly on a weekday, at a local hour), quiet hours and mutes.
Pure functions on aware datetimes; every answer is in UTC.

Local wall-clock times are turned into instants by zoneinfo with ``fold=0``: an
hour that occurs twice when clocks go back is taken the first time (one digest,
not two), and an hour that does not exist when clocks go forward lands on the
same instant as the hour before it would have, i.e. the first local time that
does exist (02:00 on a spring-forward night in Berlin is sent at 03:00 CEST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class UnknownTimezone(ValueError):
    """Not an IANA timezone name."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as failure:
        raise UnknownTimezone(f"unknown timezone {name!r} (use an IANA name such as Europe/Berlin)") from failure


class DigestSchedule(BaseModel):
    """Daily, or weekly on ``weekday`` (0 is Monday), at ``hour`` local time."""

    model_config = ConfigDict(extra="forbid")

    frequency: Literal["daily", "weekly"] = "daily"
    hour: int = Field(default=8, ge=0, le=23)
    weekday: int = Field(default=0, ge=0, le=6)

    def describe(self) -> str:
        at = f"{self.hour:02d}:00"
        return f"daily at {at}" if self.frequency == "daily" else f"weekly on {WEEKDAYS[self.weekday]} at {at}"


class QuietHours(BaseModel):
    """Local hours [start, end) in which nothing is sent at once; may wrap midnight (22 to 7)."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=23)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different hours")
        return self

    def covers(self, hour: int) -> bool:
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


def _instant(day: date, hour: int, timezone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone).astimezone(UTC)


def next_digest_at(schedule: DigestSchedule, timezone: ZoneInfo, after: datetime) -> datetime:
    """The first digest slot strictly after ``after``."""
    today = after.astimezone(timezone).date()
    for offset in range(8):  # a weekly slot is at most seven local days away
        day = today + timedelta(days=offset)
        if schedule.frequency == "weekly" and day.weekday() != schedule.weekday:
            continue
        slot = _instant(day, schedule.hour, timezone)
        if slot > after:
            return slot
    raise AssertionError("no digest slot within eight days")  # unreachable for valid schedules


def quiet_until(quiet: QuietHours, timezone: ZoneInfo, now: datetime) -> datetime | None:
    """When the quiet period ``now`` falls in ends, or None when ``now`` is not quiet."""
    local = now.astimezone(timezone)
    if not quiet.covers(local.hour):
        return None
    for offset in range(3):
        end = _instant(local.date() + timedelta(days=offset), quiet.end, timezone)
        if end > now:
            return end
    raise AssertionError("quiet hours never end")  # unreachable: end differs from start


def muted(mute_until: date | None, timezone: ZoneInfo, now: datetime) -> bool:
    """Muted until local midnight at the start of ``mute_until``."""
    return mute_until is not None and now < datetime.combine(mute_until, time(0), tzinfo=timezone)
