"""The development rule types on the real engine, Redis, Celery workers and SMTP
server (issue 22, part 3): an ``attribution`` rule fires on the first government
attribution of a story and not on its rewrite; a ``story_development`` rule on
what a story gains and not on coverage that adds nothing; each once per
subscriber, however often the alert stage runs and however two workers race;
a development reaches a digest with what changed; previews from the engine and
the API agree with what was sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis

from alerts.digests import DigestEntry, send_digest
from alerts.evaluation import preview_bands
from alerts.rule_model import AlertRule
from alerts.rule_types import parse_rule
from alerts.rules import delete_rule, register_rule
from alerts.transports import transport_for
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, DIGEST_ENTRIES
from tests.conftest import SmtpSink, plain_text

pytestmark = pytest.mark.integration

NOW = utc_now().replace(microsecond=0)
APT40 = "G0065"


def _claim(claimant: str, kind: str, country: str | None, stance: str, subject: str | None = "APT40",
           state: str | None = "CN") -> dict[str, str | None]:
    return {"claimant": claimant, "claimant_kind": kind, "claimant_country": country, "stance": stance,
            "subject": subject, "subject_state": state, "victim": None, "evidence": f"{claimant} said so."}


VENDOR = _claim("Microsoft", "vendor", None, "attributes")
GCHQ = _claim("GCHQ", "government", "GB", "attributes")
DENIAL = _claim("China's foreign ministry", "accused", "CN", "denies", "China's foreign ministry")


def _article(marker: str, slug: str, source: str, hours_ago: float, claims: list[dict[str, Any]],
             victims: tuple[str, ...] = ("AU",), band: str = "on_topic") -> Article:
    return Article(url=f"https://{source}.example/{marker}/{slug}", title=f"APT40 report {slug} {marker}",
                   body=f"Intrusions by APT40 ({marker}) in ministry networks. " * 4, source=source,
                   published_at=NOW - timedelta(hours=hours_ago), story_id=f"s-{marker}", on_topic=band == "on_topic",
                   relevance_band=band, relevance=0.9, actors=[APT40], attributed_states=["CN"],
                   victim_countries=list(victims), claims=claims)




def _index(engine: SearchEngine, settings: Settings, articles: list[Article]) -> None:
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)


def _alert_stage(redis_client: redis.Redis, settings: Settings, articles: list[Article]) -> list[str]:
    """The pipeline's alert stage on the workers, then every delivery it queued: their outcomes."""
    from workers.runtime.app import app
    from workers.runtime.batches import BatchStore
    from workers.tasks import match_alerts

    ref = BatchStore(redis_client, settings).put([a.model_dump(mode="json") for a in articles])
    delivery_ids = match_alerts.delay(ref).get(timeout=120)
    return sorted(app.AsyncResult(task_id).get(timeout=120) for task_id in delivery_ids)


@pytest.fixture
def marker() -> str:
    return f"devmarker{uuid.uuid4().hex[:8]}"


@pytest.fixture
def rules(engine: SearchEngine, settings: Settings, marker: str) -> Iterator[dict[str, AlertRule]]:
    desk, analyst = f"desk-{marker}@example.org", f"analyst-{marker}@example.org"
    made = {
        "attribution": parse_rule({"name": f"Attribution {marker}", "type": "attribution", "query_string": marker,
                                   "actors": ["Leviathan"], "subscribers": [desk, analyst]}),
        "development": parse_rule({"name": f"Development {marker}", "type": "story_development",
                                   "query_string": marker, "min_new_outlets": 3, "subscribers": [desk, analyst]}),
        "digest": parse_rule({"name": f"Digest {marker}", "type": "story_development", "query_string": marker,
                              "mode": "digest", "subscribers": [f"digest-{marker}@example.org"]}),
    }
    for rule in made.values():
        register_rule(engine, settings, rule)
    yield made
    for rule in made.values():
        delete_rule(engine, settings, rule.name)


def test_a_rewrite_does_not_alert_a_development_does_once_per_subscriber(
        engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink, redis_client: redis.Redis,
        rules: dict[str, AlertRule], marker: str, worker: None) -> None:
    desk, analyst = rules["attribution"].subscribers
    opening = _article(marker, "opening", "wire-a", 6, [VENDOR])
    rewrite = _article(marker, "rewrite", "wire-b", 5, [VENDOR])
    advisory = _article(marker, "advisory", "wire-c", 4, [GCHQ], victims=("AU", "JP"))
    copied = _article(marker, "copied", "wire-d", 3, [GCHQ], victims=("AU", "JP"))
    denial = _article(marker, "denial", "wire-e", 2, [DENIAL], victims=("AU", "JP"))
    possible = _article(marker, "possible", "wire-f", 1.5, [_claim("NSA", "government", "US", "attributes")],
                        band="possible")

    # The opening article is the story's baseline; a rewrite adds one outlet (three make a development).
    _index(engine, settings, [opening])
    assert _alert_stage(redis_client, settings, [opening]) == []
    _index(engine, settings, [rewrite])
    assert _alert_stage(redis_client, settings, [rewrite]) == []

    # The first government attribution: both rules fire, once per subscriber each.
    _index(engine, settings, [advisory])
    assert _alert_stage(redis_client, settings, [advisory]) == ["sent"] * 4
    # The stage run again (a redelivered batch): the same developments, delivered already.
    assert _alert_stage(redis_client, settings, [advisory]) == ["already_delivered"] * 4
    # Another outlet copying the advisory: a rewrite, nothing new for either rule.
    _index(engine, settings, [copied])
    assert _alert_stage(redis_client, settings, [copied]) == []

    # Two workers racing on a batch with the denial: one development, one message per subscriber.
    from workers.runtime.app import app
    from workers.runtime.batches import BatchStore
    from workers.tasks import match_alerts

    _index(engine, settings, [denial])
    store = BatchStore(redis_client, settings)
    racing = [match_alerts.delay(store.put([denial.model_dump(mode="json")])) for _ in range(2)]
    outcomes = sorted(app.AsyncResult(task_id).get(timeout=120)
                      for result in racing for task_id in result.get(timeout=120))
    # story_development only (the attribution rule watches attributions): the denial, a new claimant kind and stance.
    assert outcomes.count("sent") == 2 and set(outcomes) <= {"sent", "already_delivered"}
    # A possibly on-topic article brings nothing to these rules, whatever it claims.
    _index(engine, settings, [possible])
    assert _alert_stage(redis_client, settings, [possible]) == []

    for address in (desk, analyst):
        mails = smtp_sink.mail_to(address)
        subjects = sorted(str(m["Subject"]) for m in mails)
        assert len(mails) == 3, subjects
        attribution = [m for m in mails if rules["attribution"].name in str(m["Subject"])]
        assert len(attribution) == 1
        assert ("New: government attribution by the UK (GCHQ) to APT40 (China); first reported by wire-c "
                f"{advisory.published_at:%d %b %Y}") in plain_text(attribution[0])
        developments = [plain_text(m) for m in mails if rules["development"].name in str(m["Subject"])]
        assert len(developments) == 2
        assert any("New: government attribution by the UK (GCHQ)" in text and "New: victim country Japan" in text
                   for text in developments)
        assert any("New: denial by China (China's foreign ministry)" in text for text in developments)
        assert all(copied.title not in text and possible.title not in text for text in developments)

    # The previews, from the engine and the API, find the same developments.
    attribution_preview = preview_bands(engine, settings, rules["attribution"])
    assert [f.article.id for f in attribution_preview.on_topic] == [advisory.id]
    assert not attribution_preview.counts_possible and attribution_preview.possible == []
    development_preview = preview_bands(engine, settings, rules["development"])
    assert [f.article.id for f in development_preview.on_topic] == [advisory.id, denial.id]


def test_the_api_previews_an_attribution_rule(engine: SearchEngine, settings: Settings, api: httpx.Client,
                                             marker: str) -> None:
    articles = [_article(marker, "opening", "wire-a", 6, [VENDOR]), _article(marker, "advisory", "wire-c", 4, [GCHQ]),
                _article(marker, "copied", "wire-d", 3, [GCHQ])]
    _index(engine, settings, articles)
    spec = {"name": f"API attribution {marker}", "type": "attribution", "query_string": marker,
            "attributed_states": ["China"], "subscribers": [f"api-{marker}@example.org"]}
    answer = api.post("/api/v1/rules/preview", json=spec)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [firing["article"]["id"] for firing in body["firings"]] == [articles[1].id]
    assert body["firings"][0]["details"]["changes"] == [
        f"New: government attribution by the UK (GCHQ) to APT40 (China); first reported by wire-c "
        f"{articles[1].published_at:%d %b %Y}"]


def test_a_development_reaches_a_digest_with_what_changed(
        engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink, redis_client: redis.Redis,
        rules: dict[str, AlertRule], marker: str, worker: None) -> None:
    address = rules["digest"].subscribers[0]
    opening = _article(marker, "opening", "wire-a", 6, [VENDOR])
    advisory = _article(marker, "advisory", "wire-c", 4, [GCHQ])
    _index(engine, settings, [opening, advisory])
    # The immediate rules' deliveries go out; the digest rule's development waits as an entry.
    _alert_stage(redis_client, settings, [opening])
    _alert_stage(redis_client, settings, [advisory])
    _alert_stage(redis_client, settings, [advisory])
    answer = engine.request("POST", f"/{settings.index_name(DIGEST_ENTRIES)}/_search",
                            {"query": {"term": {"address": address}}, "size": 10})
    entries = [DigestEntry.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]
    assert [entry.article_id for entry in entries] == [advisory.id]
    assert entries[0].changes[0].startswith("New: government attribution by the UK (GCHQ) to APT40 (China)")
    mailed = settings.model_copy(update={"smtp_url": smtp_sink.url})
    assert send_digest(engine, mailed, address, entries, transport_for(mailed), entries[0].due_at) == "sent"
    [digest] = smtp_sink.mail_to(address)
    text = plain_text(digest)
    assert advisory.title in text and entries[0].changes[0] in text
    assert entries[0].changes[0] in str(digest.get_body(("html",)).get_content())  # type: ignore[union-attr]


def test_an_attribution_rule_per_actor_fires_on_the_first_claim_across_stories(
        engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink, redis_client: redis.Redis,
        marker: str, worker: None) -> None:
    """``scope: actor``: the first government attribution of the actor in any story within
    the lookback alerts; the same claim in another story does not, a new claimant kind does."""
    address = f"actor-desk-{marker}@example.org"
    rule = parse_rule({"name": f"Per actor {marker}", "type": "attribution", "query_string": marker,
                       "actors": ["Gamaredon"], "scope": "actor", "lookback_days": 30,
                       "claimant_kinds": ["government", "unnamed_officials"], "subscribers": [address]})
    register_rule(engine, settings, rule)

    def gamaredon(slug: str, story: str, source: str, hours_ago: float, claim: dict[str, Any]) -> Article:
        return _article(marker, slug, source, hours_ago, [claim]).model_copy(update={
            "story_id": f"{story}-{marker}", "actors": ["G0047"], "attributed_states": ["RU"],
            "title": f"Gamaredon report {slug} {marker}"})

    sbu = _claim("SBU", "government", "UA", "attributes", "Gamaredon", "RU")
    cert = _claim("CERT-UA", "government", "UA", "attributes", "Gamaredon", "RU")
    unnamed = _claim("unnamed Ukrainian officials", "unnamed_officials", "UA", "attributes", "Gamaredon", "RU")
    first = gamaredon("first", "kyiv", "wire-a", 8, sbu)
    other_story = gamaredon("other-story", "lviv", "wire-b", 6, cert)
    officials = gamaredon("officials", "odesa", "wire-c", 4, unnamed)
    try:
        _index(engine, settings, [first])
        assert _alert_stage(redis_client, settings, [first]) == ["sent"]
        # Another story, another agency, the same claim about the actor: nothing new for this rule.
        _index(engine, settings, [other_story])
        assert _alert_stage(redis_client, settings, [other_story]) == []
        # Unnamed officials attributing it: a claimant kind the rule watches, first in the lookback.
        _index(engine, settings, [officials])
        assert _alert_stage(redis_client, settings, [officials]) == ["sent"]
        assert _alert_stage(redis_client, settings, [officials]) == ["already_delivered"]
    finally:
        delete_rule(engine, settings, rule.name)
    texts = [plain_text(message) for message in smtp_sink.mail_to(address)]
    assert len(texts) == 2
    assert any("government attribution by Ukraine (SBU) to Gamaredon" in text for text in texts), texts
    assert all(other_story.title not in text for text in texts)
    # The preview over the period finds the same two firsts.
    assert sorted(f.article.id for f in preview_bands(engine, settings, rule).on_topic) == sorted(
        [first.id, officials.id])


def test_a_merged_story_keeps_what_the_development_rule_had_seen_of_both(
        engine: SearchEngine, settings: Settings, smtp_sink: SmtpSink, redis_client: redis.Redis,
        marker: str, worker: None) -> None:
    """Stories merge (workers/stories.py hands each merge to the hooks alerts/tasks.py
    registers): the kept story's state takes in the absorbed one's, so a copy of what the
    subscriber was alerted on in the absorbed story is no development of the merged one."""
    from alerts.development_state import carry_development_states, read_state

    address = f"merge-desk-{marker}@example.org"
    rule = parse_rule({"name": f"Merged {marker}", "type": "story_development", "query_string": marker,
                       "subscribers": [address]})
    register_rule(engine, settings, rule)
    absorbed, kept = f"s-{marker}-absorbed", f"s-{marker}-kept"

    def in_story(article: Article, story: str) -> Article:
        return article.model_copy(update={"story_id": story})

    opening = in_story(_article(marker, "opening", "wire-a", 9, [VENDOR]), absorbed)
    advisory = in_story(_article(marker, "advisory", "wire-c", 8, [GCHQ]), absorbed)
    other = in_story(_article(marker, "other", "wire-b", 7, [VENDOR]), kept)
    copied = in_story(_article(marker, "copied", "wire-d", 3, [GCHQ]), kept)
    denial = in_story(_article(marker, "denial", "wire-e", 2, [DENIAL]), kept)
    try:
        for article, outcome in ((opening, []), (advisory, ["sent"]), (other, [])):
            _index(engine, settings, [article])
            assert _alert_stage(redis_client, settings, [article]) == outcome
        # The merge: the absorbed story's articles move (queries.move_story), then the hooks run.
        _index(engine, settings, [in_story(opening, kept), in_story(advisory, kept)])
        assert carry_development_states(engine, settings, absorbed, kept) == 1
        assert carry_development_states(engine, settings, absorbed, kept) == 0  # run again: nothing more
        merged = read_state(engine, settings, rule.id, kept)
        assert merged is not None and "claim\x1fgovernment:attributes" in merged.state.elements
        assert merged.state.outlets == {"wire-a", "wire-b", "wire-c"}
        # Another outlet copying the advisory into the merged story: nothing new.
        _index(engine, settings, [copied])
        assert _alert_stage(redis_client, settings, [in_story(copied, kept)]) == []
        # A denial: a development of the merged story, once.
        _index(engine, settings, [denial])
        assert _alert_stage(redis_client, settings, [denial]) == ["sent"]
    finally:
        delete_rule(engine, settings, rule.name)
    texts = [plain_text(message) for message in smtp_sink.mail_to(address)]
    assert len(texts) == 2
    assert sum("New: government attribution by the UK (GCHQ)" in text for text in texts) == 1
    assert any("New: denial by China (China's foreign ministry)" in text for text in texts)
