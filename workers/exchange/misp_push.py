"""Story events pushed to a MISP instance over its REST API, each story version once.

Plain httpx rather than PyMISP: PyMISP asks the server for its version when it
is made, so it cannot even be built without a live MISP; these two requests are
all a push needs, with MISP's headers (``Authorization: <key>``, JSON both ways):

- ``POST /events/add`` for a story this instance has not had from us;
- ``POST /events/edit/<uuid>`` for one it has (the event uuid is the story's
  UUIDv5, so MISP finds it without our keeping its numeric id).

What was pushed is kept in Redis (:class:`PushLedger`, one hash per MISP URL:
story id -> the story's ``last_update`` pushed), so a second run sends nothing
for a story that has not changed, and each version is sent once. While one
story is being pushed a short Redis lock holds it, so the push command and the
alert channel never send it side by side. When the ledger is lost MISP still
has the events: an add MISP refuses because the uuid exists becomes an edit,
an edit of an event MISP no longer holds becomes an add, and an edit MISP finds
not newer than its copy counts as already there.

The URL comes from the operator (settings or the command line), never from a
rule or an article, so the network policy for webhooks does not apply: a MISP
instance is usually on an internal network.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx
import redis

from coverwatch.models import parse_timestamp
from coverwatch.settings import Settings
from search.story_records import StoryRecord
from workers.exchange import ExchangeOptions
from workers.exchange.misp import event_document, story_event
from workers.exchange.misp_warnings import WarningIndex

log = logging.getLogger(__name__)

# Long enough for one story's push on a slow instance; a crashed pusher's lock lapses after it.
PUSH_LOCK_SECONDS = 120
ANSWER_CHARS = 300


class MispError(Exception):
    """MISP did not take the event."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MispRefused(MispError):
    """A 4xx answer: the key, the rights or the event itself; sending it again
    unchanged will not help (retried next run all the same, and counted)."""


class MispUnavailable(MispError):
    """No answer, a 5xx or 429: worth trying again later."""


class EventExists(MispRefused):
    """An add of an event uuid MISP already holds."""


class EventMissing(MispRefused):
    """An edit of an event uuid MISP does not hold."""


class NotNewer(MispRefused):
    """An edit MISP refused because its copy is as new or newer."""


class MispNotConfigured(RuntimeError):
    """No MISP URL or key in the settings or on the command line."""


@dataclass(frozen=True)
class StoredEvent:
    """What MISP answers with: the event as stored, with its numeric id."""

    id: str
    uuid: str


def _refusal(status: int, text: str) -> MispRefused:
    lowered = text.lower()
    if "already exists" in lowered:
        return EventExists(f"MISP: the event already exists (HTTP {status})", status)
    if "not newer" in lowered:
        return NotNewer(f"MISP holds a copy as new or newer (HTTP {status})", status)
    if status == 404:
        return EventMissing(f"MISP holds no such event (HTTP {status})", status)
    return MispRefused(f"MISP refused the request: HTTP {status}: {text[:ANSWER_CHARS]}", status)


class MispClient:
    """The two event requests of MISP's REST API."""

    def __init__(self, url: str, key: str, *, verify: bool = True, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, verify=verify, timeout=timeout, transport=transport,
                                  follow_redirects=False,
                                  headers={"Authorization": key, "Accept": "application/json",
                                           "Content-Type": "application/json", "User-Agent": "Coverwatch"})

    @classmethod
    def from_settings(cls, settings: Settings, url: str | None = None, key: str | None = None,
                      verify: bool | None = None) -> MispClient:
        url = url or settings.misp_url
        key = key or (settings.misp_key.get_secret_value() if settings.misp_key else None)
        if not url or not key:
            raise MispNotConfigured("a MISP URL and key are needed: COVERWATCH_MISP_URL and COVERWATCH_MISP_KEY")
        return cls(url, key, verify=settings.misp_verify_tls if verify is None else verify,
                   timeout=settings.misp_timeout)

    def __enter__(self) -> MispClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def add_event(self, document: dict[str, Any]) -> StoredEvent:
        return self._post("/events/add", document)

    def edit_event(self, event_uuid: str, document: dict[str, Any]) -> StoredEvent:
        return self._post(f"/events/edit/{event_uuid}", document)

    def _post(self, path: str, document: dict[str, Any]) -> StoredEvent:
        try:
            answer = self._http.post(path, json=document)
        except httpx.HTTPError as failure:
            raise MispUnavailable(f"MISP {self.url}: {failure}") from failure
        if answer.status_code == 429 or answer.status_code >= 500:
            raise MispUnavailable(f"MISP {self.url}{path}: HTTP {answer.status_code}", answer.status_code)
        if answer.status_code >= 300:
            raise _refusal(answer.status_code, answer.text)
        try:
            stored = answer.json().get("Event") or {}
        except ValueError as failure:
            raise MispUnavailable(f"MISP {self.url}{path}: an answer that is not JSON") from failure
        return StoredEvent(str(stored.get("id", "")), str(stored.get("uuid", "")))


def instance_id(misp_url: str) -> str:
    """A MISP instance's name in Redis keys: a hash of its URL (no URL punctuation in keys)."""
    return hashlib.sha256(misp_url.rstrip("/").encode("utf-8")).hexdigest()[:16]


class PushLedger:
    """Which story version each MISP instance has had from us (Redis)."""

    def __init__(self, client: redis.Redis, settings: Settings, misp_url: str) -> None:
        self.redis = client
        instance = instance_id(misp_url)
        self.key = settings.redis_key("misp", "pushed", instance)
        self.lock_prefix = settings.redis_key("misp", "pushing", instance)

    def pushed_version(self, story_id: str) -> str | None:
        value = self.redis.hget(self.key, story_id)
        if isinstance(value, bytes):
            return value.decode("utf-8")
        return value if isinstance(value, str) else None

    def mark(self, story_id: str, version: str) -> None:
        self.redis.hset(self.key, story_id, version)

    def forget(self, story_id: str) -> None:
        self.redis.hdel(self.key, story_id)

    @contextmanager
    def pushing(self, story_id: str) -> Iterator[bool]:
        """Hold the story while it is pushed; yields False when another pusher holds it."""
        lock = self.redis.lock(f"{self.lock_prefix}:{story_id}", timeout=PUSH_LOCK_SECONDS, blocking=False)
        if not lock.acquire():
            yield False
            return
        try:
            yield True
        finally:
            lock.release()


def is_newer(version: str, pushed: str | None) -> bool:
    """Whether the story's version is later than the one pushed (times compared, not strings)."""
    if pushed is None:
        return True
    now, before = parse_timestamp(version), parse_timestamp(pushed)
    if now is None or before is None:
        return version != pushed
    return now > before


class PushOutcome(StrEnum):
    ADDED = "added"
    EDITED = "edited"
    UNCHANGED = "unchanged"  # this version was pushed before (or MISP holds it already)
    BUSY = "busy"  # another pusher holds the story right now: next run
    FAILED = "failed"


def push_story(client: MispClient, ledger: PushLedger, record: StoryRecord, options: ExchangeOptions,
               warnings: WarningIndex | None = None) -> PushOutcome:
    """Push the story's event if this version is new to the instance.
    MispRefused and MispUnavailable propagate; the ledger is then left as it was."""
    version = record.last_update or ""
    if not is_newer(version, ledger.pushed_version(record.id)):
        return PushOutcome.UNCHANGED
    with ledger.pushing(record.id) as held:
        if not held:
            return PushOutcome.BUSY
        pushed = ledger.pushed_version(record.id)  # another pusher may have finished just before the lock
        if not is_newer(version, pushed):
            return PushOutcome.UNCHANGED
        event = story_event(record, options, warnings=warnings)
        document = event_document(event)
        outcome = PushOutcome.EDITED if pushed is not None else PushOutcome.ADDED
        try:
            if outcome is PushOutcome.ADDED:
                try:
                    client.add_event(document)
                except EventExists:
                    client.edit_event(str(event.uuid), document)
                    outcome = PushOutcome.EDITED
            else:
                try:
                    client.edit_event(str(event.uuid), document)
                except EventMissing:
                    client.add_event(document)
                    outcome = PushOutcome.ADDED
        except NotNewer:
            outcome = PushOutcome.UNCHANGED
        ledger.mark(record.id, version)
        return outcome


@dataclass
class PushReport:
    """What one push run did, by outcome, and why each failure failed."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**{outcome.value: self.counts[outcome.value] for outcome in PushOutcome},
                "failures": [{"story": story_id, "error": error} for story_id, error in self.failures]}


def push_stories(client: MispClient, ledger: PushLedger, records: Iterable[StoryRecord],
                 options: ExchangeOptions) -> PushReport:
    """Push each story that changed since it was last pushed; a story MISP does
    not take is logged and counted, left for the next run, and the rest go on."""
    report = PushReport()
    for record in records:
        try:
            outcome = push_story(client, ledger, record, options)
        except MispError as failure:
            log.warning("MISP push of story %s failed: %s", record.id, failure)
            report.counts[PushOutcome.FAILED.value] += 1
            report.failures.append((record.id, str(failure)))
            continue
        report.counts[outcome.value] += 1
    return report
