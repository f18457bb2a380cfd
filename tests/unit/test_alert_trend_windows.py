"""Window arithmetic of spike, flatline and new_term, and story growth by countries."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from alerts.trend_windows import (
    Sighting,
    SpikeShape,
    count_between,
    first_return,
    new_terms,
    quiet_at,
    quiet_spells,
    rate_ratio,
    spike_at,
    spikes,
)
from alerts.windows import Coverage, story_growth

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def _at(*hours: float) -> list[datetime]:
    return [T0 + timedelta(hours=h) for h in hours]


def test_count_between_is_half_open() -> None:
    times = _at(0, 1, 2, 3)
    assert count_between(times, T0, T0 + 2 * HOUR) == 2  # 1 h and 2 h; 0 h is the open edge
    assert count_between(times, T0 - HOUR, T0) == 1
    assert count_between(times, T0 + 3 * HOUR, T0 + 9 * HOUR) == 0


def test_rate_ratio_compares_rates_not_counts() -> None:
    # 6 in 2 hours against 12 in 24 hours: 3/h against 0.5/h.
    assert rate_ratio(6, 2 * HOUR, 12, 24 * HOUR) == 6.0
    assert math.isinf(rate_ratio(1, HOUR, 0, DAY))
    assert rate_ratio(0, HOUR, 0, DAY) == 0.0


SHAPE = SpikeShape(current=HOUR, baseline=10 * HOUR, min_ratio=4.0, min_count=3)


def test_spike_needs_both_the_ratio_and_the_count() -> None:
    baseline = _at(-9, -6, -3)  # 3 in the 10 h before the current hour: 0.3/h
    now = T0 + HOUR
    assert spike_at([*baseline, *_at(0.2, 0.5)], now, SHAPE) is None  # 2 < min_count
    spike = spike_at([*baseline, *_at(0.2, 0.5, 0.9)], now, SHAPE)
    assert spike is not None and (spike.current, spike.baseline) == (3, 3) and spike.ratio == 10.0
    busy_baseline = [*_at(*[-9 + 0.5 * i for i in range(18)]), *_at(0.2, 0.5, 0.9)]
    assert spike_at(busy_baseline, now, SHAPE) is None  # 1.8/h before: only 1.7x


def test_spike_min_baseline_refuses_a_ratio_against_silence() -> None:
    times = _at(0.2, 0.5, 0.9)
    assert spike_at(times, T0 + HOUR, SHAPE) is not None
    strict = SpikeShape(HOUR, 10 * HOUR, 4.0, 3, min_baseline=1)
    assert spike_at(times, T0 + HOUR, strict) is None


def test_spikes_fire_at_the_arriving_article_once_per_realert() -> None:
    times = _at(-5, 0.1, 0.2, 0.3, 0.4, 1.5, 1.6, 1.7)
    found = spikes(times, T0, SHAPE, realert=HOUR)
    # 0.3 h makes three in the hour; 0.4 h is inside realert; 1.7 h makes three again.
    assert [spike.at for spike in found] == _at(0.3, 1.7)
    assert [spike.at for spike in spikes(times, T0 + HOUR, SHAPE, realert=HOUR)] == _at(1.7)


def test_quiet_when_fewer_than_the_minimum_remain_in_the_window() -> None:
    times = _at(0, 1, 2)
    assert quiet_at(times, T0 + 2 * HOUR, 3 * HOUR, minimum=3) is None
    quiet = quiet_at(times, T0 + 3 * HOUR, 3 * HOUR, minimum=3)  # 0 h just left the window
    assert quiet is not None and quiet.count == 2 and quiet.last_seen == T0 + 2 * HOUR


def test_quiet_spells_look_where_articles_leave_the_window() -> None:
    times = _at(0, 1, 2, 10)
    spells = quiet_spells(times, since=T0 + 2 * HOUR, until=T0 + 20 * HOUR, window=3 * HOUR, minimum=2,
                          realert=3 * HOUR)
    # 2 h: three in the window; 4 h: only 2 h left in it -> quiet; 7 h inside realert;
    # 13 h: 10 h has left too (the quiet goes on, once more after realert).
    assert [spell.at for spell in spells] == _at(4, 13)
    assert spells[0].count == 1


def test_quiet_spells_start_at_since_when_already_quiet() -> None:
    spells = quiet_spells([], since=T0, until=T0 + 2 * HOUR, window=HOUR, minimum=1, realert=HOUR)
    assert [(spell.at, spell.count, spell.last_seen) for spell in spells] == [(T0, 0, None)]


def _seen(hours: float, value: str, article: str) -> Sighting:
    return Sighting(T0 + timedelta(hours=hours), value, article)


def test_new_term_first_time_and_return_after_the_lookback() -> None:
    lookback = 48 * HOUR
    sightings = [_seen(-30, "G0007", "a0"), _seen(1, "G0007", "a1"), _seen(2, "G0010", "a2"),
                 _seen(3, "G0010", "a3"), _seen(51, "G0010", "a4"), _seen(80, "G0007", "a5")]
    found = new_terms(sightings, since=T0, lookback=lookback)
    # G0007 was seen 31 h before its first sighting since T0: not new. G0010 is new at 2 h,
    # and new again at 51 h (exactly 48 h after 3 h: the window is half open). G0007 at 80 h
    # comes 79 h after its last sighting.
    assert [(term.sighting.article_id, term.last_seen) for term in found] == [
        ("a2", None), ("a4", T0 + 3 * HOUR), ("a5", T0 + HOUR)]


def test_new_term_before_since_is_history_only() -> None:
    sightings = [_seen(-5, "DK", "a0"), _seen(1, "DK", "a1")]
    assert new_terms(sightings, since=T0, lookback=DAY) == []
    assert [t.sighting.article_id for t in new_terms(sightings, since=T0 - 6 * HOUR, lookback=DAY)] == ["a0"]


def test_first_return_matches_the_sliding_rule() -> None:
    assert first_return(T0, None, DAY)
    assert first_return(T0, T0 - DAY, DAY)
    assert not first_return(T0, T0 - DAY + timedelta(seconds=1), DAY)


def _cover(story: str, outlet: str, minutes: float, country: str | None) -> Coverage:
    return Coverage(story, outlet, T0 + timedelta(minutes=minutes), f"{story}-{outlet}-{minutes}", country)


def test_story_growth_by_countries_of_outlets() -> None:
    rows = [_cover("s1", "wire-de", 0, "DE"), _cover("s1", "daily-de", 10, "DE"),
            _cover("s1", "post-fr", 20, "FR"), _cover("s1", "blog", 25, None), _cover("s1", "times-gb", 30, "GB")]
    [grown] = story_growth(rows, None, HOUR, min_countries=3)
    assert grown.at == T0 + timedelta(minutes=30) and grown.countries == ("DE", "FR", "GB")
    # Half open: at 30 min a 20-minute window no longer holds daily-de (10 min), so DE is gone.
    assert story_growth(rows, None, timedelta(minutes=20), min_countries=3) == []
    assert len(story_growth(rows, None, timedelta(minutes=20.5), min_countries=3)) == 1
    # Either reach fires: four outlets come before three countries.
    [either] = story_growth(rows, 4, HOUR, min_countries=3)
    assert either.at == T0 + timedelta(minutes=25) and len(either.outlets) == 4
