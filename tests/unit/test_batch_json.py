"""Stages write and read batches as JSON through pydantic (workers.tasks); the
records must be those the dict path wrote, which dead letters and replays read."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.stories import vectorise

ARTICLES = TypeAdapter(list[Article])


def _articles() -> list[Article]:
    records = [
        {"url": "https://news.example.com/a?utm_source=x", "title": "APT28 hackers breached Denmark’s ministry",
         "body": "Russia’s GRU unit, known as Fancy Bear, breached the ministry in 2024, officials said. "
                 "The malware called Kazuar was found; CVE-2023-23397 was used.",
         "source": "example", "published_at": "2026-01-02T03:04:05+00:00"},
        {"url": "https://news.example.com/b", "title": "Ein Bericht", "lead": "Kurz.",
         "body": "Die Angreifer hatten Zugriff auf die Dokumente und die Behörden ermitteln.", "source": "example",
         "language": "de"},
    ]
    articles = [enrich(Article.model_validate(record), default_taxonomy(), default_matcher()) for record in records]
    vectorise(articles)
    articles[0].story_id, articles[1].duplicate_of = "s123", articles[0].id
    return articles


def test_json_records_are_the_dict_records() -> None:
    articles = _articles()
    assert json.loads(ARTICLES.dump_json(articles)) == [a.model_dump(mode="json") for a in articles]


def test_json_round_trip_gives_the_same_articles() -> None:
    articles = _articles()
    again = ARTICLES.validate_json(ARTICLES.dump_json(articles))
    assert [a.model_dump() for a in again] == [a.model_dump() for a in articles]
    from_dicts = [Article.model_validate(record) for record in json.loads(ARTICLES.dump_json(articles))]
    assert [a.model_dump() for a in again] == [a.model_dump() for a in from_dicts]
