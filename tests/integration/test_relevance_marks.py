"""Analysts' marks on the real engine, Redis, Celery workers and SMTP server: a
mark re-bands the article at once and changes what the rules match; a
re-scored article keeps its mark; marks are listed and exported."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import httpx
import pytest
from celery.result import AsyncResult

from alerts.evaluation import preview_rule
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from console.main import main as cli_main
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index, get_document
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.conftest import SmtpSink

pytestmark = pytest.mark.integration

ALERT_WAIT_SECONDS = 90


@pytest.fixture
def token() -> str:
    """A made-up word only this test's articles and rules use."""
    return f"Quillmoth{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rules(engine: SearchEngine, settings: Settings) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for name in names:
        delete_rule(engine, settings, name)


def _article(token: str, band: str, on_topic: bool, slug: str) -> Article:
    return Article(url=f"https://marks-wire.example/{token}/{slug}", source="marks-wire",
                   title=f"{token} intrusion at the foreign ministry",
                   body=f"Investigators say the {token} implant was found on foreign ministry servers. " * 4,
                   published_at=utc_now() - timedelta(hours=1), story_id=f"story-{token}-{slug}",
                   relevance=0.3, relevance_band=band, on_topic=on_topic)


def _index(engine: SearchEngine, settings: Settings, article: Article) -> None:
    bulk_index(engine, settings.index_name(ARTICLES), [article.to_document()], refresh=True)


def _register(engine: SearchEngine, settings: Settings, rules: list[str], **spec: Any) -> Any:
    rule = parse_rule(spec)
    register_rule(engine, settings, rule)
    rules.append(rule.name)
    return rule


def _stored(engine: SearchEngine, settings: Settings, article_id: str) -> dict[str, Any]:
    document = get_document(engine, settings.index_name(ARTICLES), article_id)
    assert document is not None
    return document


def _sent_to(sink: SmtpSink, address: str) -> list[Any]:
    return [message for message in map(message_from_bytes, sink.messages) if message["To"] == address]


def _delivery_outcomes(alert_task: str) -> list[str]:
    """Wait for the alert stage's task and the deliveries it queued; their outcomes."""
    from workers.runtime.app import app

    delivery_ids = AsyncResult(alert_task, app=app).get(timeout=ALERT_WAIT_SECONDS)
    return [str(AsyncResult(delivery, app=app).get(timeout=ALERT_WAIT_SECONDS)) for delivery in delivery_ids]


def test_a_possible_article_marked_espionage_alerts_once(engine: SearchEngine, settings: Settings, api: httpx.Client,
                                                         smtp_sink: SmtpSink, worker: None, token: str,
                                                         rules: list[str]) -> None:
    subscriber = f"desk-{token.lower()}@example.org"
    article = _article(token, "possible", False, "possible")
    _index(engine, settings, article)
    rule = _register(engine, settings, rules, name=f"marks {token}", query_string=token, subscribers=[subscriber])
    assert preview_rule(engine, settings, rule) == []  # possible items never alert

    answer = api.put(f"/api/v1/articles/{article.id}/relevance-mark", json={"label": "espionage"})
    assert answer.status_code == 200, answer.text
    marked = answer.json()
    assert (marked["relevance_band"], marked["on_topic"], marked["mark"]["marked_by"]) == (
        "on_topic", True, "fixture-admin")
    stored = _stored(engine, settings, article.id)
    assert (stored["relevance_band"], stored["on_topic"], stored["relevance_mark"]) == ("on_topic", True, "espionage")
    assert (stored["relevance_model_band"], stored["relevance_model_on_topic"]) == ("possible", False)
    assert [firing.article.id for firing in preview_rule(engine, settings, rule)] == [article.id]

    assert _delivery_outcomes(marked["alert_task"]) == ["sent"]
    assert len(_sent_to(smtp_sink, subscriber)) == 1

    # Cleared, the model's band is back; marked again, the alert stage runs again and sends nothing more.
    cleared = api.delete(f"/api/v1/articles/{article.id}/relevance-mark").json()
    assert (cleared["relevance_band"], cleared["on_topic"], cleared["mark"]["label"]) == ("possible", False, None)
    assert _stored(engine, settings, article.id)["relevance_mark"] is None
    again = api.put(f"/api/v1/articles/{article.id}/relevance-mark", json={"label": "espionage"}).json()
    assert _delivery_outcomes(again["alert_task"]) == ["already_delivered"]
    assert len(_sent_to(smtp_sink, subscriber)) == 1

    record = api.get(f"/api/v1/articles/{article.id}/relevance-mark").json()
    assert [(event["label"], event["previous_label"]) for event in record["history"]] == [
        ("espionage", None), (None, "espionage"), ("espionage", None)]


def test_an_on_topic_article_marked_not_espionage_stops_firing(engine: SearchEngine, settings: Settings,
                                                                api: httpx.Client, smtp_sink: SmtpSink,
                                                                worker: None, token: str,
                                                                rules: list[str]) -> None:
    from workers.handoff import submit_batch, wait_for_batches

    subscriber = f"night-{token.lower()}@example.org"
    article = _article(token, "on_topic", True, "on-topic")
    _index(engine, settings, article)
    match = _register(engine, settings, rules, name=f"marks {token}", query_string=token, subscribers=[subscriber])
    busy = _register(engine, settings, rules, name=f"marks busy {token}", type="threshold", query_string=token,
                     min_articles=1, window_hours=24, subscribers=[subscriber])
    assert len(preview_rule(engine, settings, match)) == 1
    assert len(busy.evaluate(engine, settings, utc_now())) == 1

    answer = api.put(f"/api/v1/articles/{article.id}/relevance-mark", json={"label": "not_espionage"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["relevance_band"], answer.json()["alert_task"]) == ("off_topic", None)
    assert preview_rule(engine, settings, match) == []
    assert busy.evaluate(engine, settings, utc_now()) == []  # out of the beat rules' counts

    # Crawled again (a backfill that keeps everything): the model scores it anew, the mark still wins,
    # and the alert stage sends nothing.
    record = {**article.model_dump(mode="json"), "relevance_band": None, "on_topic": None}
    figures = wait_for_batches([submit_batch([record], keep_off_topic=True)], timeout=ALERT_WAIT_SECONDS)
    assert (figures["batches_ok"], figures["emails_sent"]) == (1, 0)
    stored = _stored(engine, settings, article.id)
    assert (stored["relevance_band"], stored["on_topic"], stored["relevance_mark"]) == (
        "off_topic", False, "not_espionage")
    assert stored["relevance_model_band"] in ("on_topic", "possible", "off_topic")  # the model's own, kept apart
    assert _sent_to(smtp_sink, subscriber) == []


def test_marks_need_an_analyst_and_are_listed_and_exported(engine: SearchEngine, settings: Settings,
                                                           api: httpx.Client, api_url: str, accounts: Any,
                                                           token: str, tmp_path: Any,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from web.credentials import Role

    article = _article(token, "possible", False, "listed")
    _index(engine, settings, article)
    viewer = f"viewer-{token.lower()}"
    accounts.add_user(viewer, Role.VIEWER, "viewer-password-" + token, None)
    viewer_token = accounts.issue_token(viewer, "tests")[0]
    refused = httpx.put(f"{api_url}/api/v1/articles/{article.id}/relevance-mark", json={"label": "espionage"},
                        headers={"Authorization": f"Bearer {viewer_token}"}, timeout=30)
    assert refused.status_code == 403
    assert api.put(f"/api/v1/articles/missing-{token}/relevance-mark", json={"label": "espionage"}).status_code == 404

    assert api.put(f"/api/v1/articles/{article.id}/relevance-mark", json={"label": "espionage"}).status_code == 200
    listed = api.get("/api/v1/relevance-marks", params={"label": "espionage", "marked_by": "fixture-admin"}).json()
    assert article.id in [mark["article_id"] for mark in listed]

    output = tmp_path / "labels.jsonl"
    assert cli_main(["relevance", "labels", "export", "--output", str(output)]) == 0
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    mine = next(line for line in lines if line["id"] == article.id)
    assert (mine["label"], mine["on_topic"], mine["marked_by"], mine["title"]) == (
        "espionage", True, "fixture-admin", article.title)
    assert token in mine["body"] and mine["url"] == article.canonical_url
    assert "marked article(s) exported" in capsys.readouterr().err
