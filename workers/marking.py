"""An analyst marks an article "espionage" or "not espionage" (or clears the
mark): the record is stored, the article re-banded at once, and an article the
mark makes alertable goes through the alert stage like a freshly indexed one.

The record and the article update are written under the cluster lock, the one
the cluster stage holds from reading marks to writing articles: without it, a
batch that read "no mark" just before could overwrite the article with the
model's band right after the mark was written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import get_document
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.relevance_marks import (
    Banding,
    MarkLabel,
    RelevanceMark,
    article_marking,
    current_banding,
    get_mark,
    next_mark,
    put_mark,
    update_article,
)

log = logging.getLogger(__name__)

# An analyst waits this long at most for a cluster stage in progress to let go.
LOCK_WAIT_SECONDS = 30.0


class ArticleMissing(LookupError):
    """No article with that id."""


class MarkingBusy(RuntimeError):
    """The cluster lock stayed taken; nothing was written."""


@dataclass(frozen=True)
class MarkOutcome:
    article_id: str
    mark: RelevanceMark | None  # the record now (None: never marked)
    banding: Banding  # what the article shows now
    changed: bool
    alert_task: str | None  # the alert stage's task id, when the mark made the article alertable


def newly_alertable(before: Banding, after: Banding) -> bool:
    """Was the article kept from alerts and may it alert now? Only then does it
    go through the alert stage again (deliveries are claimed once per rule,
    subscriber and story, so a repeat would send nothing anyway)."""
    return not before.may_alert and after.may_alert


def set_mark(engine: SearchEngine, client: redis.Redis, settings: Settings, article_id: str,
             label: MarkLabel | None, who: str, now: datetime) -> MarkOutcome:
    """``who`` marks ``article_id`` with ``label`` (None clears the mark)."""
    from workers.runtime.locks import cluster_lock

    lock = cluster_lock(client, settings)
    if not lock.acquire(blocking_timeout=LOCK_WAIT_SECONDS):
        raise MarkingBusy(f"the article index is busy; try again in a minute ({article_id})")
    try:
        article = get_document(engine, settings.index_name(ARTICLES), article_id)
        if article is None:
            raise ArticleMissing(article_id)
        previous = get_mark(engine, settings, article_id)
        before = current_banding(article)
        mark = next_mark(previous, article, label, who, now)
        if mark is None:
            return MarkOutcome(article_id, previous, before, False, None)
        marking = article_marking(article, mark)
        # The record first: if the article update fails, the next write of the
        # article (the pipeline applies stored marks) or a repeated mark puts it right.
        put_mark(engine, settings, mark)
        update_article(engine, settings, article_id, marking)
    finally:
        lock.release()
    alert_task = None
    if newly_alertable(before, marking.shown):
        alert_task = queue_alerts(client, settings, {**article, **marking.document()})
    log.info("%s marked article %s %s (was %s): band %s", who, article_id, label or "cleared",
             mark.previous_label or "unmarked", marking.shown.band)
    return MarkOutcome(article_id, mark, marking.shown, True, alert_task)


def queue_alerts(client: redis.Redis, settings: Settings, document: dict[str, Any]) -> str:
    """Send one article through the alert stage (percolator, then deliveries),
    as a batch of one, exactly as the pipeline hands on indexed articles."""
    from workers.runtime.app import app
    from workers.runtime.batches import BatchStore

    article = Article.model_validate(document)
    ref = BatchStore(client, settings).put_json(
        b"[" + article.model_dump_json().encode("utf-8") + b"]")
    return str(app.send_task("workers.alerts", args=[ref]).id)
