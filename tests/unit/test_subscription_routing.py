"""Where one firing goes for one subscription: now, into a digest, or nowhere."""

from datetime import UTC, date, datetime

from alerts.rule_model import DeliveryMode
from alerts.schedules import DigestSchedule, QuietHours
from alerts.subscribers import Subscriber, SubscriberStatus, may_receive
from alerts.subscriptions import Route, Subscription, route

NOW = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)  # 22:30 in Berlin


def subscriber(status: SubscriberStatus = SubscriberStatus.CONFIRMED, timezone: str = "Europe/Berlin") -> Subscriber:
    return Subscriber(address="Desk@Example.org", timezone=timezone, status=status, created_at=NOW)


def subscription(**changes: object) -> Subscription:
    return Subscription(address="desk@example.org", rule_id="r1", rule_name="Turla", **changes)


def test_pending_bouncing_and_unsubscribed_hear_nothing() -> None:
    for status in (SubscriberStatus.PENDING, SubscriberStatus.BOUNCING, SubscriberStatus.UNSUBSCRIBED):
        decision = route(subscriber(status), subscription(), NOW)
        assert decision.route is Route.DROP and status.value in decision.reason
        # Not even as an address a rule lists.
        assert route(subscriber(status), subscription(implicit=True), NOW).route is Route.DROP


def test_an_address_without_record_hears_only_through_a_rule_that_lists_it() -> None:
    assert route(None, subscription(implicit=True), NOW).route is Route.NOW
    assert route(None, subscription(), NOW, listed_by_rule=True).route is Route.NOW
    assert route(None, subscription(), NOW).route is Route.DROP
    assert may_receive(None, listed_by_rule=False) is False


def test_confirmed_immediate_is_sent_now() -> None:
    assert route(subscriber(), subscription(), NOW).route is Route.NOW


def test_digest_mode_is_due_at_the_next_local_slot() -> None:
    decision = route(subscriber(), subscription(mode=DeliveryMode.DIGEST, digest=DigestSchedule(hour=8)), NOW)
    assert decision.route is Route.DIGEST
    assert decision.due_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_quiet_hours_send_into_a_digest_due_when_they_end() -> None:
    decision = route(subscriber(), subscription(quiet_hours=QuietHours(start=22, end=7)), NOW)
    assert (decision.route, decision.reason) == (Route.DIGEST, "quiet hours")
    assert decision.due_at == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    # The same hour is not quiet for someone in UTC (21:30 there).
    utc_desk = subscriber(timezone="UTC")
    assert route(utc_desk, subscription(quiet_hours=QuietHours(start=22, end=7)), NOW).route is Route.NOW


def test_muted_and_left_rules_drop() -> None:
    assert route(subscriber(), subscription(mute_until=date(2026, 12, 3)), NOW).route is Route.DROP
    assert route(subscriber(), subscription(mute_until=date(2026, 12, 1)), NOW).route is Route.NOW
    assert route(subscriber(), subscription(active=False), NOW).route is Route.DROP


def test_addresses_are_one_record_whatever_their_case() -> None:
    assert subscriber().address == "desk@example.org"
    assert subscriber().id == Subscriber(address="DESK@example.org", created_at=NOW).id
