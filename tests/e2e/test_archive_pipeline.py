"""Backfill an archive through two real workers, export it, and check the
workers' decisions: duplicates linked, stories formed, off-topic flagged."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES, refresh
from tests.e2e.conftest import run_cli
from tests.fixtures.story_corpus import build_corpus
from workers.evaluation import bcubed
from workers.handoff import submit_batch, wait_for_batches

pytestmark = pytest.mark.e2e


def _copies(records: list[dict[str, object]]) -> list[tuple[dict[str, object], str]]:
    """A verbatim reprint and a lightly edited rewrite of the first two records."""
    reprint = {**records[0], "url": "https://reprints.example.com/a", "source": "reprints",
               "published_at": "2026-12-30T00:00:00+00:00"}
    body = str(records[1]["body"])
    edited = {**records[1], "url": "https://rewrites.example.com/b", "source": "rewrites",
              "title": "UPDATE: " + str(records[1]["title"]),
              "body": "Updated with reaction from officials. " + body.replace(" said", " told reporters"),
              "published_at": "2026-12-31T00:00:00+00:00"}
    return [(reprint, str(records[0]["url"])), (edited, str(records[1]["url"]))]


def test_backfill_then_export(settings: Settings, engine: SearchEngine, worker: None, api_url: str,
                              api_headers: dict[str, str], tmp_path: Path) -> None:
    records, gold = build_corpus(seed=21)
    copies = _copies(records)
    off_topic = {"url": "https://sport.example.com/final", "title": "Rovers win the cup final",
                 "body": "Two late goals gave Rovers their first cup in twenty years. " * 4, "source": "sport"}
    archive = tmp_path / "archive.jsonl"
    lines = [json.dumps(r) for r in [*records, *(c for c, _ in copies), off_topic]]
    lines.insert(3, "{not json")
    archive.write_text("\n".join(lines) + "\n", encoding="utf-8")

    summary = json.loads(run_cli("backfill", str(archive), "--all", "--batch-size", "25").splitlines()[-1])
    assert summary["read"] == len(records) + 3 and summary["rejected_lines"] == 1
    assert summary["batches_failed"] == 0

    export_file = tmp_path / "export.jsonl"
    run_cli("export", "--output", str(export_file))
    rows = {row["url"]: row for row in map(json.loads, export_file.read_text().splitlines())}
    assert set(rows) >= {*gold, off_topic["url"], *(c["url"] for c, _ in copies)}

    ids = {url: row["id"] for url, row in rows.items()}
    for copy, original_url in copies:
        assert rows[str(copy["url"])]["duplicate_of"] == ids[original_url]
        assert rows[str(copy["url"])]["story_id"] == rows[original_url]["story_id"]
    assert rows[off_topic["url"]]["on_topic"] is False
    assert rows[off_topic["url"]]["relevance"] < 0.5

    predicted = {url: str(rows[url]["story_id"]) for url in gold}
    _, _, f1 = bcubed(gold, predicted)
    assert f1 >= 0.85, f1
    sample = rows[next(iter(gold))]
    assert sample["actors"] and sample["attributed_states"] and sample["claim_type"]

    story_ids = {row["story_id"] for row in rows.values() if row["url"] in gold}
    stories = get_documents(engine, settings.index_name(STORIES), sorted(story_ids))
    assert len(stories) == len(story_ids)
    biggest = max(stories.values(), key=lambda story: story["article_count"])
    assert biggest["article_count"] >= 3 and biggest["outlets"] and biggest["first_outlet"]

    with httpx.Client(base_url=api_url, headers=api_headers, timeout=10) as api:
        lineage = api.get(f"/api/stories/{biggest['id']}").json()
        assert len(lineage["articles"]) == biggest["article_count"]
        times = [a["published_at"] for a in lineage["articles"]]
        assert times == sorted(times) and lineage["broke_it"]["source"] == biggest["first_outlet"]
        assert api.get("/api/stories/no-such-story").status_code == 404
        assert biggest["id"] in {story["id"] for story in api.get("/api/stories", params={"size": 100}).json()}


def test_two_workers_two_simultaneous_articles_one_story(settings: Settings, engine: SearchEngine,
                                                         worker: None) -> None:
    first = {"url": "https://race-one.example.com/x", "source": "race-one",
             "title": "Hackers tied to Kimsuky breach Seoul shipbuilder design servers",
             "body": "Investigators said Kimsuky, the North Korean espionage group, broke into the design servers "
                     "of a Seoul shipbuilder through a VPN flaw and stole submarine blueprints. " * 3,
             "published_at": "2027-02-01T09:00:00+00:00"}
    second = {"url": "https://race-two.example.com/y", "source": "race-two",
              "title": "Seoul shipbuilder says North Korean hackers stole submarine blueprints",
              "body": "A Seoul shipbuilder said North Korean hackers from the Kimsuky group exploited a VPN flaw to "
                      "reach its design servers, taking submarine blueprints, investigators said. " * 3,
              "published_at": "2027-02-01T09:30:00+00:00"}
    batch_ids: list[str] = []
    threads = [threading.Thread(target=lambda r=r: batch_ids.append(submit_batch([r]))) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_for_batches(batch_ids, timeout=120)["batches_failed"] == 0
    refresh(engine, settings, ARTICLES)
    ids = [Article.model_validate({**r}).id for r in (first, second)]
    stored = get_documents(engine, settings.index_name(ARTICLES), ids)
    assert stored[ids[0]]["story_id"] and stored[ids[0]]["story_id"] == stored[ids[1]]["story_id"]
