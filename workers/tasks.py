"""Thin Celery tasks: load, call a stage, store, pass on. Each takes and returns
JSON-safe batches so one round trip carries many articles."""

from __future__ import annotations

import logging
from typing import Any

from alerts.delivery import deliver_article_alert
from alerts.rules import AlertRule
from alerts.transports import transport_for
from coverwatch.models import Article
from coverwatch.settings import get_settings
from search.documents import bulk_index, mark_duplicates
from search.indexes import ARTICLES, RULES
from search.queries import percolate_articles
from workers import stages
from workers.base import StageTask
from workers.celery_app import app
from workers.dedupe import BodyHashRegistry, Verdict
from workers.resources import count, engine, redis_client

log = logging.getLogger(__name__)
ArticleBatch = list[dict[str, Any]]


def _dump(articles: list[Article]) -> ArticleBatch:
    return [article.model_dump(mode="json") for article in articles]


def _load(batch: ArticleBatch) -> list[Article]:
    return [Article.model_validate(record) for record in batch]


@app.task(base=StageTask, name="workers.ingest")
def ingest(batch: ArticleBatch) -> ArticleBatch:
    articles, rejected = stages.parse_articles(batch)
    count("articles.received", len(batch))
    count("articles.rejected.invalid", len(rejected))
    return _dump(stages.unique_by_id(articles))


@app.task(base=StageTask, name="workers.dedupe")
def dedupe(batch: ArticleBatch) -> ArticleBatch:
    settings = get_settings()
    # Earliest publication claims a body first, so within a batch the outlet that
    # broke the story is the original and later reprints are its duplicates.
    articles = sorted(_load(batch), key=lambda a: a.published_at or a.crawled_at)
    registry = BodyHashRegistry(redis_client(), settings.redis_key("body-hash"))
    decisions = registry.claim(articles)
    for verdict in Verdict:
        count(f"articles.dedupe.{verdict.value}", sum(d.verdict is verdict for d in decisions))
    demoted = {d.original_id: d.article_id for d in decisions
               if d.verdict is Verdict.TAKEOVER and d.original_id}
    if demoted:
        mark_duplicates(engine(), settings.index_name(ARTICLES), demoted)
    return _dump(stages.apply_dedupe(articles, decisions))


@app.task(base=StageTask, name="workers.index")
def index(batch: ArticleBatch) -> ArticleBatch:
    settings = get_settings()
    registry = BodyHashRegistry(redis_client(), settings.redis_key("body-hash"))
    articles = _load(batch)
    articles = stages.reconcile_originals(articles, registry.owners(articles))
    outcome = bulk_index(engine(), settings.index_name(ARTICLES),
                         [article.to_document() for article in articles])
    for article_id, reason in outcome.failed.items():
        log.error("engine refused article %s: %s", article_id, reason)
    count("articles.indexed", len(outcome.written))
    count("articles.rejected.engine", len(outcome.failed))
    written = set(outcome.written)
    return _dump([article for article in articles if article.id in written])


@app.task(base=StageTask, name="workers.alerts")
def match_alerts(batch: ArticleBatch) -> list[str]:
    """Percolate the batch's originals against every rule; queue one delivery per
    (rule, subscriber, article). Returns the delivery task ids."""
    settings = get_settings()
    candidates = stages.alertable(_load(batch))
    if not candidates:
        return []
    answer = engine().request("POST", f"/{settings.index_name(RULES)}/_search",
                              percolate_articles([a.to_document() for a in candidates]))
    matches = stages.alert_matches(answer["hits"]["hits"], candidates)
    count("alerts.matched", len(matches))
    return [
        deliver.delay(match.rule.model_dump(mode="json"), match.article.model_dump(mode="json"),
                      match.subscriber).id
        for match in matches
    ]


@app.task(base=StageTask, name="workers.deliver")
def deliver(rule: dict[str, Any], article: dict[str, Any], subscriber: str) -> str:
    settings = get_settings()
    outcome = deliver_article_alert(engine(), settings, transport_for(settings),
                                    AlertRule.model_validate(rule), Article.model_validate(article),
                                    subscriber)
    count(f"alerts.{outcome.value}")
    return outcome.value


def pipeline_for(batch: ArticleBatch) -> Any:
    """The chain one batch of crawled articles travels."""
    return ingest.s(batch) | dedupe.s() | index.s() | match_alerts.s()



