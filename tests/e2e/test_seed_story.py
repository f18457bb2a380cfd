"""The seed case of issue 22 end to end: the demo site's four reports of one story
(unnamed former US officials accuse China's military of being inside Japan's
classified defence network; Japan's defence minister, in Japanese, will not
confirm a leak; China denies; a week later the US and Japanese governments
formally attribute the intrusions to BlackTech), crawled by a real Scrapy crawl
through real workers: the story's ledger shows who says who did it, and an
``attribution`` rule mails once, on the advisory, not on the three before it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from stix2validator import validate_string

from alerts.rule_types.attribution import AttributionRule
from alerts.rules import register_rule
from coverwatch.settings import Settings
from coverwatch.urls import article_id, canonicalize_url
from crawlers.demo_site.server import SiteServer
from crawlers.demo_site.site import SEED_STORY, build_pages, demo_sources_yaml, load_demo_articles
from search.engine import SearchEngine
from search.story_records import story_records
from tests.conftest import SmtpSink
from tests.e2e.conftest import own_deployment, run_crawl_process
from workers.exchange import ExchangeOptions, get_format

pytestmark = pytest.mark.e2e

RULE = "e2e BlackTech formally attributed"
SUBSCRIBER = "seed-desk@example.org"
MAIL_WAIT_SECONDS = 60


def _rule_mail(raw_messages: list[bytes]) -> list[EmailMessage]:
    received = [message_from_bytes(raw, _class=EmailMessage, policy=policy.default) for raw in raw_messages]
    return [message for message in received if str(message["Subject"]).startswith(f"[Coverwatch] {RULE}:")]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def deployment(engine: SearchEngine) -> Iterator[Settings]:
    """A deployment of its own: other e2e cases crawl the demo site too, and a
    story that already held these reports would make the advisory no news."""
    with own_deployment(engine, "seedstory") as own:
        yield own


def test_the_seed_story_ledger_and_its_one_attribution_alert(
        deployment: Settings, engine: SearchEngine, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    from search.documents import get_document
    from search.indexes import ARTICLES
    from search.service import story_view
    from web.claim_ledgers import story_claims
    from workers.process import start_worker, stop_worker

    register_rule(engine, deployment, AttributionRule(name=RULE, actors=["BlackTech"], subscribers=[SUBSCRIBER]))
    _, articles = load_demo_articles()
    seed = {article.key: article for article in articles if article.key in SEED_STORY}
    assert len(seed) == 4
    advisory = seed[SEED_STORY[-1]]
    before = len(smtp_sink.messages)
    worker = start_worker(deployment, tmp_path / "seed-worker.log", concurrency=1,
                          extra_env={"COVERWATCH_SMTP_URL": smtp_sink.url}, name="seed-story")
    try:
        with SiteServer({}) as site:
            # As it was reported: the accusation, the minister's answer and the denial first ...
            site.pages.update(build_pages(site.base_url, only=SEED_STORY[:3]))
            first = run_crawl_process(demo_sources_yaml(site.base_url, only=SEED_STORY), tmp_path / "first")
            assert sum(source["articles"] for source in first["sources"]) == 3
            assert first["workers"]["batches_failed"] == 0
            assert _rule_mail(smtp_sink.messages[before:]) == []
            # ... then, a week later, the joint advisory.
            site.pages.update(build_pages(site.base_url, only=SEED_STORY))
            second = run_crawl_process(demo_sources_yaml(site.base_url, only=SEED_STORY), tmp_path / "second")
            assert second["workers"]["batches_failed"] == 0
            advisory_url = f"{site.base_url}{advisory.path}"
        mail = _rule_mail(smtp_sink.messages[before:])
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        while not mail and time.monotonic() < deadline:
            time.sleep(0.5)
            mail = _rule_mail(smtp_sink.messages[before:])
    finally:
        stop_worker(worker)

    stored = get_document(engine, deployment.index_name(ARTICLES), article_id(canonicalize_url(advisory_url)))
    assert stored is not None, advisory_url
    story_id = stored["story_id"]
    assert len(story_view(engine, deployment, story_id).articles) == 4
    ledger = story_claims(engine, deployment, story_id).ledger

    rows = {(row.claimant_kind, row.claimant_country, row.stance, row.subject_state, row.actor_id,
             row.first_article.outlet) for row in ledger.rows}
    assert rows == {
        ("unnamed_officials", "US", "attributes", "CN", None, "capitol-observer"),
        ("government", "JP", "declines_to_confirm", None, None, "tokyo-net-shimpo"),
        ("accused", "CN", "denies", "CN", None, "northgate-wire"),
        # The joint advisory: one row per government.
        ("government", "US", "attributes", "CN", "G0098", "packet-signal"),
        ("government", "JP", "attributes", "CN", "G0098", "packet-signal"),
    }, ledger.rows
    assert ledger.summary.startswith("attributed by the US and Japanese governments to BlackTech (China) since "
                                     "2026-10-12; denied by China; Japan declines to confirm"), ledger.summary

    # The advisory's defanged indicators and its technique, stored refanged (issue 23),
    # and out again as STIX objects of the story's bundle.
    assert {(item["type"], item["value"]) for item in stored["indicators"]} == {
        ("domain", "rtupdate-cwdemo.net"), ("domain", "cdn-sync.cwdemo-routers.com"),
        ("url", "https://rtupdate-cwdemo.net/fw/upd.bin"),
        ("sha256", "4f6c1b2a9d8e7f3c5b6a4d2e1f0c9b8a7d6e5f4c3b2a1908f7e6d5c4b3a29180")}, stored["indicators"]
    assert stored["techniques"] == ["T1601.001"]
    bundle = json.loads(get_format("stix").render(list(story_records(engine, deployment, story_ids=[story_id])),
                                                  ExchangeOptions.from_settings(deployment)))
    assert validate_string(json.dumps(bundle)).is_valid
    patterns = {item["pattern"] for item in bundle["objects"] if item["type"] == "indicator"}
    assert "[domain-name:value = 'rtupdate-cwdemo.net']" in patterns, patterns
    assert {item["name"] for item in bundle["objects"] if item["type"] == "intrusion-set"} == {"BlackTech"}

    assert len(mail) == 1, [str(message["Subject"]) for message in mail]
    assert mail[0]["To"] == SUBSCRIBER
    text = _text(mail[0])
    assert advisory.title in text and advisory.path in text
    assert "government attribution" in text and "BlackTech" in text
