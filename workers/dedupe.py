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
    if body.isascii():
        return _NON_WORD.sub(" ", body.lower()).strip()
    folded = unicodedata.normalize("NFKD", body).casefold()
    # The accents are dropped by one translate of the few distinct marks present,
    # not by a test of every character (most of this function's time on real text).
    marks: dict[str, int | str | None] = {char: None for char in set(folded) if unicodedata.combining(char)}
    if marks:
        folded = folded.translate(str.maketrans(marks))
    return _NON_WORD.sub(" ", folded).strip()


def body_hash(body: str) -> str:
    return hashlib.sha256(normalise_body(body).encode("utf-8")).hexdigest()


class Verdict(StrEnum):
    NEW = "new"
    SEEN = "seen"  # the same article (same canonical URL) again: a re-crawl or update
    DUPLICATE = "duplicate"  # another URL carrying a body we already hold
    TAKEOVER = "takeover"  # an earlier-published copy of a body we hold: it becomes the original


@dataclass(frozen=True)
class DedupeDecision:
    article_id: str
    verdict: Verdict
    original_id: str | None = None  # for DUPLICATE: the original; for TAKEOVER: the demoted one


# One atomic step per article: the earliest-published holder of a body owns it.
# Values are "<published epoch seconds>|<article id>".
_CLAIM_SCRIPT = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local mine = ARGV[3] .. '|' .. ARGV[2]
if not current then
  redis.call('HSET', KEYS[1], ARGV[1], mine)
  return {'new', ''}
end
local bar = string.find(current, '|', 1, true)
local owner_time = tonumber(string.sub(current, 1, bar - 1))
local owner = string.sub(current, bar + 1)
if owner == ARGV[2] then
  return {'seen', owner}
end
if tonumber(ARGV[3]) < owner_time then
  redis.call('HSET', KEYS[1], ARGV[1], mine)
  return {'takeover', owner}
end
return {'duplicate', owner}
"""


class BodyHashRegistry:
    """Redis hash ``body_hash -> (published time, article id)`` shared by every worker."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key
        self._claim = client.register_script(_CLAIM_SCRIPT)

    def claim(self, articles: Sequence[Article]) -> list[DedupeDecision]:
        pipeline = self._client.pipeline(transaction=False)
        for article in articles:
            published = article.published_at or article.crawled_at
            self._claim(keys=[self._key],
                        args=[article.body_hash or body_hash(article.body), article.id,
                              f"{published.timestamp():.3f}"],
                        client=pipeline)
        answers = cast(list[list[bytes]], pipeline.execute())
        return [decide(article.id, verdict.decode(), other.decode() or None)
                for article, (verdict, other) in zip(articles, answers, strict=True)]


    def owners(self, articles: Sequence[Article]) -> list[str | None]:
        """The current original of each article's body (None if unclaimed)."""
        if not articles:
            return []
        digests = [article.body_hash or body_hash(article.body) for article in articles]
        values = cast(list[bytes | None], self._client.hmget(self._key, digests))
        return [value.decode().split("|", 1)[1] if value else None for value in values]


def decide(article_id: str, verdict: str, other_id: str | None) -> DedupeDecision:
    """Turn the registry's answer into a decision; an unknown answer is a bug."""
    return DedupeDecision(article_id, Verdict(verdict),
                          other_id if verdict in {Verdict.DUPLICATE, Verdict.TAKEOVER} else None)


class Demotions:
    """Stored articles found to be copies only after their own dedupe step
    ({copy id: original id}), kept in Redis for a week. ``mark_duplicates`` can
    only reach copies already written; a copy still on its way through the
    pipeline reads its demotion here when it is written."""

    TTL_SECONDS = 7 * 24 * 3600

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key

    def record(self, demoted: dict[str, str]) -> None:
        if demoted:
            pipeline = self._client.pipeline(transaction=False)
            pipeline.hset(self._key, mapping=demoted)
            pipeline.expire(self._key, self.TTL_SECONDS)
            pipeline.execute()

    def originals(self, articles: Sequence[Article]) -> list[str | None]:
        if not articles:
            return []
        values = cast(list[bytes | None], self._client.hmget(self._key, [a.id for a in articles]))
        return [value.decode() if value else None for value in values]
