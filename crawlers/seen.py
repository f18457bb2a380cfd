"""The incremental seen-set and HTTP validators, shared by every crawl process in Redis."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import redis

from coverwatch.settings import Settings


class SeenUrls:
    """Canonical URLs of articles already handed to the workers: a re-crawl skips them."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._key = settings.redis_key("seen-urls")

    def unseen(self, urls: Sequence[str]) -> list[bool]:
        if not urls:
            return []
        flags = cast(list[int], self._client.smismember(self._key, list(urls)))
        return [not flag for flag in flags]

    def add(self, *urls: str) -> None:
        if urls:
            self._client.sadd(self._key, *urls)


# Validators a run has fetched but not yet vouched for are kept this long: a run
# that dies leaves them behind, and the next run of the source stages anew.
STAGED_SECONDS = 24 * 3600


class Validators:
    """ETag and Last-Modified per feed or sitemap URL, for conditional GETs.

    A run *stages* the validators it receives and *commits* them once every
    article it found is handed to the workers. Stored at fetch time, a run that
    died before the hand-off would leave the next run a 304, and the articles
    it never handed over would never be fetched again."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._key = settings.redis_key("http-validators")
        self._staged_prefix = settings.redis_key("http-validators-staged")

    def get(self, url: str) -> tuple[str | None, str | None]:
        etag, modified = cast(list[bytes | None], self._client.hmget(self._key, [f"etag:{url}", f"lm:{url}"]))
        return (etag.decode() if etag else None, modified.decode() if modified else None)

    def store(self, url: str, etag: str | None, last_modified: str | None) -> None:
        mapping = _fields(url, etag, last_modified)
        if mapping:
            self._client.hset(self._key, mapping=mapping)

    def stage(self, source: str, url: str, etag: str | None, last_modified: str | None) -> None:
        mapping = _fields(url, etag, last_modified)
        if mapping:
            staged = f"{self._staged_prefix}:{source}"
            with self._client.pipeline() as pipe:
                pipe.hset(staged, mapping=mapping)
                pipe.expire(staged, STAGED_SECONDS)
                pipe.execute()

    def commit(self, source: str) -> int:
        """Make the source's staged validators the ones its next run sends;
        returns how many URLs they cover. One run of a source at a time (its
        crawl lock) means nothing stages for it between the read and the write."""
        staged = f"{self._staged_prefix}:{source}"
        fields = cast(dict[bytes, bytes], self._client.hgetall(staged))
        with self._client.pipeline() as pipe:
            if fields:
                pipe.hset(self._key, mapping=fields)
            pipe.delete(staged)
            pipe.execute()
        return len({field.split(b":", 1)[1] for field in fields})


def _fields(url: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
    return {key: value for key, value in ((f"etag:{url}", etag), (f"lm:{url}", last_modified)) if value}
