"""Thin Celery tasks: load, call a stage, store, pass on. Each takes and returns
the key of a stored batch (workers.batches), so one round trip carries many
articles and messages stay small. Every stage keeps its (small) result: Celery
marks the rest of a chain failed only through stored results, and whoever waits
for a batch must learn of a failure at once, not at a timeout."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import chain
from pydantic import TypeAdapter

from alerts.bands import percolates
from alerts.bounces import SubscriberBounces
from alerts.delivery import (
    MAX_DELIVERY_RETRIES,
    ClaimBusy,
    DeliveryHooks,
    DeliveryOutcome,
    deliver_firing,
    retry_countdown,
)
from alerts.delivery_log import LogEntry, Outcome, RedisDeliveryLog
from alerts.digests import send_due_digests
from alerts.evaluation import due_notices
from alerts.matching import Notice, percolated_firings
from alerts.rule_model import Firing
from alerts.rule_types import parse_rule
from alerts.subscriptions import route_notices, still_wanted
from alerts.transports import TransportError
from coverwatch.logs import note_articles
from coverwatch.metrics import ALERT_LATENCY, PIPELINE_LAG, MetricStore, seconds_since
from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import get_settings
from coverwatch.taxonomy import default_taxonomy
from search.documents import index_articles, mark_duplicates
from search.indexes import ARTICLES, RULES
from search.queries import percolate_articles_page, percolated_document
from search.relevance_marks import apply_stored_marks, scored_by_model
from workers import stages
from workers.base import StageTask
from workers.batches import BatchRef, BatchStore
from workers.celery_app import app
from workers.clustering import new_story_id
from workers.dedupe import BodyHashRegistry, Demotions, Verdict
from workers.enrichment import enrich as enrich_article
from workers.entities import default_matcher
from workers.neardup import NearDuplicateIndex, fingerprint
from workers.relevance import RelevanceBand, is_dropped
from workers.resources import count, engine, redis_client
from workers.stories import (
    STORY_REFRESH_SECONDS,
    adopt_early_copies,
    assign_stories,
    cluster_lock,
    flush_dirty_stories,
    mark_stories_dirty,
    merge_converged,
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


def metric_store() -> MetricStore:
    return MetricStore(redis_client(), get_settings())


def _registry() -> BodyHashRegistry:
    return BodyHashRegistry(redis_client(), get_settings().redis_key("body-hash"))


def _demotions() -> Demotions:
    return Demotions(redis_client(), get_settings().redis_key("demoted"))


@app.task(base=StageTask, name="workers.ingest")
def ingest(ref: BatchRef) -> BatchRef:
    records = _batches().get(ref)
    articles, rejected = stages.parse_articles(records)
    note_articles(article.id for article in articles)
    count("articles.received", len(records))
    count("articles.rejected.invalid", len(rejected))
    return _pass_on(stages.unique_by_id(articles), ref)


@app.task(base=StageTask, name="workers.dedupe")
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


@app.task(base=StageTask, name="workers.enrich")
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


@app.task(base=StageTask, name="workers.cluster")
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


@app.task(base=StageTask, name="workers.alerts")
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
        notices = percolated_firings(hits, candidates, opened, utc_now())
        count("alerts.matched", len(notices))
        delivery_ids = _queue_deliveries(notices)
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


def _queue_deliveries(notices: list[Notice]) -> list[str]:
    # Stored subscriptions join the rule's own list here; digest, muted and
    # unconfirmed ones leave it (alerts/subscriptions.py).
    notices = route_notices(engine(), get_settings(), notices)
    return [deliver.delay(notice.firing.rule.model_dump(mode="json"),
                          notice.firing.article.model_dump(mode="json"), notice.subscriber,
                          notice.firing.occasion()).id
            for notice in notices]


@app.task(base=StageTask, bind=True, name="workers.deliver", max_retries=MAX_DELIVERY_RETRIES)
def deliver(self: Any, rule: dict[str, Any], article: dict[str, Any], subscriber: str,
            occasion: dict[str, Any] | None = None) -> str:
    """Send one alert. ``occasion`` is the firing's key, time and summary;
    without it (messages queued before rule types) the article's story is the key.
    A transient refusal retries this task with backoff (the claim waits for it);
    a redelivered message whose killed first attempt still holds the lease
    retries once that lease has run out (alerts/delivery.py)."""
    settings = get_settings()
    typed_rule, alerted = parse_rule(rule), Article.model_validate(article)
    occasion = occasion or {}
    firing = Firing(typed_rule, alerted, occasion.get("group_key") or alerted.story_id or alerted.id,
                    parse_timestamp(occasion.get("fired_at")) or utc_now(), occasion.get("summary", ""),
                    occasion.get("details") or {})
    journal = RedisDeliveryLog(redis_client(), settings)
    if not still_wanted(engine(), settings, typed_rule, subscriber):
        count("alerts.no_longer_wanted")  # unsubscribed, bouncing or left the rule since it was queued
        journal.record(LogEntry(Outcome.NO_LONGER_WANTED.value, typed_rule.id, typed_rule.name, subscriber,
                                firing.group_key, article_id=alerted.id))
        return "no_longer_wanted"
    hooks = DeliveryHooks(journal, SubscriberBounces(redis_client(), engine(), settings), self.request.id)
    try:
        outcome = deliver_firing(engine(), settings, firing, subscriber, hooks=hooks)
    except ClaimBusy as busy:
        raise self.retry(exc=busy, countdown=busy.retry_in + 1, max_retries=self.max_retries + 1) from busy
    except TransportError as failure:
        if self.request.retries >= self.max_retries:
            journal.record(LogEntry(Outcome.FAILED.value, typed_rule.id, typed_rule.name, subscriber,
                                    firing.group_key, article_id=alerted.id, detail=str(failure)))
            raise
        count("alerts.retried")
        raise self.retry(exc=failure, countdown=retry_countdown(self.request.retries)) from failure
    count(f"alerts.{outcome.value}")
    if outcome is DeliveryOutcome.SENT:
        metric_store().observe(ALERT_LATENCY, seconds_since([alerted.crawled_at], utc_now()))
    return outcome.value


@app.task(base=StageTask, name="workers.evaluate_rules")
def evaluate_rules() -> list[str]:
    """Beat calls this every COVERWATCH_RULE_EVALUATION_SECONDS: the periodic rule
    types (threshold, story_growth) look at the index and queue what they fire on."""
    notices = due_notices(engine(), get_settings(), utc_now())
    count("alerts.periodic_fired", len(notices))
    return _queue_deliveries(notices)


@app.task(base=StageTask, name="workers.send_digests")
def send_digests() -> dict[str, str]:
    """Beat calls this every COVERWATCH_DIGEST_CHECK_SECONDS: each subscriber's due
    digest, once (alerts/digests.py claims it like any delivery)."""
    outcomes = send_due_digests(engine(), get_settings())
    for outcome in outcomes.values():
        count(f"digests.{outcome.split(':')[0]}")
    return outcomes


@app.task(base=StageTask, name="workers.refresh_stories")
def refresh_stories() -> int:
    """Bring every story document touched since the last refresh up to date."""
    return flush_dirty_stories(engine(), redis_client(), get_settings())


@app.task(base=StageTask, name="workers.merge_stories")
def merge_stories() -> list[list[str]]:
    """Periodic self-healing: merge stories whose coverage has converged."""
    settings = get_settings()
    with cluster_lock(redis_client(), settings):
        merges = merge_converged(engine(), settings)
    count("stories.merged", len(merges))
    return [list(pair) for pair in merges]


PIPELINE = (ingest, dedupe, enrich, cluster, match_alerts)


def pipeline_for(ref: BatchRef, keep_off_topic: bool = False) -> Any:
    """The chain one stored batch of articles travels, crawled or backfilled alike."""
    return pipeline_from(ingest.name, ref, keep_off_topic)


def pipeline_from(task_name: str, ref: BatchRef, keep_off_topic: bool = False) -> Any:
    """The rest of the chain from the stage called ``task_name`` on: a replayed
    dead letter goes on through every later stage, not only the one that failed."""
    names = [task.name for task in PIPELINE]
    if task_name not in names:
        raise ValueError(f"{task_name} is not a pipeline stage")
    rest = [task.s(keep_off_topic=keep_off_topic) if task is enrich else task.s()
            for task in PIPELINE[names.index(task_name):]]
    return chain(rest[0].clone(args=(ref,)), *rest[1:])


def is_pipeline_stage(task_name: str) -> bool:
    return task_name in {task.name for task in PIPELINE}


@app.task(base=StageTask, name="workers.dispatch_crawls")
def dispatch_crawls() -> list[str]:
    """Beat calls this every half minute: put every source that is due on the crawl
    queue, where the long-lived crawlers (``coverwatch crawler``) take them. The
    file is parsed again when it changes, so an edit takes effect without a deploy."""
    from datetime import UTC, datetime

    from crawlers.dispatch import dispatch_due

    settings = get_settings()
    queued = dispatch_due(settings.sources_file, redis_client(), settings, datetime.now(UTC))
    count("crawls.queued", len(queued))
    return queued


@app.task(base=StageTask, name="workers.crawl")
def crawl_source(name: str) -> dict[str, Any]:
    """Queue one source's crawl now, for a long-lived crawler to run (kept for
    callers of the old task, which ran the crawl in a process of its own)."""
    from crawlers.crawl_queue import CrawlQueue
    from crawlers.sources import load_sources

    settings = get_settings()
    sources = [source for source in load_sources(settings.sources_file) if source.name == name]
    if not sources:
        return {"source": name, "error": "unknown source"}
    entry = CrawlQueue(redis_client(), settings, consumer="dispatcher").enqueue(sources)[0]
    return {"source": name, "queued": entry}
