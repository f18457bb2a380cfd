"""Analysts' marks as training data: one JSON line per marked article, with the
article's own text from the index, in the shape of ``../shared/relevance-dev``
(``id``, ``title``, ``body``, ``url``, ``source``, ``date``, ``on_topic``) plus
who marked it and when, so a trainer reads dev files and marks alike."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from coverwatch.settings import Settings
from search.documents import get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.relevance_marks import MarkLabel, RelevanceMark, iter_marks

ARTICLES_PER_READ = 200


def labelled_example(mark: RelevanceMark, article: Mapping[str, Any] | None) -> dict[str, Any]:
    """One export line. An article gone from the index (retention) keeps the
    mark's own url and title, with no text: the trainer decides whether to skip it."""
    article = article or {}
    published = article.get("published_at") or article.get("event_time")
    return {
        "id": mark.article_id,
        "url": article.get("canonical_url") or article.get("url") or mark.url,
        "source": article.get("source"),
        "language": article.get("language"),
        "date": str(published)[:10] if published else None,
        "title": article.get("title") or mark.title,
        "lead": article.get("lead", ""),
        "body": article.get("body", ""),
        "on_topic": mark.label is MarkLabel.ESPIONAGE,
        "label": mark.label.value if mark.label else None,
        "marked_by": mark.marked_by,
        "marked_at": mark.marked_at.isoformat(),
        "model_band": mark.model_band,
        "relevance": article.get("relevance"),
        "in_index": bool(article),
    }


def _chunks(marks: Iterable[RelevanceMark], size: int) -> Iterator[list[RelevanceMark]]:
    marks = iter(marks)
    while chunk := list(islice(marks, size)):
        yield chunk


def labelled_examples(engine: SearchEngine, settings: Settings) -> Iterator[dict[str, Any]]:
    """Every current mark with its article's text, read a few hundred at a time."""
    for chunk in _chunks(iter_marks(engine, settings), ARTICLES_PER_READ):
        articles = get_documents(engine, settings.index_name(ARTICLES), [mark.article_id for mark in chunk])
        for mark in chunk:
            yield labelled_example(mark, articles.get(mark.article_id))


