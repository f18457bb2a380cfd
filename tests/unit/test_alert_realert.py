"""Realert on top of the exactly-once claim, and which percolated rules fire.

The claim logic runs against a tiny in-memory document store that answers the
document calls delivery makes (create, get, compare-and-set put, the
attempt-conditional update script, delete) the way the engine does; tests/integration/test_alert_delivery.py runs
it on the real one."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts.channels import Channel
from alerts.delivery import DeliveryOutcome, deliver_firing, delivery_id
from alerts.matching import percolated_firings
from alerts.messages import AlertContext
from alerts.rule_model import Firing
from alerts.rule_types import parse_rule
from alerts.rules import to_document
from alerts.transports import TransportError
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.engine import Conflict, NotFound, SearchEngine

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


class DocumentStore(SearchEngine):
    distribution = "memory"

    def __init__(self) -> None:
        super().__init__("memory://", "0")
        self.documents: dict[str, dict[str, Any]] = {}
        self.sequence: dict[str, int] = {}

    def _write(self, key: str, document: dict[str, Any], params: Mapping[str, str] | None) -> dict[str, Any]:
        expected = (params or {}).get("if_seq_no")
        if expected is not None and (key not in self.documents or str(self.sequence[key]) != expected):
            raise Conflict(409, "version conflict")
        self.documents[key] = document
        self.sequence[key] = self.sequence.get(key, 0) + 1
        return {"result": "ok"}

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None,
                params: Mapping[str, str] | None = None) -> dict[str, Any]:
        _, index, action, doc_id = path.split("/")
        key = f"{index}/{doc_id}"
        if action == "_create":
            if key in self.documents:
                raise Conflict(409, "exists")
            return self._write(key, dict(body or {}), None)
        if action == "_doc" and method == "PUT":
            return self._write(key, dict(body or {}), params)
        if key not in self.documents:
            raise NotFound(404, "missing")
        if method == "GET":
            return {"_source": self.documents[key], "_seq_no": self.sequence[key], "_primary_term": 1}
        if method == "DELETE":
            del self.documents[key]
            return {"result": "deleted"}
        update = dict(body or {})
        if "script" in update:  # only the conditional update delivery sends
            script_params: dict[str, Any] = update["script"]["params"]
            if self.documents[key].get("attempt") != script_params["attempt"]:
                return {"result": "noop"}
            self._write(key, {**self.documents[key], **script_params["fields"]}, None)
            return {"result": "updated"}
        return self._write(key, {**self.documents[key], **update["doc"]}, params)

    def _send_ndjson(self, path: str, payload: str, params: Mapping[str, str]) -> dict[str, Any]:
        raise NotImplementedError


class Recorder(Channel[str]):
    kind = "recorder"

    def __init__(self, failing: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.failing = failing

    @staticmethod
    def recipient_of(target: str) -> str | None:
        return target

    @classmethod
    def from_settings(cls, settings: Settings) -> Recorder:
        return cls()

    def render(self, context: AlertContext, recipient: str) -> str:
        return f"{context.rule_name}: {context.article.title} ({context.summary})"

    def send(self, payload: str, recipient: str, delivery_id: str) -> None:
        if self.failing:
            raise TransportError("relay down")
        self.sent.append((recipient, payload))


def _article(path: str, story: str | None = "s-story") -> Article:
    return Article(url=f"https://news.example.com/{path}", title=f"Sandworm {path}",
                   body="Sandworm cut power again. " * 5, source="grid-news", story_id=story)


def _firing(realert_minutes: int | None, path: str = "one") -> Firing:
    rule = parse_rule({"name": "Grid", "query_string": "Sandworm", "subscribers": ["desk@example.org"],
                       "realert_minutes": realert_minutes})
    article = _article(path)
    return Firing(rule, article, article.story_id or article.id, T0)


def _send(store: DocumentStore, channel: Recorder, firing: Firing, minutes_later: float) -> DeliveryOutcome:
    return deliver_firing(store, Settings(), firing, "desk@example.org", channel,
                          now=T0 + timedelta(minutes=minutes_later))


def test_without_realert_a_story_alerts_once_ever() -> None:
    store, channel = DocumentStore(), Recorder()
    outcomes = [_send(store, channel, _firing(None, path), minutes)
                for path, minutes in (("one", 0), ("two", 5), ("three", 60 * 24 * 400))]
    assert outcomes == [DeliveryOutcome.SENT] + [DeliveryOutcome.ALREADY_DELIVERED] * 2
    assert [payload for _, payload in channel.sent] == ["Grid: Sandworm one ()"]


def test_realert_window_allows_one_more_alert_per_window() -> None:
    store, channel = DocumentStore(), Recorder()
    firing = _firing(60)
    outcomes = [_send(store, channel, firing, minutes) for minutes in (0, 30, 59, 60, 61, 119, 121)]
    assert outcomes == [DeliveryOutcome.SENT, DeliveryOutcome.REALERT_SUPPRESSED, DeliveryOutcome.REALERT_SUPPRESSED,
                        DeliveryOutcome.SENT, DeliveryOutcome.REALERT_SUPPRESSED, DeliveryOutcome.REALERT_SUPPRESSED,
                        DeliveryOutcome.SENT]
    generations = sorted(doc["generation"] for doc in store.documents.values())
    assert generations == [0, 1, 2]


def test_realert_counts_per_story_and_per_subscriber() -> None:
    store, channel = DocumentStore(), Recorder()
    first = _firing(60)
    other_story = Firing(first.rule, _article("other", story="s-other"), "s-other", T0)
    assert _send(store, channel, first, 0) is DeliveryOutcome.SENT
    assert _send(store, channel, other_story, 1) is DeliveryOutcome.SENT
    assert deliver_firing(store, Settings(), first, "night@example.org", channel,
                          now=T0 + timedelta(minutes=2)) is DeliveryOutcome.SENT
    assert len(channel.sent) == 3


def test_failed_send_leaves_the_claim_for_a_retry() -> None:
    store = DocumentStore()
    firing = _firing(60)
    with pytest.raises(TransportError):
        _send(store, Recorder(failing=True), firing, 0)
    [(status, attempts)] = [(doc["status"], doc["attempts"]) for doc in store.documents.values()]
    assert (status, attempts) == ("retrying", 1)
    channel = Recorder()
    assert _send(store, channel, firing, 1) is DeliveryOutcome.SENT
    assert [(doc["status"], doc["attempts"], doc["generation"]) for doc in store.documents.values()] == [
        ("sent", 2, 0)]
    assert _send(store, channel, firing, 2) is DeliveryOutcome.REALERT_SUPPRESSED
    assert len(channel.sent) == 1


def test_first_generation_keeps_the_delivery_id_of_before() -> None:
    assert delivery_id("r", "Desk@Example.org", "s1") == delivery_id("r", "desk@example.org", "s1", 0)
    assert delivery_id("r", "desk@example.org", "s1", 1) != delivery_id("r", "desk@example.org", "s1")
    assert len({delivery_id("r", "d@example.org", f"s{n}") for n in range(100)}) == 100
    assert delivery_id("r", "https://h.example/A", "s1") != delivery_id("r", "https://h.example/a", "s1")


def _hit(spec: dict[str, Any], slots: list[int]) -> dict[str, Any]:
    document = to_document(parse_rule(spec))
    return {"_id": document["rule"]["id"], "_source": {"rule": document["rule"]},
            "fields": {"_percolator_document_slot": slots}}


def test_new_story_fires_only_on_the_article_that_opened_it() -> None:
    opener, follower = _article("opener", story="s-new"), _article("follower", story="s-old")
    base = {"query_string": "Sandworm", "subscribers": ["a@example.org", "b@example.org"]}
    hits = [_hit({**base, "name": "Every match"}, [0, 1]),
            _hit({**base, "name": "New stories", "type": "new_story"}, [0, 1]),
            _hit({**base, "name": "Switched off", "enabled": False}, [0])]
    notices = percolated_firings(hits, [opener, follower], {"s-new"}, T0)
    sent = sorted((n.firing.rule.name, n.firing.article.title, n.firing.group_key, n.subscriber, n.firing.summary)
                  for n in notices)
    assert sent == [
        ("Every match", "Sandworm follower", "s-old", "a@example.org", ""),
        ("Every match", "Sandworm follower", "s-old", "b@example.org", ""),
        ("Every match", "Sandworm opener", "s-new", "a@example.org", ""),
        ("Every match", "Sandworm opener", "s-new", "b@example.org", ""),
        ("New stories", "Sandworm opener", "s-new", "a@example.org", "opened a new story"),
        ("New stories", "Sandworm opener", "s-new", "b@example.org", "opened a new story"),
    ]


def test_a_stored_rule_that_no_longer_validates_is_skipped() -> None:
    broken = {"_id": "x", "_source": {"rule": {"spec": {"name": "Old", "type": "spike"}}},
              "fields": {"_percolator_document_slot": [0]}}
    good = _hit({"name": "Good", "query_string": "Sandworm", "subscribers": ["a@example.org"]}, [0])
    notices = percolated_firings([broken, good], [_article("x")], set(), T0)
    assert [n.firing.rule.name for n in notices] == ["Good"]
