"""Monthly article indices on the real engine (search/article_indices.py): each
article lands in its month's index, stays where it is stored when its dates
change, and is read, marked and counted through the alias as before."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import get_document, get_documents, index_articles, mark_duplicates
from search.engine import SearchEngine
from search.indexes import ARTICLES, alias_members, first_index

pytestmark = pytest.mark.integration




def _article(slug: str, published: datetime) -> Article:
    return Article(url=f"https://months.example/{slug}", source="months-wire", title=f"Ministry breach {slug}",
                   body=f"Investigators traced the {slug} intrusion to a state service. " * 3,
                   published_at=published, crawled_at=published)


def test_each_article_lands_in_its_month(engine: SearchEngine, own_indices: Settings) -> None:
    alias = own_indices.index_name(ARTICLES)
    articles = [_article("sep", datetime(2026, 9, 3, tzinfo=UTC)), _article("oct", datetime(2026, 10, 30, tzinfo=UTC)),
                _article("oct-late", datetime(2026, 10, 31, 23, 59, tzinfo=UTC)),
                _article("jan", datetime(2027, 1, 2, tzinfo=UTC))]
    outcome = index_articles(engine, own_indices, [a.to_document() for a in articles], refresh=True)
    assert sorted(outcome.written) == sorted(a.id for a in articles) and not outcome.failed
    members = alias_members(engine, own_indices.index_name(ARTICLES))
    assert set(members) == {first_index(own_indices, ARTICLES), f"{alias}-v1-2026.09", f"{alias}-v1-2026.10",
                            f"{alias}-v1-2027.01"}
    # The newest month is the write index, so writes through the alias still land somewhere read.
    assert [name for name, writes in members.items() if writes] == [f"{alias}-v1-2027.01"]
    held = engine.request("POST", f"/{alias}/_search", {"size": 10, "_source": False})["hits"]["hits"]
    assert {hit["_id"]: hit["_index"] for hit in held}[articles[2].id] == f"{alias}-v1-2026.10"


def test_a_stored_article_stays_put_when_its_date_changes(engine: SearchEngine, own_indices: Settings) -> None:
    alias = own_indices.index_name(ARTICLES)
    first = _article("moved", datetime(2026, 8, 20, tzinfo=UTC))
    index_articles(engine, own_indices, [first.to_document()], refresh=True)
    corrected = first.model_copy(update={"published_at": datetime(2026, 7, 1, tzinfo=UTC),
                                         "title": "Ministry breach, corrected"})
    index_articles(engine, own_indices, [corrected.to_document()], refresh=True)
    assert engine.request("GET", f"/{alias}/_count")["count"] == 1
    assert f"{alias}-v1-2026.07" not in alias_members(engine, own_indices.index_name(ARTICLES))
    assert (get_document(engine, alias, first.id) or {})["title"] == "Ministry breach, corrected"


def test_reads_and_duplicate_marks_work_across_months(engine: SearchEngine, own_indices: Settings) -> None:
    alias = own_indices.index_name(ARTICLES)
    original = _article("orig", datetime(2026, 5, 4, tzinfo=UTC))
    copy = _article("copy", datetime(2026, 6, 9, tzinfo=UTC))
    index_articles(engine, own_indices, [original.to_document(), copy.to_document()], refresh=True)
    # With three indices behind it, a by-id read through the alias is refused by the engine.
    assert len(alias_members(engine, alias)) >= 3
    assert set(get_documents(engine, alias, [original.id, copy.id, "missing"])) == {original.id, copy.id}
    assert get_document(engine, alias, "missing") is None
    outcome = mark_duplicates(engine, alias, {copy.id: original.id, "never-stored": original.id})
    assert outcome.written == [copy.id] and not outcome.failed
    engine.request("POST", f"/{alias}/_refresh")
    assert (get_document(engine, alias, copy.id) or {}).get("duplicate_of") == original.id


def test_look_alikes_come_first_whatever_month_holds_them(engine: SearchEngine, own_indices: Settings) -> None:
    from web.articles import similar_to

    # Months of unrelated reports sharing common words, and the look-alikes in one month.
    filler = [_article(f"filler-{month}-{day}", datetime(2026, month, day, tzinfo=UTC)).model_copy(update={
        "title": f"Report on the ministry network {day}",
        "body": f"The ministry said the network report came out on day {day}. Officials report outages. " * 3})
        for month in range(3, 12) for day in range(1, 6)]
    index_articles(engine, own_indices, [a.to_document() for a in filler], refresh=True)
    related = [_article(f"zephyr-{n}", datetime(2026, 12, 1, n, tzinfo=UTC)).model_copy(update={
        "title": f"Zephyrine implant report {n}",
        "body": f"The Zephyrine implant sat in the ministry network, report {n} said. Zephyrine beacons nightly. " * 3})
        for n in range(8)]
    index_articles(engine, own_indices, [a.to_document() for a in related], refresh=True)
    # Scored with each month's own statistics, the small months' reports came first.
    found = [hit.id for hit in similar_to(engine, own_indices, related[3].id, size=12)]
    assert set(found[:7]) == {a.id for a in related} - {related[3].id}
