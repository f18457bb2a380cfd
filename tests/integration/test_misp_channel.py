"""The ``misp`` delivery channel (alerts/channels/misp.py): a rule that fires on
a story pushes the story's event to the configured MISP, once per (rule, story
version), through the delivery claims of alerts/delivery.py and the fake MISP
of tests/fixtures/fake_misp.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from alerts.channels import ChannelNotConfigured, channel_kind, normalise_target
from alerts.delivery import DeliveryOutcome, deliver_firing
from alerts.rule_model import Firing
from alerts.rule_types import parse_rule
from alerts.transports import TransportError
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.fixtures.claim_ledger_story import ledger_articles
from tests.fixtures.fake_misp import FAKE_MISP_KEY, FakeMisp
from tests.fixtures.misp_story import misp_story_documents
from workers.exchange import stable_uuid

KEY = FAKE_MISP_KEY




@pytest.fixture
def misp_settings(own_indices: Settings, fake_misp: FakeMisp) -> Settings:
    return own_indices.model_copy(update={"misp_url": fake_misp.url, "misp_key": SecretStr(KEY)})


def _index(engine: SearchEngine, settings: Settings, story_id: str, documents: list[dict[str, object]]) -> None:
    from workers.stories import refresh_story_documents

    bulk_index(engine, settings.index_name(ARTICLES), documents, refresh=True)
    refresh_story_documents([story_id], engine, settings)
    refresh(engine, settings, STORIES)


def _firing(rule_name: str, article: Article) -> Firing:
    rule = parse_rule({"name": rule_name, "query_string": "APT31", "subscribers": ["misp"]})
    return Firing(rule, article, article.story_id or article.id, utc_now(), "a test firing")


def test_targets_spell_misp_as_a_bare_word() -> None:
    assert normalise_target(" MISP ") == "misp"
    assert channel_kind("misp") == "misp"
    assert channel_kind("https://misp.example/events") == "webhook"


def test_each_story_version_is_pushed_once_per_rule(engine: SearchEngine, misp_settings: Settings,
                                                    fake_misp: FakeMisp) -> None:
    story_id = "misp-channel-story"
    _index(engine, misp_settings, story_id, misp_story_documents(story_id, story_id))
    fired_on = ledger_articles(story_id, story_id)[1]
    event_uuid = str(stable_uuid("misp-event", story_id))

    firing = _firing("misp once", fired_on)
    outcomes = [deliver_firing(engine, misp_settings, firing, "misp") for _ in range(2)]
    assert outcomes == [DeliveryOutcome.SENT, DeliveryOutcome.ALREADY_DELIVERED]
    assert fake_misp.calls() == [("add", event_uuid)]

    # Another rule on the same version: its own delivery, but MISP has the version already.
    assert deliver_firing(engine, misp_settings, _firing("misp other rule", fired_on), "misp") is DeliveryOutcome.SENT
    assert len(fake_misp.requests) == 1

    later = Article(url=f"https://ledger-late.example.com/{story_id}-5", title="APT31 named again",
                    source="ledger-late", body="A later report on the Lanternfall intrusion. " * 4,
                    story_id=story_id, actors=["G0128"], relevance_band="on_topic", language="en",
                    published_at=datetime(2025, 3, 20, tzinfo=UTC), crawled_at=utc_now() + timedelta(minutes=5))
    _index(engine, misp_settings, story_id, [later.to_document()])

    assert deliver_firing(engine, misp_settings, _firing("misp once", later), "misp") is DeliveryOutcome.SENT
    assert fake_misp.calls() == [("add", event_uuid), ("edit", event_uuid)]
    assert later.canonical_url in {a["value"] for a in fake_misp.events[event_uuid]["Attribute"]}


def test_a_failing_misp_leaves_the_delivery_for_a_retry(engine: SearchEngine, misp_settings: Settings,
                                                        fake_misp: FakeMisp) -> None:
    story_id = "misp-channel-retry"
    _index(engine, misp_settings, story_id, misp_story_documents(story_id, story_id))
    firing = _firing("misp retry", ledger_articles(story_id, story_id)[0])
    event_uuid = str(stable_uuid("misp-event", story_id))
    fake_misp.refuse = {event_uuid: 500}

    with pytest.raises(TransportError, match="HTTP 500"):
        deliver_firing(engine, misp_settings, firing, "misp")
    fake_misp.refuse = {}

    assert deliver_firing(engine, misp_settings, firing, "misp") is DeliveryOutcome.SENT
    assert fake_misp.calls(status=200) == [("add", event_uuid)]


def test_without_a_configured_misp_the_channel_refuses(engine: SearchEngine, own_indices: Settings) -> None:
    article = ledger_articles("misp-unset", "misp-unset")[0]
    with pytest.raises(ChannelNotConfigured, match="COVERWATCH_MISP_URL"):
        deliver_firing(engine, own_indices, _firing("misp unset", article), "misp")
