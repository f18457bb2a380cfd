"""Downloader middlewares: the network policy on every request; conditional GET for feeds and sitemaps."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from coverwatch.connections import redis_client_for
from coverwatch.netpolicy import NetPolicy
from coverwatch.settings import get_settings
from crawlers.seen import Validators

log = logging.getLogger(__name__)


class ConditionalGetMiddleware:
    """Send If-None-Match / If-Modified-Since for requests marked ``conditional``
    and stage the validators of each 200 answer for the source's run (see
    crawlers/seen.py); a 304 reaches the spider, which counts it and moves on."""

    def __init__(self, validators: Validators, crawler: Crawler) -> None:
        self.validators = validators
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("COVERWATCH_CONDITIONAL_GET", True):
            raise NotConfigured("conditional GET disabled")
        settings = get_settings()
        return cls(Validators(redis_client_for(settings), settings), crawler)

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
            etag_text = etag.decode("latin-1") if etag else None
            modified_text = modified.decode("latin-1") if modified else None
            source = request.meta.get("coverwatch_source")
            if source:
                # Committed by the hand-off pipeline once the run's articles are handed over.
                self.validators.stage(str(source), request.url, etag_text, modified_text)
            else:
                self.validators.store(request.url, etag_text, modified_text)
        return response


class RequestRefused(IgnoreRequest):
    """A request the network policy refused before anything was sent."""


class NetPolicyMiddleware:
    """Refuse every request whose URL leads into an internal network
    (coverwatch/netpolicy.py): start URLs, feed entries, sitemap children,
    robots.txt and each redirect hop all come through here, because a redirect
    is a new request. Counted per source as ``rejected/ssrf`` and logged.

    DNS rebinding: the host is resolved here, at request time, off the reactor
    thread, and the download resolves it again moments later. A name whose
    answers flip between those two lookups is not caught; Scrapy's DNS cache
    (DNSCACHE_ENABLED) usually hands the download the answer we checked, but
    no pinning is promised."""

    def __init__(self, policy: NetPolicy, crawler: Crawler) -> None:
        self.policy = policy
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetPolicyMiddleware:
        return cls(NetPolicy.from_settings(get_settings()), crawler)

    async def process_request(self, request: Request) -> None:
        reason = await asyncio.get_running_loop().run_in_executor(None, self.policy.refusal, request.url)
        if reason is None:
            return
        source = getattr(getattr(self.crawler.spider, "source", None), "name", "unknown")
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"coverwatch/{source}/rejected/ssrf")
            self.crawler.stats.inc_value("coverwatch/rejected/ssrf")
        log.warning("source %s: request to %s refused by the network policy: %s", source, request.url[:300], reason)
        raise RequestRefused(reason)
