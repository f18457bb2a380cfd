"""Story documents and the self-healing merge, on the real engine and Redis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from alerts.delivery import DeliveryOutcome, carry_deliveries, deliver_article_alert
from alerts.rules import AlertRule
from alerts.transports import OutboxTransport
from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index, get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from workers.stories import (
    adopt_early_copies,
    assign_stories,
    candidate_items,
    candidate_query,
    merge_converged,
    refresh_story_documents,
    vectorise,
)

pytestmark = pytest.mark.integration


def test_converged_stories_merge_into_the_larger(engine: SearchEngine, settings: Settings,
                                                 redis_client: redis.Redis, tmp_path: Path) -> None:
    # Invented names and no known actor: the merge step compares stories that share an
    # actor or a top term, and other tests' ministry coverage must not converge with this one.
    body = ("Responders found the Quorvex loader on file servers of the Tarnland defence ministry, "
            "a hallmark of the Velmora crew, investigators said. ")
    now = datetime.now(UTC)
    articles = [Article(url=f"https://merge{n}.example.com/kazuar", title="Quorvex found at Tarnland ministry",
                        body=body * (3 + n), source=f"outlet{n}", published_at=now) for n in range(3)]
    vectorise(articles)
    for article, story in zip(articles, ["merge-big", "merge-big", "merge-small"], strict=True):
        article.story_id = story
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)
    refresh_story_documents(["merge-big", "merge-small"], engine, settings)
    outbox = OutboxTransport(tmp_path)
    rule = AlertRule(name="merge-test", query_string="Quorvex", subscribers=["desk@example.org"])
    # The subscriber heard of the incident through the small story only.
    assert deliver_article_alert(engine, settings, outbox, rule, articles[2], "desk@example.org") \
        is DeliveryOutcome.SENT

    # The alerts carry their deliveries along on every merge (alerts/tasks.py registers it for the worker).
    merges = merge_converged(engine, settings, on_merge=[carry_deliveries])

    assert ("merge-small", "merge-big") in merges
    refresh(engine, settings, ARTICLES)
    stored = get_documents(engine, settings.index_name(ARTICLES), [a.id for a in articles])
    assert {doc["story_id"] for doc in stored.values()} == {"merge-big"}
    refresh(engine, settings, STORIES)
    stories = get_documents(engine, settings.index_name(STORIES), ["merge-big", "merge-small"])
    assert set(stories) == {"merge-big"}
    assert stories["merge-big"]["article_count"] == 3
    # The merged story keeps its lineage: where its articles came from.
    assert stories["merge-big"]["merged_from"] == ["merge-small"]
    assert get_documents(engine, settings.index_name(ARTICLES), [articles[2].id])[articles[2].id][
        "story_lineage"] == ["merge-small"]
    # ... and is not alerted again about the story that absorbed it.
    follow_up = articles[0].model_copy(update={"story_id": "merge-big"})
    assert deliver_article_alert(engine, settings, outbox, rule, follow_up, "desk@example.org") \
        is DeliveryOutcome.ALREADY_DELIVERED
    assert len(list(tmp_path.glob("*.eml"))) == 1
    assert sorted(stories["merge-big"]["outlets"]) == ["outlet0", "outlet1", "outlet2"]


def test_candidates_come_from_doc_values_and_older_documents_still_join(
        engine: SearchEngine, settings: Settings, redis_client: redis.Redis) -> None:
    body = ("Investigators said Sandworm operators planted the Quillbrook wiper on Vexmoor substation "
            "controllers before the outage, officials said. ")
    now = datetime.now(UTC)
    current, older, newcomer = [
        Article(url=f"https://docvalues{n}.example.com/substations", title="Quillbrook wiper hit Vexmoor substations",
                body=body * (3 + n), source=f"grid-desk{n}", published_at=now, actors=["G0034"],
                victim_countries=["UA"]) for n in range(3)]
    vectorise([current, older, newcomer])
    current.story_id = older.story_id = "docvalues-story"
    stored_by_an_older_release = older.to_document()
    del stored_by_an_older_release["cluster_features"]
    bulk_index(engine, settings.index_name(ARTICLES), [current.to_document(), stored_by_an_older_release],
               refresh=True)

    hits = engine.msearch([(settings.index_name(ARTICLES), candidate_query(newcomer))])[0]["hits"]["hits"]
    assert all("_source" not in hit for hit in hits)
    items = {item.id: item for item in candidate_items(hits, engine, settings.index_name(ARTICLES))}
    assert {current.id, older.id} <= set(items)  # other tests' Sandworm coverage may be candidates too
    for article in (current, older):
        assert items[article.id].story_id == "docvalues-story"
        assert items[article.id].vector == pytest.approx(dict(zip(article.cluster_terms, article.cluster_weights,
                                                                  strict=True)))
        assert items[article.id].actors == {"G0034"} and items[article.id].victims == {"UA"}
    assignment = assign_stories([newcomer], engine, settings)[0]
    assert (assignment.story_id, assignment.opened) == ("docvalues-story", False)


def test_a_copy_written_before_its_original_follows_it_into_its_story(
        engine: SearchEngine, settings: Settings) -> None:
    now = datetime.now(UTC)
    original = Article(url="https://adopt.example.com/original", title="Gamaredon phishing wave",
                       body="Gamaredon sent phishing to Ukrainian officials. " * 8, source="wire",
                       published_at=now, story_id="adopt-story")
    copy = Article(url="https://adopt.example.com/copy", title=original.title, body=original.body,
                   source="reprints", published_at=now, duplicate_of=original.id, story_id="adopt-stray")
    index = settings.index_name(ARTICLES)
    bulk_index(engine, index, [copy.to_document()], refresh=True)  # the copy's batch won the race
    bulk_index(engine, index, [original.to_document()], refresh=True)

    touched = adopt_early_copies([original], engine, settings)

    assert touched == ["adopt-story", "adopt-stray"]
    assert get_documents(engine, index, [copy.id])[copy.id]["story_id"] == "adopt-story"
    assert adopt_early_copies([original], engine, settings) == []  # settled: nothing moves twice
