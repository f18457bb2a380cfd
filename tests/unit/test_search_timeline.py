"""A story's timeline: who broke it, who followed, how long after, where."""

from __future__ import annotations

from datetime import UTC, datetime

from web.timelines import build_timeline, elapsed


def test_the_first_original_broke_it_and_reprints_are_told_apart() -> None:
    articles = [
        {"id": "c", "source": "reprint-desk", "published_at": "2026-09-01T06:30:00Z", "duplicate_of": "b",
         "language": "en", "country": "GB"},
        {"id": "b", "source": "wire-desk", "published_at": "2026-09-01T07:00:00Z", "language": "en", "country": "US"},
        {"id": "d", "source": "daily-paper", "published_at": "2026-09-01T12:10:00+02:00", "language": "de",
         "country": "DE"},
        {"id": "e", "source": "wire-desk", "published_at": "2026-09-04T07:00:00Z", "language": "en", "country": "US"},
    ]
    timeline = build_timeline({"id": "s1", "title": "Implant found"}, articles)
    assert [(e.id, e.role, e.after_first) for e in timeline.entries] == [
        ("c", "reprint", "-30 min"), ("b", "broke it", ""), ("d", "followed", "+3 h"), ("e", "followed", "+3 d")]
    assert timeline.broke_it is not None and timeline.broke_it.source == "wire-desk"
    assert [(o.source, o.articles) for o in timeline.outlets] == [
        ("reprint-desk", 1), ("wire-desk", 2), ("daily-paper", 1)]
    assert timeline.languages == {"en": 2, "de": 1}
    assert timeline.countries == {"GB": 1, "US": 1, "DE": 1}
    assert timeline.first_at == "2026-09-01T06:30:00Z"
    assert timeline.last_at == "2026-09-04T07:00:00Z"


def test_articles_without_a_time_come_last() -> None:
    timeline = build_timeline({"id": "s"}, [{"id": "x", "source": "a"},
                                            {"id": "y", "source": "b", "crawled_at": "2026-01-01T00:00:00Z"}])
    assert [e.id for e in timeline.entries] == ["y", "x"]
    assert timeline.entries[1].after_first == ""


def test_elapsed_reads_in_minutes_hours_or_days() -> None:
    first = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
    assert elapsed(first, datetime(2026, 9, 1, 7, 45, tzinfo=UTC)) == "+45 min"
    assert elapsed(first, datetime(2026, 9, 2, 6, 0, tzinfo=UTC)) == "+23 h"
    assert elapsed(first, datetime(2026, 9, 5, 7, 0, tzinfo=UTC)) == "+4 d"
    assert elapsed(first, datetime(2026, 9, 1, 5, 0, tzinfo=UTC)) == "-2 h"
    assert elapsed(None, first) == ""
