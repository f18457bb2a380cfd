"""The pipeline's stages as thin Celery tasks: load, call a stage, store, pass
on (ingest → dedupe → enrich → cluster and index → alerts matching). Each takes
and returns the key of a stored batch (workers/runtime/batches.py), so one round
trip carries many articles and messages stay small. Every stage keeps its
(small) result: Celery marks the rest of a chain failed only through stored
results, and whoever waits for a batch must learn of a failure at once, not at a
timeout. The chain itself is built from these tasks' names (workers/pipeline.py);
a domain's other tasks live beside it (alerts/tasks.py, workers/story_tasks.py,
crawlers/tasks.py)."""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import TypeAdapter

from alerts.bands import percolates
from alerts.matching import engine_notices, percolated_firings
from alerts.tasks import queue_deliveries
from coverwatch.logs import note_articles
from coverwatch.metrics import PIPELINE_LAG, seconds_since
from coverwatch.models import Article, utc_now
from coverwatch.settings import get_settings
from coverwatch.taxonomy import default_taxonomy
from search.documents import index_articles, mark_duplicates
from search.engine import EngineError, EngineUnavailable
from search.indexes import ARTICLES, RULES
from search.queries import percolate_articles_page, percolated_document
from search.relevance_marks import apply_stored_marks, scored_by_model
from workers import stages
from workers.clustering import new_story_id
from workers.dedupe import BodyHashRegistry, Demotions, Verdict
from workers.enrichment import enrich as enrich_article
from workers.entities import default_matcher
from workers.neardup import NearDuplicateIndex, fingerprint
from workers.relevance import RelevanceBand, is_dropped
from workers.resources import engine
from workers.runtime.app import app
from workers.runtime.base import RETRYABLE, StageTask
from workers.runtime.batches import BatchRef, BatchStore
from workers.runtime.locks import cluster_lock
from workers.runtime.resources import count, metric_store, redis_client
from workers.stories import (
    STORY_REFRESH_SECONDS,
    adopt_early_copies,
    assign_stories,
    flush_dirty_stories,
    mark_stories_dirty,
    vectorise,
)

log = logging.getLogger(__name__)


def _batches() -> BatchStore:
    return BatchStore(redis_client(), get_settings())


# Batches are read and written as JSON by pydantic itself: no dicts in between
# (about half the cost of a stage's load and hand-on).
_ARTICLES = TypeAdapter(list[Article])


def _load(ref: BatchRef) -> list[Article]:
    articles = _ARTICLES.validate_json(_batches().get_json(ref))
    note_articles(article.id for article in articles)  # every log line of the stage names them
    return articles


def _pass_on(articles: list[Article], consumed: BatchRef) -> BatchRef:
    """Store the stage's output for the next stage. The input is let go by the
    task base (``StageTask``), in one transaction with the record of this output."""
    return _batches().put_json(_ARTICLES.dump_json(articles))


def _registry() -> BodyHashRegistry:
    return BodyHashRegistry(redis_client(), get_settings().redis_key("body-hash"))


def _demotions() -> Demotions:
    return Demotions(redis_client(), get_settings().redis_key("demoted"))


class PipelineTask(StageTask):
    """The stages ride out the search engine's outages too."""

    autoretry_for = (*RETRYABLE, EngineUnavailable, EngineError)


@app.task(base=PipelineTask, name="workers.ingest")
def ingest(ref: BatchRef) -> BatchRef:
    records = _batches().get(ref)
    articles, rejected = stages.parse_articles(records)
    note_articles(article.id for article in articles)
    count("articles.received", len(records))
    count("articles.rejected.invalid", len(rejected))
    return _pass_on(stages.unique_by_id(articles), ref)


@app.task(base=PipelineTask, name="workers.dedupe")
def dedupe(ref: BatchRef) -> BatchRef:
    settings = get_settings()
    # Earliest publication claims a body first, so within a batch the outlet that
    # broke the story is the original and later reprints are its duplicates.
    articles = sorted(_load(ref), key=lambda a: a.published_at or a.crawled_at)
    decisions = _registry().claim(articles)
    for verdict in Verdict:
        count(f"articles.dedupe.{verdict.value}", sum(d.verdict is verdict for d in decisions))
    demoted = {d.original_id: d.article_id for d in decisions
               if d.verdict is Verdict.TAKEOVER and d.original_id}
    articles = stages.apply_dedupe(articles, decisions)
    fresh = [a for a, d in zip(articles, decisions, strict=True)
             if d.verdict in (Verdict.NEW, Verdict.TAKEOVER, Verdict.SEEN)]
    near = NearDuplicateIndex(redis_client(), settings.redis_key("neardup"))
    copies = near.add_and_match([(a.id, (a.published_at or a.crawled_at).timestamp(), fingerprint(a.body))
                                 for a in fresh])
    demoted.update(stages.apply_near_duplicates(fresh, copies))
    count("articles.dedupe.near_duplicate", sum(1 for a in fresh if a.duplicate_of))
    if demoted:
        _demotions().record(demoted)
        mark_duplicates(engine(), settings.index_name(ARTICLES), demoted)
    return _pass_on(articles, ref)


@app.task(base=PipelineTask, name="workers.enrich")
def enrich(ref: BatchRef, keep_off_topic: bool = False) -> BatchRef:
    taxonomy, matcher = default_taxonomy(), default_matcher()
    articles = [scored_by_model(enrich_article(article, taxonomy, matcher)) for article in _load(ref)]
    # An analyst's mark wins over the new score, before off-topic articles are dropped.
    articles = apply_stored_marks(engine(), get_settings(), articles)
    kept = [a for a in articles if keep_off_topic or not is_dropped(a.relevance_band)]
    for article in articles:
        if is_dropped(article.relevance_band) and not keep_off_topic:
            log.info("off-topic article dropped: %s (relevance %.2f: %s)", article.url,
                     article.relevance or 0.0, "; ".join(article.relevance_evidence) or "no evidence")
    count("articles.off_topic", sum(1 for a in articles if is_dropped(a.relevance_band)))
    count("articles.possibly_on_topic", sum(1 for a in articles if a.relevance_band == RelevanceBand.POSSIBLE))
    count("articles.off_topic.dropped", len(articles) - len(kept))
    return _pass_on(kept, ref)


@app.task(base=PipelineTask, name="workers.cluster")
def cluster(ref: BatchRef) -> BatchRef:
    """Place each article in a story, then index it with its story in one write.
    Assignment and write share the cluster lock, and the write is refreshed before
    the lock is let go, so the next batch on any worker finds these articles."""
    settings = get_settings()
    articles = _load(ref)
    if not articles:
        return _pass_on([], ref)
    articles = stages.reconcile_originals(articles, _registry().owners(articles))
    articles = stages.reconcile_originals(articles, _demotions().originals(articles))
    vectorise(articles)
    asked = time.monotonic()
    with cluster_lock(redis_client(), settings):
        taken = time.monotonic()
        # Read again under the lock the marking takes too: a mark set since enrich is not overwritten.
        articles = apply_stored_marks(engine(), settings, articles)
        assignments = assign_stories(articles, engine(), settings)
        outcome = index_articles(engine(), settings, [article.to_document() for article in articles],
                                 refresh=True)
        adopted = adopt_early_copies(articles, engine(), settings)
    # The lock serialises every worker's cluster stage: its hold time bounds the pipeline's rate.
    log.info("cluster lock waited %.3fs, held %.3fs for %d articles", taken - asked, time.monotonic() - taken,
             len(articles))
    for article_id, reason in outcome.failed.items():
        log.error("engine refused article %s: %s", article_id, reason)
    count("articles.indexed", len(outcome.written))
    count("articles.rejected.engine", len(outcome.failed))
    count("stories.opened", sum(1 for a in assignments if a.opened))
    count("stories.joined", sum(1 for a in assignments if not a.opened))
    written = set(outcome.written)
    articles = [article for article in articles if article.id in written]
    metric_store().observe(PIPELINE_LAG, seconds_since((a.crawled_at for a in articles), utc_now()))
    mark_stories_dirty([*(a.story_id for a in articles if a.story_id), *adopted], redis_client(), settings)
    # Story documents are recomputed from their articles at most every few seconds,
    # not per batch: under load one recomputation serves many batches.
    if redis_client().set(settings.redis_key("story-refresh-throttle"), 1, nx=True, ex=STORY_REFRESH_SECONDS):
        flush_dirty_stories(engine(), redis_client(), settings)
    return _pass_on(articles, ref)


@app.task(base=PipelineTask, name="workers.alerts")
def match_alerts(ref: BatchRef) -> list[str]:
    """Percolate the batch's on-topic and possibly on-topic originals against
    every rule; queue one delivery per (rule, subscriber, story) the rule's type
    fires on. Returns the delivery task ids. The last stage: the task base lets
    the batch go once its deliveries are queued."""
    settings = get_settings()
    # Off-topic articles a source keeps wake nobody. Possibly on-topic ones are
    # matched, and routing sends them only to digests that opted in (alerts/bands.py).
    candidates = [a for a in stages.alertable(_load(ref)) if percolates(a)]
    delivery_ids: list[str] = []
    if candidates:
        hits = _percolated_rules(settings.index_name(RULES),
                                 [percolated_document(a.to_document()) for a in candidates])
        # A story is named after the article that opened it (workers.clustering).
        opened = {a.story_id for a in candidates if a.story_id == new_story_id(a.id)}
        now = utc_now()
        notices = percolated_firings(hits, candidates, opened, now)
        notices += engine_notices(engine(), settings, hits, candidates, now)
        count("alerts.matched", len(notices))
        delivery_ids = queue_deliveries(notices)
    return delivery_ids


PERCOLATE_PAGE = 2000


def _percolated_rules(index: str, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every rule that matches any of ``documents``, page by page: a broad batch
    against many rules may match more than one response holds."""
    hits: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = engine().request("POST", f"/{index}/_search",
                                percolate_articles_page(documents, PERCOLATE_PAGE, after))["hits"]["hits"]
        hits.extend(page)
        if len(page) < PERCOLATE_PAGE:
            return hits
        after = str(page[-1]["sort"][0])

