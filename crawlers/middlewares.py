"""Downloader middleware: conditional GET for feeds and sitemaps."""

from __future__ import annotations

from typing import Any

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from coverwatch.settings import get_settings
from crawlers.seen import Validators


class ConditionalGetMiddleware:
    """Send If-None-Match / If-Modified-Since for requests marked ``conditional``
    and remember the validators of each 200 answer; a 304 reaches the spider,
    which counts it and moves on."""

    def __init__(self, validators: Validators, crawler: Crawler) -> None:
        self.validators = validators
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("COVERWATCH_CONDITIONAL_GET", True):
            raise NotConfigured("conditional GET disabled")
        settings = get_settings()
        return cls(Validators(redis.Redis.from_url(settings.redis_url), settings), crawler)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("conditional"):
            return
        etag, last_modified = self.validators.get(request.url)
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)

    def process_response(self, request: Request, response: Response) -> Any:
        if request.meta.get("conditional") and response.status == 200:
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            self.validators.store(request.url, etag.decode("latin-1") if etag else None,
                                  modified.decode("latin-1") if modified else None)
        return response
