"""Possibly on-topic articles on the real engine, Redis, Celery workers and SMTP
server: matched by the alert stage, they reach only a subscription that opted
in, only in its digest (marked as such), never as an email of their own; the
rule preview counts what each band adds, from the engine and from the API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import httpx
import pytest
import redis

from alerts.digests import DigestEntry, send_digest
from alerts.evaluation import preview_bands
from alerts.rule_model import AlertRule, DeliveryMode
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from alerts.schedules import DigestSchedule
from alerts.subscribers import add_confirmed
from alerts.subscriptions import get_subscription, subscribe
from alerts.transports import transport_for
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, DIGEST_ENTRIES
from tests.conftest import SmtpSink, plain_text

pytestmark = pytest.mark.integration


def _article(marker: str, slug: str, band: str, story: str, hours_ago: float = 1, **fields: Any) -> Article:
    return Article(url=f"https://{slug}.example/{marker}", title=f"Report {slug} {marker}",
                   body=f"Intrusion set {marker} was seen again in ministry networks. " * 4, source=f"wire-{slug}",
                   published_at=utc_now() - timedelta(hours=hours_ago), story_id=story, relevance_band=band,
                   on_topic=band == "on_topic", relevance=0.5, **fields)




def _entries(engine: SearchEngine, settings: Settings, address: str) -> list[DigestEntry]:
    answer = engine.request("POST", f"/{settings.index_name(DIGEST_ENTRIES)}/_search",
                            {"query": {"term": {"address": address}}, "size": 100})
    return [DigestEntry.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


@pytest.fixture
def rule(engine: SearchEngine, settings: Settings) -> Iterator[AlertRule]:
    marker = f"possmarker{uuid.uuid4().hex[:8]}"
    made = parse_rule({"name": f"Possible {marker}", "query_string": marker,
                       "subscribers": [f"listed-{marker}@example.org"]})
    register_rule(engine, settings, made)
    yield made
    delete_rule(engine, settings, made.name)


def test_a_possible_article_reaches_only_the_opted_in_digest(
        engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink, redis_client: redis.Redis,
        rule: AlertRule, worker: None) -> None:
    from workers.runtime.app import app
    from workers.runtime.batches import BatchStore
    from workers.tasks import match_alerts

    mailed = settings.model_copy(update={"smtp_url": smtp_sink.url})
    marker = rule.query_string
    listed = rule.subscribers[0]  # the rule's own list: an implicit, immediate subscription
    opted, plain = f"opted-{marker}@example.org", f"plain-{marker}@example.org"
    for address in (opted, plain):
        add_confirmed(engine, settings, address)
    # Immediate, yet possible items must wait for its digest; and a digest that did not opt in.
    subscribe(engine, settings, opted, rule, DeliveryMode.IMMEDIATE, DigestSchedule(hour=8), include_possible=True)
    subscribe(engine, settings, plain, rule, DeliveryMode.DIGEST, DigestSchedule(hour=8))
    stored = get_subscription(engine, settings, opted, rule.id)
    assert stored is not None and stored.include_possible is True
    sure = _article(marker, "sure", "on_topic", f"s-sure-{marker}")
    maybe = _article(marker, "maybe", "possible", f"s-maybe-{marker}")
    kept = _article(marker, "kept", "off_topic", f"s-kept-{marker}")

    ref = BatchStore(redis_client, settings).put([a.model_dump(mode="json") for a in (sure, maybe, kept)])
    queued_at = utc_now()
    delivery_ids = match_alerts.delay(ref).get(timeout=120)
    # Sent at once: the on-topic article, to the two immediate subscriptions; nothing else.
    assert len(delivery_ids) == 2
    assert sorted(app.AsyncResult(task_id).get(timeout=120) for task_id in delivery_ids) == ["sent", "sent"]
    for address in (opted, listed):
        [alert] = smtp_sink.mail_to(address)
        assert sure.title in alert.as_string() and maybe.title not in alert.as_string()
    assert smtp_sink.mail_to(plain) == []

    next_slot = (queued_at + timedelta(days=1) if queued_at.hour >= 8 else queued_at).replace(
        hour=8, minute=0, second=0, microsecond=0)
    [possible_entry] = _entries(engine, settings, opted)
    assert (possible_entry.article_id, possible_entry.possibly_on_topic) == (maybe.id, True)
    assert possible_entry.due_at == next_slot.astimezone(UTC)  # the digest's time, not now
    assert [(e.article_id, e.possibly_on_topic) for e in _entries(engine, settings, plain)] == [(sure.id, False)]
    assert _entries(engine, settings, listed) == []

    transport = transport_for(mailed)
    for address in (opted, plain):
        entries = _entries(engine, settings, address)
        due = max(entry.due_at for entry in entries)
        assert send_digest(engine, mailed, address, entries, transport, due) == "sent"
    [_, opted_digest] = smtp_sink.mail_to(opted)
    text = plain_text(opted_digest)
    assert f"(possibly on-topic) {maybe.title}" in text and sure.title not in text  # sent at once already
    assert ">possibly on-topic</span>" in opted_digest.get_body(("html",)).get_content()  # type: ignore[union-attr]
    [plain_digest] = smtp_sink.mail_to(plain)
    assert sure.title in plain_text(plain_digest) and maybe.title not in plain_digest.as_string()
    assert "possibly on-topic" not in plain_text(plain_digest)
    assert len(smtp_sink.mail_to(listed)) == 1
    assert all(kept.title not in raw.decode("utf-8", "replace") for raw in smtp_sink.messages)


@pytest.fixture
def preview_articles(engine: SearchEngine, settings: Settings) -> Iterator[tuple[str, Settings]]:
    """Articles of every band in an index prefix of their own, for previews."""
    from console.demo import reset_deployment
    from search.indexes import ensure_indices

    marker = f"previewmarker{uuid.uuid4().hex[:8]}"
    own = settings.model_copy(update={"index_prefix": f"{settings.index_prefix}-bands-{marker[-8:]}"})
    ensure_indices(engine, own)
    articles = [
        _article(marker, "sure-a", "on_topic", "s-a", hours_ago=9),
        _article(marker, "sure-a2", "on_topic", "s-a", hours_ago=8),
        _article(marker, "sure-b", "on_topic", "s-b", hours_ago=7),
        # A possible article in a story that alerted already adds nothing; one of its own does.
        _article(marker, "maybe-a", "possible", "s-a", hours_ago=6),
        _article(marker, "maybe-c", "possible", "s-c", hours_ago=5),
        _article(marker, "maybe-c2", "possible", "s-c", hours_ago=4),
        _article(marker, "maybe-copy", "possible", "s-d", hours_ago=4, duplicate_of="elsewhere"),
        _article(marker, "kept", "off_topic", "s-e", hours_ago=3),
    ]
    bulk_index(engine, own.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)
    yield marker, own
    reset_deployment(own)


def test_preview_counts_what_each_band_adds(engine: SearchEngine,
                                            preview_articles: tuple[str, Settings]) -> None:
    marker, own = preview_articles
    match = parse_rule({"name": "bands", "query_string": marker, "subscribers": ["desk@example.org"]})
    preview = preview_bands(engine, own, match)
    assert preview.counts() == {"on_topic": 2, "possible": 1, "off_topic": 1}
    assert [f.article.title.split()[1] for f in preview.possible] == ["maybe-c"]
    assert preview.summary() == ("on_topic: 2 alerts; possible: 1 more (digest opt-in only); "
                                 "off_topic kept by sources: 1 (never alert)")
    opened = preview_bands(engine, own, match.model_copy(update={"type": "new_story"}))
    assert [f.article.title.split()[1] for f in opened.possible] == ["maybe-c"]
    threshold = parse_rule({"name": "busy", "type": "threshold", "query_string": marker, "min_articles": 3,
                            "window_hours": 24, "subscribers": ["desk@example.org"]})
    counted = preview_bands(engine, own, threshold)
    # Run from beat, it counts the three on-topic articles only: the three possible ones would make six.
    assert [f.details["matching_articles"] for f in counted.on_topic] == [3]
    assert counted.possible == [] and counted.counts_possible is False and counted.possible_matches == 3


def test_api_preview_and_subscription_carry_the_bands(engine: SearchEngine, settings: Settings,
                                                      api: httpx.Client) -> None:
    marker = f"apimarker{uuid.uuid4().hex[:8]}"
    bulk_index(engine, settings.index_name(ARTICLES), [
        _article(marker, "sure", "on_topic", f"s-sure-{marker}").to_document(),
        _article(marker, "maybe", "possible", f"s-maybe-{marker}").to_document(),
        _article(marker, "kept", "off_topic", f"s-kept-{marker}").to_document()], refresh=True)
    spec = {"name": f"API bands {marker}", "query_string": marker, "subscribers": ["desk@example.org"]}
    preview = api.post("/api/v1/rules/preview", json=spec)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["bands"] == {"on_topic": 1, "possible": 1, "off_topic": 1}
    assert [f["article"]["title"] for f in body["possible_firings"]] == [f"Report maybe {marker}"]
    assert body["band_summary"].startswith("on_topic: 1 alert; possible: 1 more (digest opt-in only)")
    assert api.post("/api/v1/rules", json=spec).status_code == 201
    address = f"api-{marker}@example.org"
    made = api.put(f"/api/v1/subscribers/{address}/subscriptions/{spec['name']}",
                   json={"mode": "immediate", "include_possible": True})
    assert made.status_code == 200 and made.json()["include_possible"] is True
    stored = api.get(f"/api/v1/rules/{spec['name']}/preview").json()
    assert stored["bands"] == body["bands"]
    assert api.delete(f"/api/v1/rules/{spec['name']}").status_code == 204
    # Analysts find the possible article, shown as such.
    found = api.get("/api/v1/search", params={"q": marker}).json()
    bands = {hit["article"]["title"]: hit["article"]["relevance_band"] for hit in found["hits"]}
    assert bands[f"Report maybe {marker}"] == "possible"

