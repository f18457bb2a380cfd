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


class Validators:
    """ETag and Last-Modified per feed or sitemap URL, for conditional GETs."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._key = settings.redis_key("http-validators")

    def get(self, url: str) -> tuple[str | None, str | None]:
        etag, modified = cast(list[bytes | None], self._client.hmget(self._key, [f"etag:{url}", f"lm:{url}"]))
        return (etag.decode() if etag else None, modified.decode() if modified else None)

    def store(self, url: str, etag: str | None, last_modified: str | None) -> None:
        mapping = {key: value for key, value in ((f"etag:{url}", etag), (f"lm:{url}", last_modified)) if value}
        if mapping:
            self._client.hset(self._key, mapping=mapping)
