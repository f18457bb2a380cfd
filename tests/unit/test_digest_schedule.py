"""Digest slots, quiet hours and mutes in the subscriber's timezone, across
daylight-saving changes (Europe: 29 Mar and 25 Oct 2026; US: 8 Mar 2026)."""

from datetime import UTC, date, datetime

import pytest

from alerts.schedules import DigestSchedule, QuietHours, UnknownTimezone, muted, next_digest_at, quiet_until, zone

BERLIN, NEW_YORK = zone("Europe/Berlin"), zone("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(("after", "expected"), [
    (utc(2026, 3, 27, 6, 59), utc(2026, 3, 27, 7)),   # 08:00 CET is 07:00 UTC
    (utc(2026, 3, 28, 7, 30), utc(2026, 3, 29, 6)),   # the day clocks go forward: 08:00 CEST is 06:00 UTC
    (utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)),       # strictly after: the slot just sent is not due again
    (utc(2026, 10, 24, 7), utc(2026, 10, 25, 7)),     # back to CET on 25 Oct
])
def test_daily_digest_stays_at_eight_local_across_dst(after: datetime, expected: datetime) -> None:
    slot = next_digest_at(DigestSchedule(hour=8), BERLIN, after)
    assert slot == expected
    assert slot.astimezone(BERLIN).hour == 8


def test_an_hour_that_does_not_exist_is_sent_at_the_first_that_does() -> None:
    slot = next_digest_at(DigestSchedule(hour=2), BERLIN, utc(2026, 3, 28, 12))
    assert slot == utc(2026, 3, 29, 1)
    assert slot.astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"


def test_an_hour_that_happens_twice_gets_one_digest() -> None:
    first = next_digest_at(DigestSchedule(hour=2), BERLIN, utc(2026, 10, 24, 12))
    assert first == utc(2026, 10, 25, 0)  # 02:00 CEST, the first time round
    # The second 02:00 (01:00 UTC, CET) is not another slot: the next one is a day later.
    assert next_digest_at(DigestSchedule(hour=2), BERLIN, first) == utc(2026, 10, 26, 1)


@pytest.mark.parametrize(("after", "expected"), [
    (utc(2026, 2, 25, 12), utc(2026, 3, 2, 14)),   # a Wednesday: next Monday 09:00 EST
    (utc(2026, 3, 2, 13, 59), utc(2026, 3, 2, 14)),  # Monday 08:59 local: today
    (utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),    # a week later, now EDT (US clocks went forward on 8 Mar)
])
def test_weekly_digest_on_monday_at_nine(after: datetime, expected: datetime) -> None:
    schedule = DigestSchedule(frequency="weekly", weekday=0, hour=9)
    slot = next_digest_at(schedule, NEW_YORK, after)
    assert slot == expected
    local = slot.astimezone(NEW_YORK)
    assert (local.weekday(), local.hour) == (0, 9)


def test_schedule_describes_itself() -> None:
    assert DigestSchedule(frequency="weekly", weekday=4, hour=7).describe() == "weekly on friday at 07:00"
    assert DigestSchedule().describe() == "daily at 08:00"


@pytest.mark.parametrize(("now", "expected"), [
    (utc(2026, 12, 1, 22, 30), utc(2026, 12, 2, 6)),  # 23:30 CET: quiet until 07:00 tomorrow
    (utc(2026, 12, 2, 5), utc(2026, 12, 2, 6)),       # 06:00 CET: until 07:00 today
    (utc(2026, 12, 2, 6), None),                      # 07:00 is the end, not quiet
    (utc(2026, 12, 2, 11), None),
    (utc(2026, 12, 1, 21), utc(2026, 12, 2, 6)),      # 22:00 CET is the start
])
def test_quiet_hours_across_midnight(now: datetime, expected: datetime | None) -> None:
    assert quiet_until(QuietHours(start=22, end=7), BERLIN, now) == expected


def test_quiet_hours_within_a_day() -> None:
    lunch = QuietHours(start=12, end=14)
    assert quiet_until(lunch, BERLIN, utc(2026, 12, 2, 12)) == utc(2026, 12, 2, 13)
    assert quiet_until(lunch, BERLIN, utc(2026, 12, 2, 13)) is None


def test_quiet_hours_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="different hours"):
        QuietHours(start=7, end=7)


def test_mute_lasts_until_local_midnight_of_its_date() -> None:
    until = date(2026, 12, 10)
    assert muted(until, BERLIN, utc(2026, 12, 9, 22, 59))  # 23:59 in Berlin
    assert not muted(until, BERLIN, utc(2026, 12, 9, 23))  # midnight in Berlin
    assert not muted(None, BERLIN, utc(2026, 12, 1))


def test_unknown_timezone_is_a_clear_error() -> None:
    with pytest.raises(UnknownTimezone, match="Mars/Olympus"):
        zone("Mars/Olympus")
