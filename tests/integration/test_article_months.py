"""Monthly article indices on the real engine (search/article_indices.py): each
article lands in its month's index, stays where it is stored when its dates
change, and is read, marked and counted through the alias as before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.article_indices import alias_members
from search.documents import get_document, get_documents, index_articles, mark_duplicates
from search.engine import SearchEngine
from search.indexes import ARTICLES, drop_indices, ensure_indices, first_index

pytestmark = pytest.mark.integration


@pytest.fixture
def own(settings: Settings, engine: SearchEngine) -> Iterator[Settings]:
    deployment = settings.model_copy(update={"index_prefix": f"months-{uuid.uuid4().hex[:8]}"})
    ensure_indices(engine, deployment)
    try:
        yield deployment
    finally:
        drop_indices(engine, deployment)


def _article(slug: str, published: datetime) -> Article:
    return Article(url=f"https://months.example/{slug}", source="months-wire", title=f"Ministry breach {slug}",
                   body=f"Investigators traced the {slug} intrusion to a state service. " * 3,
                   published_at=published, crawled_at=published)


def test_each_article_lands_in_its_month(engine: SearchEngine, own: Settings) -> None:
    alias = own.index_name(ARTICLES)
    articles = [_article("sep", datetime(2026, 9, 3, tzinfo=UTC)), _article("oct", datetime(2026, 10, 30, tzinfo=UTC)),
                _article("oct-late", datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
                _article("jan", datetime(2027, 1, 2, tzinfo=UTC))]
    outcome = index_articles(engine, own, [a.to_document() for a in articles], refresh=True)
    assert sorted(outcome.written) == sorted(a.id for a in articles) and not outcome.failed
    members = alias_members(engine, own)
    assert set(members) == {first_index(own, ARTICLES), f"{alias}-v1-2026.09", f"{alias}-v1-2026.10",
                            f"{alias}-v1-2027.01"}
    # The newest month is the write index, so writes through the alias still land somewhere read.
    assert [name for name, writes in members.items() if writes] == [f"{alias}-v1-2027.01"]
    held = engine.request("POST", f"/{alias}/_search", {"size": 10, "_source": False})["hits"]["hits"]
    assert {hit["_id"]: hit["_index"] for hit in held}[articles[2].id] == f"{alias}-v1-2026.10"


def test_a_stored_article_stays_put_when_its_date_changes(engine: SearchEngine, own: Settings) -> None:
    alias = own.index_name(ARTICLES)
    first = _article("moved", datetime(2026, 8, 20, tzinfo=UTC))
    index_articles(engine, own, [first.to_document()], refresh=True)
    corrected = first.model_copy(update={"published_at": datetime(2026, 7, 1, tzinfo=UTC),
                                         "title": "Ministry breach, corrected"})
    index_articles(engine, own, [corrected.to_document()], refresh=True)
    assert engine.request("GET", f"/{alias}/_count")["count"] == 1
    assert f"{alias}-v1-2026.07" not in alias_members(engine, own)
    assert (get_document(engine, alias, first.id) or {})["title"] == "Ministry breach, corrected"


def test_reads_and_duplicate_marks_work_across_months(engine: SearchEngine, own: Settings) -> None:
    alias = own.index_name(ARTICLES)
    original = _article("orig", datetime(2026, 5, 4, tzinfo=UTC))
    copy = _article("copy", datetime(2026, 6, 9, tzinfo=UTC))
    index_articles(engine, own, [original.to_document(), copy.to_document()], refresh=True)
    assert len(alias_members(engine, own)) >= 3  # a by-id read through the alias is now refused by the engine
    assert set(get_documents(engine, alias, [original.id, copy.id, "missing"])) == {original.id, copy.id}
    assert get_document(engine, alias, "missing") is None
    outcome = mark_duplicates(engine, alias, {copy.id: original.id, "never-stored": original.id})
    assert outcome.written == [copy.id] and not outcome.failed
    engine.request("POST", f"/{alias}/_refresh")
    assert (get_document(engine, alias, copy.id) or {}).get("duplicate_of") == original.id


def test_look_alikes_are_found_across_months(engine: SearchEngine, own: Settings) -> None:
    from search.articles import similar_to

    first = _article("zephyr-one", datetime(2026, 3, 2, tzinfo=UTC)).model_copy(
        update={"body": "The Zephyrine backdoor was found on cargo scheduling servers at the port. " * 3})
    second = _article("zephyr-two", datetime(2026, 4, 8, tzinfo=UTC)).model_copy(
        update={"body": "Port authority servers carried the Zephyrine backdoor for cargo scheduling. " * 3})
    index_articles(engine, own, [first.to_document(), second.to_document(),
                                 _article("other", datetime(2026, 4, 9, tzinfo=UTC)).to_document()], refresh=True)
    assert [hit.id for hit in similar_to(engine, own, first.id)][:1] == [second.id]
