"""Source health on a new source list: dead addresses go at once, outages take longer."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.health import DISABLE_AFTER_FAILURES, SourceState, is_due, record_run, wrong_address
from crawlers.sources import parse_sources

SOURCE = parse_sources("sources:\n  - {name: desk-feed, urls: 'https://a.example/feed', schedule: every 30m}\n")[0]
NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def _report(**fields: object) -> dict[str, object]:
    return {"entries": 0, "articles": 0, "not_modified": 0, "errors": {}, "rejected": {}, **fields}


def test_a_never_working_source_answered_404_is_disabled_on_its_first_run() -> None:
    state = record_run(SourceState("desk-feed"), SOURCE, _report(errors={"feed_http_404": 1}), NOW)
    assert state.status == "disabled"
    assert "dead address" in str(state.disabled_reason) and "sources enable desk-feed" in str(state.disabled_reason)
    assert not is_due(state, NOW.replace(year=2027))


def test_an_outage_on_the_first_run_only_backs_off() -> None:
    state = SourceState("desk-feed")
    for _ in range(DISABLE_AFTER_FAILURES - 1):
        state = record_run(state, SOURCE, _report(errors={"feed_unreachable": 1}), NOW)
    assert state.status == "failing"
    state = record_run(state, SOURCE, _report(errors={"feed_unreachable": 1}), NOW)
    assert state.status == "disabled"


def test_a_404_after_the_source_worked_is_not_a_dead_address() -> None:
    state = record_run(SourceState("desk-feed"), SOURCE, _report(entries=5, articles=2), NOW)
    state = record_run(state, SOURCE, _report(errors={"feed_http_404": 1}), NOW)
    assert state.status == "failing" and state.disabled_reason is None


def test_wrong_address_needs_every_index_error_to_say_so() -> None:
    assert wrong_address(_report(errors={"feed_http_404": 1, "sitemap_http_410": 2}))
    assert not wrong_address(_report(errors={"feed_http_404": 1, "feed_timeout": 1}))
    assert not wrong_address(_report(errors={"article_http_404": 3}))
    assert not wrong_address(_report())


def test_running_totals_add_up_across_runs() -> None:
    state = SourceState("desk-feed")
    state = record_run(state, SOURCE, _report(entries=10, articles=4, errors={"article_timeout": 1}), NOW)
    state = record_run(state, SOURCE, _report(not_modified=1), NOW)
    state = record_run(state, SOURCE, _report(errors={"feed_timeout": 1}), NOW)
    assert (state.polls_total, state.items_total, state.new_items_total) == (3, 10, 4)
    assert (state.errors_total, state.not_modified_total, state.failed_runs_total) == (2, 1, 1)
    assert state.items_found == 0 and state.consecutive_failures == 1
