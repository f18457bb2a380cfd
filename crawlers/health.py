"""Source health: what each run found, failures that back a source off and finally
disable it, and extraction drift (a sudden rise in empty or very short bodies).

A source that has never worked and whose first run is answered 404 or 410 is
disabled at once: the server is there and says the address is wrong, so the
entry in sources.yml needs fixing, not patience. Unreachable hosts and timeouts
keep the slower rule (disabled after ``DISABLE_AFTER_FAILURES`` runs), since a
network outage on a deployment's first run looks just like them.

The decisions are pure functions of a source's state and a run's report; the
state itself is one Redis hash per source, shared by CLI, workers and API."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis

from coverwatch.connections import break_lock_held_by
from coverwatch.settings import Settings
from crawlers.schedule import parse_schedule
from crawlers.sources import Source

DISABLE_AFTER_FAILURES = 8
# Index-page answers that mean the configured address does not exist.
WRONG_ADDRESS_KINDS = ("http_404", "http_410")
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
    # Running totals since the source was first seen, for /metrics counters.
    polls_total: int = 0
    items_total: int = 0
    new_items_total: int = 0
    errors_total: int = 0
    not_modified_total: int = 0
    failed_runs_total: int = 0

    @property
    def status(self) -> str:
        if self.disabled_reason:
            return "disabled"
        if self.consecutive_failures:
            return "failing"
        if self.drift:
            return "drift"
        return "ok" if self.last_success else "new"


def _index_errors(report: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in report.get("errors", {}).items() if not k.startswith("article_")}


def wrong_address(report: dict[str, Any]) -> bool:
    """Every index-page error of the run says the address does not exist."""
    index_errors = _index_errors(report)
    return bool(index_errors) and all(k.endswith(WRONG_ADDRESS_KINDS) for k in index_errors)


def run_failed(report: dict[str, Any]) -> str | None:
    """Why a run counts as a failure, or None: nothing could be read from the
    source's own index pages (feed, sitemap or listing)."""
    index_errors = _index_errors(report)
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
    state.polls_total += 1
    state.items_total += state.items_found
    state.new_items_total += state.new_items
    state.errors_total += state.errors
    state.not_modified_total += int(report.get("not_modified", 0))
    schedule = parse_schedule(source.schedule)
    failure = run_failed(report)
    if failure:
        state.consecutive_failures += 1
        state.failed_runs_total += 1
        state.last_error = failure
        if state.last_success is None and wrong_address(report):
            state.disabled_reason = (f"dead address, never answered with content: {failure}; "
                                     f"fix its urls, then `coverwatch sources enable {source.name}`")
        elif state.consecutive_failures >= DISABLE_AFTER_FAILURES:
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

    def get_many(self, names: list[str]) -> list[SourceState]:
        """Every named source's state in one round trip (status pages, /metrics)."""
        if not names:
            return []
        raws = cast(list[bytes | None], self._client.mget([self._key(name) for name in names]))
        return [SourceState(**json.loads(raw)) if raw else SourceState(name)
                for name, raw in zip(names, raws, strict=True)]

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

    def lock_holder(self, lock: Any) -> str | None:
        """The token of whoever holds ``lock`` now, or None when it is free."""
        token = self._client.get(lock.name)
        return token.decode() if isinstance(token, bytes) else None


def break_lock(lock: Any, holder: str) -> None:
    """Release a lock a dead crawl took (a redis-py lock, held by ``holder``)."""
    break_lock_held_by(lock.redis, lock.name, holder)
