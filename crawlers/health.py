"""Source health: what each run found, failures that back a source off and finally
disable it, and extraction drift (a sudden rise in empty or very short bodies).

The decisions are pure functions of a source's state and a run's report; the
state itself is one Redis hash per source, shared by CLI, workers and API."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis

from coverwatch.settings import Settings
from crawlers.schedule import parse_schedule
from crawlers.sources import Source

DISABLE_AFTER_FAILURES = 8
MAX_BACKOFF = timedelta(hours=24)
DRIFT_MIN_ARTICLES = 5
DRIFT_SHORT_SHARE = 0.5
DRIFT_BASELINE_SHARE = 0.2


@dataclass
class SourceState:
    name: str
    last_run: str | None = None
    last_success: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    disabled_reason: str | None = None
    drift: str | None = None
    next_run: str | None = None
    items_found: int = 0
    new_items: int = 0
    errors: int = 0
    short_shares: list[float] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.disabled_reason:
            return "disabled"
        if self.consecutive_failures:
            return "failing"
        if self.drift:
            return "drift"
        return "ok" if self.last_success else "new"


def run_failed(report: dict[str, Any]) -> str | None:
    """Why a run counts as a failure, or None: nothing could be read from the
    source's own index pages (feed, sitemap or listing)."""
    index_errors = {k: v for k, v in report.get("errors", {}).items() if not k.startswith("article_")}
    malformed = {k: v for k, v in report.get("rejected", {}).items()
                 if k in {"feed_malformed", "sitemap_malformed", "listing_not_html"}}
    readable = report.get("entries", 0) or report.get("not_modified", 0) or report.get("articles", 0)
    if (index_errors or malformed) and not readable:
        return ", ".join(f"{k} x{v}" for k, v in {**index_errors, **malformed}.items())
    return None


def record_run(state: SourceState, source: Source, report: dict[str, Any], now: datetime) -> SourceState:
    state.last_run = now.isoformat()
    state.items_found = int(report.get("entries", 0))
    state.new_items = int(report.get("articles", 0))
    state.errors = sum(report.get("errors", {}).values()) + sum(report.get("rejected", {}).values())
    schedule = parse_schedule(source.schedule)
    failure = run_failed(report)
    if failure:
        state.consecutive_failures += 1
        state.last_error = failure
        if state.consecutive_failures >= DISABLE_AFTER_FAILURES:
            state.disabled_reason = f"{state.consecutive_failures} consecutive failed runs; last: {failure}"
        interval = schedule.next_run(now) - now
        backoff = min(interval * (2 ** state.consecutive_failures), MAX_BACKOFF)
        state.next_run = (now + backoff).isoformat()
        return state
    state.consecutive_failures = 0
    state.last_success = now.isoformat()
    state.next_run = schedule.next_run(now).isoformat()
    articles = int(report.get("articles", 0))
    if articles >= DRIFT_MIN_ARTICLES:
        share = int(report.get("short_bodies", 0)) / articles
        baseline = statistics.median(state.short_shares) if state.short_shares else 0.0
        if share >= DRIFT_SHORT_SHARE and baseline < DRIFT_BASELINE_SHARE and state.short_shares:
            state.drift = (f"{share:.0%} of bodies short or empty this run against {baseline:.0%} usually: "
                           "the outlet's page layout may have changed")
        elif share < DRIFT_SHORT_SHARE:
            state.drift = None
        state.short_shares = [*state.short_shares, round(share, 3)][-10:]
    return state


def is_due(state: SourceState, now: datetime) -> bool:
    if state.disabled_reason:
        return False
    return state.next_run is None or datetime.fromisoformat(state.next_run) <= now


class SourceStates:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def _key(self, name: str) -> str:
        return self._settings.redis_key("source", name)

    def get(self, name: str) -> SourceState:
        raw = cast(bytes | None, self._client.get(self._key(name)))
        return SourceState(**json.loads(raw)) if raw else SourceState(name)

    def put(self, state: SourceState) -> None:
        self._client.set(self._key(state.name), json.dumps(asdict(state)))

    def record(self, source: Source, report: dict[str, Any], now: datetime | None = None) -> SourceState:
        state = record_run(self.get(source.name), source, report, now or datetime.now(UTC))
        self.put(state)
        return state

    def enable(self, name: str) -> None:
        state = self.get(name)
        state.disabled_reason, state.consecutive_failures, state.next_run = None, 0, None
        self.put(state)

    def crawl_lock(self, name: str, seconds: int) -> Any:
        """Never two runs of one source at once, whichever process starts them."""
        return self._client.lock(self._settings.redis_key("lock", "crawl", name), timeout=seconds,
                                 blocking=False)
