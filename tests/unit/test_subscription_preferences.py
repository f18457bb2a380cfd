"""The preferences form, read without the engine: per-rule fields, defaults
kept, off as an inactive subscription, and clear errors."""

from datetime import date

import pytest

from alerts.preferences import InvalidPreferences, read_preferences
from alerts.rule_model import DeliveryMode
from alerts.schedules import QuietHours
from alerts.subscriptions import Subscription

TURLA = Subscription(address="desk@example.org", rule_id="r-turla", rule_name="Turla")
TYPHOON = Subscription(address="desk@example.org", rule_id="r-typhoon", rule_name="Volt Typhoon",
                       quiet_hours=QuietHours(start=22, end=7))


def test_fields_apply_to_their_own_rule_only() -> None:
    form = {"timezone": ["Asia/Tokyo"], "mode-r-turla": ["digest"], "frequency-r-turla": ["weekly"],
            "weekday-r-turla": ["4"], "hour-r-turla": ["6"], "mute-r-turla": ["2026-12-24"],
            "mode-r-typhoon": ["immediate"], "quiet_start-r-typhoon": ["22"], "quiet_end-r-typhoon": ["7"],
            "mode-r-unknown": ["off"]}
    chosen = read_preferences(form, "UTC", [TURLA, TYPHOON])
    assert chosen.timezone == "Asia/Tokyo"
    turla, typhoon = chosen.subscriptions
    assert (turla.mode, turla.digest.describe(), turla.mute_until) == (
        DeliveryMode.DIGEST, "weekly on friday at 06:00", date(2026, 12, 24))
    assert typhoon.mode is DeliveryMode.IMMEDIATE and typhoon.quiet_hours == QuietHours(start=22, end=7)
    assert len(chosen.subscriptions) == 2


def test_empty_quiet_fields_clear_quiet_hours_and_off_keeps_the_mode() -> None:
    chosen = read_preferences({"mode-r-typhoon": ["off"]}, "Europe/Berlin", [TYPHOON])
    [typhoon] = chosen.subscriptions
    assert not typhoon.active and typhoon.mode is DeliveryMode.IMMEDIATE and typhoon.quiet_hours is None
    assert chosen.timezone == "Europe/Berlin"


@pytest.mark.parametrize(("form", "complaint"), [
    ({"hour-r-turla": ["25"]}, "hour-r-turla"),
    ({"mode-r-turla": ["hourly"]}, "immediate, digest or off"),
    ({"mute-r-turla": ["next week"]}, "YYYY-MM-DD"),
    ({"weekday-r-turla": ["9"]}, "Turla"),
    ({"quiet_start-r-turla": ["8"], "quiet_end-r-turla": ["8"]}, "different hours"),
    ({"timezone": ["Nowhere/City"]}, "Nowhere/City"),
])
def test_bad_fields_are_named(form: dict[str, list[str]], complaint: str) -> None:
    with pytest.raises(InvalidPreferences, match=complaint):
        read_preferences(form, "UTC", [TURLA])
