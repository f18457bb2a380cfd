"""The worker stages as plain functions on articles: no Celery, no network.

Tasks load inputs, call these and store the results, so each decision here can
be tested with nothing running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from coverwatch.models import Article
from coverwatch.urls import InvalidURL
from workers.dedupe import DedupeDecision, Verdict, body_hash
from workers.neardup import NearCopy, earliest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rejection:
    url: str
    reason: str


def parse_articles(batch: Iterable[Mapping[str, Any]]) -> tuple[list[Article], list[Rejection]]:
    """Validate raw article records; a bad one is rejected with its reason, the
    rest go on."""
    articles: list[Article] = []
    rejected: list[Rejection] = []
    for record in batch:
        url = str(record.get("url", "?"))
        try:
            article = Article.model_validate(record)
        except (ValidationError, InvalidURL) as failure:
            reason = failure.errors()[0]["msg"] if isinstance(failure, ValidationError) else str(failure)
            rejected.append(Rejection(url, reason))
            log.warning("rejected article %s: %s", url, reason)
            continue
        article.body_hash = body_hash(article.body)
        articles.append(article)
    return articles, rejected


def unique_by_id(articles: Sequence[Article]) -> list[Article]:
    """Within one batch the same canonical URL may appear twice; keep the last."""
    return list({article.id: article for article in articles}.values())


def apply_dedupe(articles: Sequence[Article], decisions: Sequence[DedupeDecision]) -> list[Article]:
    for article, decision in zip(articles, decisions, strict=True):
        article.duplicate_of = decision.original_id if decision.verdict is Verdict.DUPLICATE else None
    return list(articles)


def apply_near_duplicates(
    articles: Sequence[Article], copies: Sequence[Sequence[NearCopy]]
) -> dict[str, str]:
    """Link each article to the earliest of its near-copies. Returns stored
    articles that must now point at an earlier-published newcomer {copy: original}."""
    demoted: dict[str, str] = {}
    for article, found in zip(articles, copies, strict=True):
        if not found:
            continue
        published = (article.published_at or article.crawled_at).timestamp()
        original = earliest(article.id, published, found)
        if original != article.id:
            article.duplicate_of = original
        else:
            demoted.update({copy.article_id: article.id for copy in found})
    return demoted


def reconcile_originals(articles: Sequence[Article], owners: Sequence[str | None]) -> list[Article]:
    """Point each article at its body's current original, as the shared registry
    says right now: an earlier-published copy may have taken over since dedupe."""
    for article, owner in zip(articles, owners, strict=True):
        if owner and owner != article.id:
            article.duplicate_of = owner
    return list(articles)


def alertable(articles: Sequence[Article]) -> list[Article]:
    """Copies of an article already held never alert: one email per original."""
    return [article for article in articles if article.duplicate_of is None]
