"""Index lifecycle on the real engine: snapshot and restore, retention, and a
mapping upgrade by reindex and alias swap while searches keep running."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index, index_articles
from search.engine import EngineError, SearchEngine
from search.indexes import ARTICLES, STORIES, first_index, refresh
from search.lifecycle import (
    apply_retention,
    create_snapshot,
    list_snapshots,
    restore_snapshot,
    upgrade_mapping,
)

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)




def _articles(count: int, start: datetime, tag: str) -> list[Article]:
    return [Article(url=f"https://lifecycle.example/{tag}/{number}", source="lifecycle-wire",
                    title=f"Intrusion report {tag} {number}",
                    body=f"Investigators described intrusion {tag} number {number} at a ministry. " * 3,
                    published_at=start + timedelta(hours=number), crawled_at=start + timedelta(hours=number))
            for number in range(count)]


def _count(engine: SearchEngine, settings: Settings, kind: str = ARTICLES) -> int:
    refresh(engine, settings, kind)
    return int(engine.request("GET", f"/{settings.index_name(kind)}/_count")["count"])


def test_a_restore_puts_back_what_the_snapshot_held(engine: SearchEngine, own_indices: Settings) -> None:
    index = own_indices.index_name(ARTICLES)
    kept = _articles(12, NOW - timedelta(days=3), "kept")
    bulk_index(engine, index, [a.to_document() for a in kept], refresh=True)
    name = f"before-{uuid.uuid4().hex[:6]}"
    info = create_snapshot(engine, own_indices, name)
    assert info.state == "SUCCESS" and first_index(own_indices, ARTICLES) in info.indices
    assert name in [snapshot.name for snapshot in list_snapshots(engine, own_indices)]

    later = _articles(5, NOW, "later")
    bulk_index(engine, index, [a.to_document() for a in later], refresh=True)
    engine.request("DELETE", f"/{index}/_doc/{kept[0].id}", params={"refresh": "true"})
    assert _count(engine, own_indices) == 16

    restored = restore_snapshot(engine, own_indices, name)
    assert first_index(own_indices, ARTICLES) in restored
    engine.request("GET", "/_cluster/health", params={"wait_for_status": "yellow"})
    assert _count(engine, own_indices) == 12
    answer = engine.request("POST", f"/{index}/_search", {"size": 50, "_source": False,
                                                          "query": {"match_all": {}}})
    assert {hit["_id"] for hit in answer["hits"]["hits"]} == {a.id for a in kept}
    # The alias writes again after the restore.
    bulk_index(engine, index, [later[0].to_document()], refresh=True)
    assert _count(engine, own_indices) == 13


def test_retention_deletes_only_articles_older_than_the_cutoff(engine: SearchEngine, own_indices: Settings) -> None:
    index = own_indices.index_name(ARTICLES)
    old = _articles(4, NOW - timedelta(days=400), "old")
    recent = _articles(6, NOW - timedelta(days=10), "recent")
    # Written as the pipeline writes them: the old ones fill a month of their own.
    index_articles(engine, own_indices, [a.to_document() for a in old + recent], refresh=True)
    old_month = f"{index}-v1-{old[0].published_at:%Y.%m}"
    assert old_month in engine.request("GET", f"/_alias/{index}")
    engine.request("PUT", f"/{own_indices.index_name(STORIES)}/_doc/old-story",
                   {"id": "old-story", "title": "old", "last_update": (NOW - timedelta(days=390)).isoformat()},
                   params={"refresh": "true"})

    assert apply_retention(engine, own_indices, NOW) is None  # nothing configured: nothing deleted
    assert _count(engine, own_indices) == 10
    outcome = apply_retention(engine, own_indices, NOW, days=365)
    assert outcome is not None
    assert (outcome.articles_deleted, outcome.stories_deleted) == (4, 1)
    assert _count(engine, own_indices) == 6
    # The past month went as a whole index; the alias keeps the rest.
    assert old_month not in engine.request("GET", f"/_alias/{index}")


def test_a_mapping_upgrade_swaps_the_alias_while_searches_run(engine: SearchEngine, own_indices: Settings) -> None:
    index = own_indices.index_name(ARTICLES)
    index_articles(engine, own_indices, [a.to_document() for a in _articles(300, NOW - timedelta(days=5), "swap")],
                   refresh=True)
    months = sorted(engine.request("GET", f"/_alias/{index}"))
    assert f"{index}-v1-2026.11" in months
    seen: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def search_until_done() -> None:
        while not done.is_set():
            try:
                answer = engine.request("POST", f"/{index}/_search",
                                        {"size": 0, "track_total_hits": True,
                                         "query": {"match": {"body": "intrusion"}}})
                seen.append(int(answer["hits"]["total"]["value"]))
            except (EngineError, OSError) as failure:
                failures.append(failure)

    searcher = threading.Thread(target=search_until_done)
    searcher.start()
    try:
        targets = upgrade_mapping(engine, own_indices, ARTICLES)
    finally:
        done.set()
        searcher.join(timeout=30)
    assert targets == [name.replace("-v1-", "-v2-") for name in months]  # month for month
    assert sorted(engine.request("GET", f"/_alias/{index}")) == targets
    assert failures == []
    assert len(seen) > 3 and set(seen) == {300}  # every search, before, during and after, saw all
    # The retired index refuses writes, so nothing can be written where no one reads.
    with pytest.raises(EngineError):
        engine.request("PUT", f"/{index}-v1-2026.11/_doc/late", {"id": "late"})
    bulk_index(engine, index, [a.to_document() for a in _articles(1, NOW, "after")], refresh=True)
    assert _count(engine, own_indices) == 301
    # A month first written after the upgrade is made at the upgraded version.
    january = _articles(1, datetime(2027, 1, 5, tzinfo=UTC), "jan")
    index_articles(engine, own_indices, [a.to_document() for a in january], refresh=True)
    assert f"{index}-v2-2027.01" in engine.request("GET", f"/_alias/{index}")
