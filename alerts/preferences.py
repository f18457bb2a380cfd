"""The preferences page's form: the subscriber's timezone and, per rule, mode
(immediate, digest or off), digest hour and weekday, mute date, quiet hours and
whether possibly on-topic items go into the digest.
Reading the form is pure (:func:`read_preferences`); saving needs the engine.

Field names carry the rule id (``mode-<rule id>``), so one form covers every
subscription and a field for a rule the address does not have is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError

from alerts.rule_model import DeliveryMode
from alerts.schedules import DigestSchedule, QuietHours, UnknownTimezone, zone
from alerts.subscribers import Subscriber, add_confirmed, get_subscriber, save_subscriber
from alerts.subscriptions import Subscription, save_subscription
from coverwatch.settings import Settings
from search.engine import SearchEngine

OFF = "off"


class InvalidPreferences(ValueError):
    """A field the form should not have allowed; the message names it."""


@dataclass(frozen=True)
class Preferences:
    timezone: str
    subscriptions: list[Subscription]


def _field(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0].strip()


def _hour(form: Mapping[str, Sequence[str]], name: str, default: int | None) -> int | None:
    text = _field(form, name)
    if not text:
        return default
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise InvalidPreferences(f"{name}: an hour from 0 to 23, not {text!r}")
    return int(text)


def _include_possible(form: Mapping[str, Sequence[str]], current: Subscription) -> bool:
    # The page sends a hidden "off" before the checkbox, since an unchecked box
    # sends nothing: no value at all means the form did not show the choice.
    name = f"possible-{current.rule_id}"
    values = [value.strip() for value in form.get(name) or []]
    if not values:
        return current.include_possible
    if not set(values) <= {"on", "off"}:
        raise InvalidPreferences(f"{name}: on or off, not {values[-1]!r}")
    return "on" in values


def _read_one(form: Mapping[str, Sequence[str]], current: Subscription) -> Subscription:
    rule = current.rule_id
    mode = _field(form, f"mode-{rule}") or (current.mode.value if current.active else OFF)
    if mode not in {OFF, *DeliveryMode}:
        raise InvalidPreferences(f"mode-{rule}: immediate, digest or off, not {mode!r}")
    try:
        digest = DigestSchedule.model_validate({
            "frequency": _field(form, f"frequency-{rule}") or current.digest.frequency,
            "hour": _hour(form, f"hour-{rule}", current.digest.hour),
            "weekday": _hour(form, f"weekday-{rule}", current.digest.weekday)})
        start, end = _hour(form, f"quiet_start-{rule}", None), _hour(form, f"quiet_end-{rule}", None)
        quiet = QuietHours(start=start, end=end) if start is not None and end is not None else None
    except ValidationError as failure:
        raise InvalidPreferences(f"rule {current.rule_name}: {failure.errors()[0]['msg']}") from failure
    mute_text = _field(form, f"mute-{rule}")
    try:
        mute_until = date.fromisoformat(mute_text) if mute_text else None
    except ValueError as failure:
        raise InvalidPreferences(f"mute-{rule}: a date as YYYY-MM-DD, not {mute_text!r}") from failure
    return current.model_copy(update={
        "active": mode != OFF, "mode": DeliveryMode(mode) if mode != OFF else current.mode,
        "digest": digest, "quiet_hours": quiet, "mute_until": mute_until,
        "include_possible": _include_possible(form, current)})


def read_preferences(form: Mapping[str, Sequence[str]], timezone: str,
                     subscriptions: Sequence[Subscription]) -> Preferences:
    chosen = _field(form, "timezone") or timezone
    try:
        zone(chosen)
    except UnknownTimezone as failure:
        raise InvalidPreferences(str(failure)) from failure
    return Preferences(chosen, [_read_one(form, current) for current in subscriptions])


def save_preferences(engine: SearchEngine, settings: Settings, address: str, preferences: Preferences,
                     now: datetime | None = None) -> Subscriber:
    """Store the choices. An address only a rule listed gets a confirmed record
    here: the link it used was mailed to it, which is confirmation enough."""
    subscriber = get_subscriber(engine, settings, address)
    if subscriber is None:
        subscriber = add_confirmed(engine, settings, address, preferences.timezone,
                                   "set preferences from an emailed link", now)
    elif subscriber.timezone != preferences.timezone:
        subscriber = subscriber.model_copy(update={"timezone": preferences.timezone})
        save_subscriber(engine, settings, subscriber)
    for subscription in preferences.subscriptions:
        save_subscription(engine, settings, subscription, now)
    return subscriber

