"""Window arithmetic of the periodic rule types and of realert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerts.windows import Coverage, count_in_window, realert_due, story_growth, threshold_crossings

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _at(*minutes: float) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_threshold_fires_when_the_count_is_reached_inside_the_window() -> None:
    crossings = threshold_crossings(_at(0, 20, 50), HOUR, minimum=3, realert=HOUR)
    assert [(c.at, c.count, c.index) for c in crossings] == [(T0 + timedelta(minutes=50), 3, 2)]


def test_threshold_window_is_half_open() -> None:
    # The first article is exactly one window older than the third: it no longer counts.
    assert threshold_crossings(_at(0, 30, 60), HOUR, minimum=3, realert=HOUR) == []
    assert len(threshold_crossings(_at(0, 30, 59.9), HOUR, minimum=3, realert=HOUR)) == 1


def test_threshold_refires_only_after_realert() -> None:
    times = _at(0, 1, 2, 3, 30, 61, 62, 125)
    crossings = threshold_crossings(times, HOUR, minimum=2, realert=HOUR)
    # 08:01 (two in the window), then nothing until 09:01 or later with two in the window.
    assert [c.at for c in crossings] == [T0 + timedelta(minutes=1), T0 + timedelta(minutes=61)]
    spaced = threshold_crossings(times, HOUR, minimum=2, realert=timedelta(minutes=10))
    assert [c.at for c in spaced] == _at(1, 30, 61)


def test_count_in_window_excludes_the_far_edge_and_the_future() -> None:
    now = T0 + HOUR
    assert count_in_window(_at(0, 0.5, 59, 60, 61), now, HOUR) == 3


def _coverage(story: str, outlet: str, minutes: float) -> Coverage:
    return Coverage(story, outlet, T0 + timedelta(minutes=minutes), f"{story}-{outlet}-{minutes}")


def test_story_growth_counts_distinct_outlets_within_the_window() -> None:
    rows = [_coverage("s1", "a", 0), _coverage("s1", "a", 10), _coverage("s1", "b", 20),
            _coverage("s1", "c", 59), _coverage("s1", "d", 70)]
    grown = story_growth(rows, min_outlets=3, within=HOUR)
    assert [(g.story_id, g.at, g.outlets, g.article_id) for g in grown] == [
        ("s1", T0 + timedelta(minutes=59), ("a", "b", "c"), "s1-c-59")]


def test_story_growth_lets_old_outlets_fall_out_of_the_window() -> None:
    # Within an hour, a and b have left the window before c and d come; within 70 minutes b is still in.
    rows = [_coverage("s2", "a", 0), _coverage("s2", "b", 30), _coverage("s2", "c", 80),
            _coverage("s2", "d", 95)]
    assert story_growth(rows, min_outlets=3, within=HOUR) == []
    grown = story_growth(rows, min_outlets=3, within=timedelta(minutes=70))
    assert [(g.at, g.outlets) for g in grown] == [(T0 + timedelta(minutes=95), ("b", "c", "d"))]


def test_story_growth_reports_each_story_once_in_time_order() -> None:
    rows = [_coverage("late", "a", 100), _coverage("late", "b", 101), _coverage("late", "c", 102),
            _coverage("early", "x", 5), _coverage("early", "y", 6), _coverage("early", "y", 7),
            _coverage("early", "z", 8), _coverage("early", "w", 9), _coverage("quiet", "a", 1)]
    grown = story_growth(rows, min_outlets=2, within=HOUR)
    assert [(g.story_id, g.at) for g in grown] == [("early", T0 + timedelta(minutes=6)),
                                                   ("late", T0 + timedelta(minutes=101))]


def test_realert_is_due_only_after_a_whole_window() -> None:
    assert not realert_due(T0, T0 + timedelta(minutes=59), HOUR)
    assert realert_due(T0, T0 + HOUR, HOUR)
    assert not realert_due(T0, T0 + timedelta(days=365), None)
    assert realert_due(T0, T0, timedelta(0))
