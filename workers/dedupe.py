"""Exact deduplication: one document per canonical URL, one original per body.

The pure part (normalising and hashing a body) is here; the shared memory of
which body belongs to which article lives in Redis, so every worker process on
every machine makes the same decision.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import redis

from coverwatch.models import Article

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalise_body(body: str) -> str:
    """Case, accents, punctuation and whitespace folded away: a copy that
    differs only in typography or line wrapping normalises to the same text."""
    folded = unicodedata.normalize("NFKD", body).casefold()
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    return _NON_WORD.sub(" ", folded).strip()


def body_hash(body: str) -> str:
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


class Verdict(StrEnum):
    NEW = "new"
    SEEN = "seen"  # the same article (same canonical URL) again: a re-crawl or update
    DUPLICATE = "duplicate"  # another URL carrying a body we already hold


@dataclass(frozen=True)
class DedupeDecision:
    article_id: str
    verdict: Verdict
    original_id: str | None = None


class BodyHashRegistry:
    """Redis hash ``body_hash -> first article id``; first writer wins atomically."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key

    def claim(self, articles: Sequence[Article]) -> list[DedupeDecision]:
        hashes = [article.body_hash or body_hash(article.body) for article in articles]
        pipeline = self._client.pipeline(transaction=False)
        for article, digest in zip(articles, hashes, strict=True):
            pipeline.hsetnx(self._key, digest, article.id)
        claimed = pipeline.execute()
        # redis-py annotates sync and asyncio clients together; this one is sync.
        owners = cast(list[bytes | None], self._client.hmget(self._key, hashes)) if hashes else []
        return [
            decide(article.id, bool(was_new), owner.decode() if isinstance(owner, bytes) else owner)
            for article, was_new, owner in zip(articles, claimed, owners, strict=True)
        ]


def decide(article_id: str, claimed_now: bool, body_owner: str | None) -> DedupeDecision:
    """Classify one article given what the shared registry said about its body."""
    if claimed_now or body_owner is None:
        return DedupeDecision(article_id, Verdict.NEW)
    if body_owner == article_id:
        return DedupeDecision(article_id, Verdict.SEEN)
    return DedupeDecision(article_id, Verdict.DUPLICATE, body_owner)
