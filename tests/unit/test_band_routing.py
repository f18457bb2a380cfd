"""Relevance bands and subscribers: an on-topic firing routes as always, a
possibly on-topic one goes only into the digest of a subscription that opted in,
an off-topic one nowhere; the beat-run rule types keep counting on-topic only."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from alerts.bands import Band, band_of, percolates
from alerts.digests import DigestEntry, entry_for, group_digest
from alerts.evaluation import BandPreview
from alerts.preferences import InvalidPreferences, read_preferences
from alerts.rule_model import AlertRule, DeliveryMode, Firing
from alerts.schedules import DigestSchedule, QuietHours
from alerts.subscriber_mail import digest_email
from alerts.subscribers import Subscriber, SubscriberStatus
from alerts.subscriptions import Route, Subscription, implied_by, route
from coverwatch.models import Article
from coverwatch.settings import Settings
from search import queries
from workers.relevance import RelevanceBand

NOW = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
NEXT_DIGEST = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
DESK = Subscriber(address="desk@example.org", timezone="Europe/Berlin", status=SubscriberStatus.CONFIRMED,
                  created_at=NOW)
RULE = AlertRule(name="Turla", query_string="Turla", subscribers=["desk@example.org"])


def subscription(**changes: Any) -> Subscription:
    return Subscription.model_validate({"address": "desk@example.org", "rule_id": "r1", "rule_name": "Turla",
                                        "digest": DigestSchedule(hour=8), **changes})


def article(band: str | None, on_topic: bool | None) -> Article:
    return Article(url="https://news.example/turla", title="Turla", body="Text.", source="wire",
                   relevance_band=band, on_topic=on_topic)


def test_band_values_are_the_relevance_models() -> None:
    assert {band.value for band in Band} == {band.value for band in RelevanceBand}


def test_an_articles_band_and_whether_it_is_matched() -> None:
    assert band_of(article("on_topic", True)) is Band.ON_TOPIC
    assert band_of(article("possible", False)) is Band.POSSIBLE
    assert band_of(article("off_topic", False)) is Band.OFF_TOPIC
    # Scored before bands existed: on_topic alone decides, as it did.
    assert band_of(article(None, None)) is Band.ON_TOPIC
    assert band_of(article(None, False)) is Band.OFF_TOPIC
    assert [percolates(article(b, b == "on_topic")) for b in ("on_topic", "possible", "off_topic")] == [
        True, True, False]


def test_on_topic_routes_as_the_subscription_says() -> None:
    assert route(DESK, subscription(), NOW, band=Band.ON_TOPIC).route is Route.NOW
    assert route(DESK, subscription(include_possible=True), NOW).route is Route.NOW
    digest = route(DESK, subscription(mode=DeliveryMode.DIGEST), NOW, band=Band.ON_TOPIC)
    assert (digest.route, digest.due_at) == (Route.DIGEST, NEXT_DIGEST)


@pytest.mark.parametrize("mode", list(DeliveryMode))
def test_possible_goes_nowhere_without_the_opt_in(mode: DeliveryMode) -> None:
    decision = route(DESK, subscription(mode=mode), NOW, band=Band.POSSIBLE)
    assert decision.route is Route.DROP and "did not opt in" in decision.reason


@pytest.mark.parametrize("mode", list(DeliveryMode))
def test_possible_goes_only_into_the_next_digest_with_the_opt_in(mode: DeliveryMode) -> None:
    decision = route(DESK, subscription(mode=mode, include_possible=True), NOW, band=Band.POSSIBLE)
    assert (decision.route, decision.due_at, decision.reason) == (Route.DIGEST, NEXT_DIGEST, "possibly on-topic")


def test_possible_waits_for_the_digest_not_for_the_end_of_quiet_hours() -> None:
    quiet = subscription(include_possible=True, quiet_hours=QuietHours(start=22, end=7))
    assert route(DESK, quiet, NOW).due_at == datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert route(DESK, quiet, NOW, band=Band.POSSIBLE).due_at == NEXT_DIGEST


def test_possible_still_obeys_mute_leave_and_subscriber_status() -> None:
    opted = subscription(include_possible=True)
    assert route(DESK, opted.model_copy(update={"mute_until": date(2026, 12, 3)}), NOW,
                 band=Band.POSSIBLE).route is Route.DROP
    assert route(DESK, opted.model_copy(update={"active": False}), NOW, band=Band.POSSIBLE).route is Route.DROP
    pending = DESK.model_copy(update={"status": SubscriberStatus.PENDING})
    assert route(pending, opted, NOW, band=Band.POSSIBLE).route is Route.DROP


def test_implicit_subscriptions_never_get_possible_items() -> None:
    implied = implied_by(RULE.model_copy(update={"mode": DeliveryMode.DIGEST}), "desk@example.org")
    assert implied.include_possible is False
    assert route(None, implied, NOW, band=Band.POSSIBLE).route is Route.DROP
    # Even if one were made opted in, the rule's list is not where an opt-in comes from.
    forced = implied.model_copy(update={"include_possible": True})
    assert route(DESK, forced, NOW, listed_by_rule=True, band=Band.POSSIBLE).route is Route.DROP
    assert route(None, implied, NOW, band=Band.ON_TOPIC).route is Route.DIGEST


def test_off_topic_never_routes() -> None:
    for opted in (False, True):
        decision = route(DESK, subscription(include_possible=opted), NOW, band=Band.OFF_TOPIC)
        assert decision.route is Route.DROP and "off-topic" in decision.reason


def test_the_preferences_checkbox_sets_the_opt_in_per_rule() -> None:
    turla = subscription()
    checked = read_preferences({"possible-r1": ["off", "on"]}, "UTC", [turla]).subscriptions[0]
    assert checked.include_possible is True
    unchecked = read_preferences({"possible-r1": ["off"]}, "UTC", [checked]).subscriptions[0]
    assert unchecked.include_possible is False
    # A form without the field keeps what the subscription had.
    assert read_preferences({}, "UTC", [checked]).subscriptions[0].include_possible is True
    with pytest.raises(InvalidPreferences, match="possible-r1"):
        read_preferences({"possible-r1": ["yes"]}, "UTC", [turla])


@pytest.mark.parametrize("body", [
    queries.rule_matches_between({"match_all": {}}, "2026-11-01", "2026-12-01"),
    queries.rule_match_sightings({"match_all": {}}, "2026-11-01", "2026-12-01", ("country",)),
    queries.rule_window_counts({"match_all": {}}, {"now": ("2026-11-30", "2026-12-01")}),
    queries.rule_latest_match({"match_all": {}}, "2026-11-01", "2026-12-01"),
    queries.term_first_sightings({"match_all": {}}, "actors", "2026-11-01", "2026-12-01"),
    queries.term_last_sightings({"match_all": {}}, "actors", ["G0010"], "2026-11-01", "2026-12-01"),
], ids=["preview", "sightings", "window_counts", "latest", "first_sightings", "last_sightings"])
def test_rule_types_run_from_beat_count_on_topic_articles_only(body: dict[str, Any]) -> None:
    assert {"term": {"on_topic": False}} in body["query"]["bool"]["must_not"]


def test_preview_summary_names_each_band() -> None:
    firing = Firing(RULE, article("on_topic", True), "s1", NOW)
    maybe = Firing(RULE, article("possible", False), "s2", NOW)
    preview = BandPreview("match", [firing] * 12, [maybe] * 5, 7, 2, counts_possible=True)
    assert preview.summary() == ("on_topic: 12 alerts; possible: 5 more (digest opt-in only); "
                                 "off_topic kept by sources: 2 (never alert)")
    assert preview.counts() == {"on_topic": 12, "possible": 5, "off_topic": 2}
    periodic = BandPreview("threshold", [firing], [], 1, 0, counts_possible=False)
    assert periodic.summary() == ("on_topic: 1 alert; possible: none (1 match; threshold rules count on-topic "
                                  "articles only); off_topic kept by sources: 0 (never alert)")


def _entry(article_id: str, possible: bool) -> DigestEntry:
    return DigestEntry(address="desk@example.org", recipient="desk@example.org", rule_id="r1", rule_name="Turla",
                       group_key=f"s-{article_id}", story_id=f"s-{article_id}", article_id=article_id,
                       title=f"Report {article_id}", url=f"https://news.example/{article_id}", source="wire",
                       published_at=NOW, lead="Lead.", queued_at=NOW, due_at=NEXT_DIGEST, possibly_on_topic=possible)


def test_digest_marks_possible_items_in_text_and_html(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, public_url="https://cw.example", subscriber_secret=None)
    firing = Firing(RULE, article("possible", False), "s1", NOW)
    assert entry_for(firing, "desk@example.org", "desk@example.org", NEXT_DIGEST, NOW).possibly_on_topic is True
    stories = group_digest([_entry("sure", False), _entry("maybe", True)], set(), settings.public_url)
    message = digest_email(settings, "desk@example.org", {"stories": stories, "rule_names": ["Turla"],
                                                         "since": "1 Dec 2026"}, "<d@cw>")
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert " * (possibly on-topic) Report maybe" in text and " * Report sure" in text
    assert "(possibly on-topic) Report sure" not in text
    assert html.count(">possibly on-topic</span>") == 1
    assert "you asked for them in digests" in text and "you asked for them in digests" in html
    only_sure = group_digest([_entry("sure", False)], set(), settings.public_url)
    plain = digest_email(settings, "desk@example.org", {"stories": only_sure, "rule_names": ["Turla"],
                                                       "since": "1 Dec 2026"}, "<d@cw>")
    assert b"possibly on-topic" not in plain.as_bytes()


def test_the_preferences_page_shows_the_opt_in_per_rule() -> None:
    from alerts.schedules import WEEKDAYS
    from web.subscriber_pages import MODES, page

    items = [{**subscription(include_possible=opted, rule_id=rule).model_dump(), "current_mode": "immediate"}
             for rule, opted in (("r-yes", True), ("r-no", False))]
    html = bytes(page("preferences", "Preferences", address="desk@example.org", token="t", error="",
                      timezone="UTC", subscriptions=items, modes=MODES, weekdays=WEEKDAYS, left=False,
                      unsubscribe_url="https://cw.example/unsubscribe").body).decode()
    assert '<input type="checkbox" name="possible-r-yes" value="on" checked>' in html
    assert '<input type="checkbox" name="possible-r-no" value="on">' in html
    assert '<input type="hidden" name="possible-r-no" value="off">' in html
