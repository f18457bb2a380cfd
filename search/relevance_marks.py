"""Analysts' relevance marks: "espionage" or "not espionage" on one article.

The durable record of each article's mark lives in its own index
(``<prefix>-relevance_marks``, one document per article id, every change kept
in its history). The article document carries the current mark too, beside the
model's own verdict (``relevance_model_band``, ``relevance_model_on_topic``):
search, the alert stage and the beat rule types keep reading ``relevance_band``
and ``on_topic`` alone, and clearing a mark puts the model's verdict back.

Whatever writes an article anew (the pipeline's enrich and cluster stages, a
backfill) applies the stored mark again (:func:`apply_stored_marks`): the mark
wins over the model, however often the article is scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.article_indices import stored_in
from search.documents import get_document, get_documents
from search.engine import NotFound, SearchEngine
from search.indexes import ARTICLES, RELEVANCE_MARKS

# The bands of workers/relevance.py, by value: storage does not import the workers.
ON_TOPIC, OFF_TOPIC = "on_topic", "off_topic"
LIST_LIMIT = 1000
PAGE_SIZE = 500


class MarkLabel(StrEnum):
    ESPIONAGE = "espionage"
    NOT_ESPIONAGE = "not_espionage"


@dataclass(frozen=True)
class Banding:
    """What the alert stage and the rule types read of an article's relevance."""

    band: str | None
    on_topic: bool | None

    @property
    def may_alert(self) -> bool:
        # As the alert stage decides: only an article judged not on-topic stays quiet.
        return self.on_topic is not False


MARK_BANDING = {MarkLabel.ESPIONAGE: Banding(ON_TOPIC, True), MarkLabel.NOT_ESPIONAGE: Banding(OFF_TOPIC, False)}


def banding_for(model: Banding, label: MarkLabel | None) -> Banding:
    """The band an article shows: its mark's, else the model's."""
    return model if label is None else MARK_BANDING[label]


def model_banding(values: Mapping[str, Any]) -> Banding:
    """The model's own verdict on an article (document or Article dump): kept in
    ``relevance_model_*`` once the pipeline or a mark has set them; an article
    written before marks existed has only its band, which is then the model's."""
    if values.get("relevance_model_band") is not None:
        return Banding(values["relevance_model_band"], values.get("relevance_model_on_topic"))
    return Banding(values.get("relevance_band"), values.get("on_topic"))


def current_banding(values: Mapping[str, Any]) -> Banding:
    return Banding(values.get("relevance_band"), values.get("on_topic"))


class MarkEvent(BaseModel):
    """One change of an article's mark; ``label`` None is a cleared mark."""

    label: MarkLabel | None
    previous_label: MarkLabel | None
    by: str
    at: datetime


class RelevanceMark(BaseModel):
    """The durable record of one article's mark, with how it came to be."""

    model_config = ConfigDict(extra="ignore")

    article_id: str
    url: str = ""
    title: str = ""
    label: MarkLabel | None
    marked_by: str
    marked_at: datetime
    previous_label: MarkLabel | None = None
    model_band: str | None = None
    history: list[MarkEvent] = Field(default_factory=list)


def next_mark(previous: RelevanceMark | None, article: Mapping[str, Any], label: MarkLabel | None,
              who: str, now: datetime) -> RelevanceMark | None:
    """The record after ``who`` sets ``label`` (None clears) on ``article``; None
    when nothing changes (the same label again, or clearing what was never set),
    so a double click adds no history."""
    before = previous.label if previous else None
    if label == before:
        return None
    event = MarkEvent(label=label, previous_label=before, by=who, at=now)
    return RelevanceMark(
        article_id=str(article.get("id", "")), url=str(article.get("canonical_url") or article.get("url") or ""),
        title=str(article.get("title", "")), label=label, marked_by=who, marked_at=now, previous_label=before,
        model_band=model_banding(article).band, history=[*(previous.history if previous else []), event])


@dataclass(frozen=True)
class ArticleMarking:
    """The relevance fields of an article document under a mark (or none)."""

    shown: Banding
    model: Banding
    mark: RelevanceMark | None

    def fields(self) -> dict[str, Any]:
        marked = self.mark if self.mark is not None and self.mark.label is not None else None
        return {
            "relevance_band": self.shown.band, "on_topic": self.shown.on_topic,
            "relevance_model_band": self.model.band, "relevance_model_on_topic": self.model.on_topic,
            "relevance_mark": marked.label.value if marked and marked.label else None,
            "relevance_marked_by": marked.marked_by if marked else None,
            "relevance_marked_at": marked.marked_at if marked else None,
        }

    def document(self) -> dict[str, Any]:
        """The fields as JSON for a partial update of the stored article."""
        values = self.fields()
        at = values["relevance_marked_at"]
        values["relevance_marked_at"] = at.isoformat() if at else None
        return values


def article_marking(values: Mapping[str, Any], mark: RelevanceMark | None) -> ArticleMarking:
    model = model_banding(values)
    return ArticleMarking(banding_for(model, mark.label if mark else None), model, mark)


def scored_by_model(article: Article) -> Article:
    """Right after the model scored ``article``: its band is the model's verdict,
    kept apart from any mark (which :func:`with_mark` then lays over it)."""
    article.relevance_model_band, article.relevance_model_on_topic = article.relevance_band, article.on_topic
    article.relevance_mark = article.relevance_marked_by = article.relevance_marked_at = None
    return article


def with_mark(article: Article, mark: RelevanceMark | None) -> Article:
    """``article`` with the stored mark laid over the model's verdict (or that
    verdict back, when the mark was cleared since)."""
    for name, value in article_marking(article.model_dump(include=_RELEVANCE_FIELDS), mark).fields().items():
        setattr(article, name, value)
    return article


_RELEVANCE_FIELDS = {"relevance_band", "on_topic", "relevance_model_band", "relevance_model_on_topic"}


# --- storage ---------------------------------------------------------------------------------------

def _index(settings: Settings) -> str:
    return settings.index_name(RELEVANCE_MARKS)


def get_mark(engine: SearchEngine, settings: Settings, article_id: str) -> RelevanceMark | None:
    stored = get_document(engine, _index(settings), article_id)
    return RelevanceMark.model_validate(stored) if stored else None


def stored_marks(engine: SearchEngine, settings: Settings, article_ids: Sequence[str]) -> dict[str, RelevanceMark]:
    """The mark records of those of ``article_ids`` that have one."""
    try:
        found = get_documents(engine, _index(settings), list(article_ids))
    except NotFound:
        return {}  # a deployment whose marks index is not made yet has no marks
    return {article_id: RelevanceMark.model_validate(record) for article_id, record in found.items()}


def put_mark(engine: SearchEngine, settings: Settings, mark: RelevanceMark) -> None:
    engine.request("PUT", f"/{_index(settings)}/_doc/{quote(mark.article_id, safe='')}",
                   mark.model_dump(mode="json"), params={"refresh": "true"})


def update_article(engine: SearchEngine, settings: Settings, article_id: str, marking: ArticleMarking) -> bool:
    """Write the marking onto the stored article, where it is stored, and make it
    searchable at once. False when no article has that id."""
    alias = settings.index_name(ARTICLES)
    index = stored_in(engine, alias, [article_id]).get(article_id)
    if index is None:
        return False
    engine.request("POST", f"/{index}/_update/{quote(article_id, safe='')}", {"doc": marking.document()},
                   params={"refresh": "true"})
    return True


def apply_stored_marks(engine: SearchEngine, settings: Settings, articles: Sequence[Article]) -> list[Article]:
    """Lay each article's stored mark over its band: the pipeline calls this
    before it drops off-topic articles and again, under the cluster lock, before
    it writes them, so neither a new score nor a backfill undoes a mark."""
    marks = stored_marks(engine, settings, [article.id for article in articles]) if articles else {}
    return [with_mark(article, marks.get(article.id)) for article in articles]


def marks_query(label: MarkLabel | None = None, marked_by: str | None = None,
                include_cleared: bool = False) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if label is not None:
        filters.append({"term": {"label": label.value}})
    elif not include_cleared:
        filters.append({"exists": {"field": "label"}})
    if marked_by:
        filters.append({"term": {"marked_by": marked_by}})
    return {"bool": {"filter": filters}}


def list_marks(engine: SearchEngine, settings: Settings, label: MarkLabel | None = None,
               marked_by: str | None = None, include_cleared: bool = False,
               size: int = LIST_LIMIT) -> list[RelevanceMark]:
    """Current marks, newest first (cleared ones too when asked)."""
    body = {"size": size, "query": marks_query(label, marked_by, include_cleared),
            "sort": [{"marked_at": {"order": "desc"}}, {"article_id": "asc"}]}
    try:
        answer = engine.request("POST", f"/{_index(settings)}/_search", body)
    except NotFound:
        return []
    return [RelevanceMark.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def iter_marks(engine: SearchEngine, settings: Settings, page_size: int = PAGE_SIZE) -> Iterator[RelevanceMark]:
    """Every current mark, page by page in article-id order (any number of them)."""
    after: list[Any] | None = None
    while True:
        body: dict[str, Any] = {"size": page_size, "query": marks_query(), "sort": [{"article_id": "asc"}]}
        if after is not None:
            body["search_after"] = after
        try:
            hits = engine.request("POST", f"/{_index(settings)}/_search", body)["hits"]["hits"]
        except NotFound:
            return
        yield from (RelevanceMark.model_validate(hit["_source"]) for hit in hits)
        if len(hits) < page_size:
            return
        after = hits[-1]["sort"]
