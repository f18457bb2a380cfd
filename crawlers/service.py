"""The long-lived crawler: one Scrapy crawler that stays up and runs the due
sources it takes from the crawl queue (crawlers/crawl_queue.py), many at once.

Each source run is a *job*: the source's own spider class (feed, sitemap,
listing) as it is used by ``coverwatch crawl``, whose requests go into this
crawler's engine. Scrapy's downloader, middlewares and pipeline therefore do
for every job what they do in a one-off crawl: per-host slots and AutoThrottle,
robots.txt (kept per host, fetched again after a day), the project's user
agent, the network policy, conditional GETs, hand-off to the workers. A job
ends when none of its requests is outstanding, or at the source's time limit;
then its figures are recorded in the source's health state, its lock let go
and its queue entry acknowledged. A crawler killed before that leaves the
entry pending; another crawler reclaims it and breaks the dead one's lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis
import scrapy
from redis.exceptions import LockError
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.base import DelayedCall, ReactorBase
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from coverwatch.settings import Settings, get_settings
from crawlers.crawl_queue import HEARTBEAT_SECONDS, CrawlQueue, Lease
from crawlers.dispatch import DueIndex
from crawlers.health import SourceStates, break_lock
from crawlers.pipelines import SOURCE_FINISHED
from crawlers.run import SourceReport, report_from_stats
from crawlers.settings import scrapy_settings
from crawlers.sources import Source
from crawlers.spiders import SPIDERS
from crawlers.spiders.base import SourceSpider
from workers.runtime.resources import count, redis_client

log = logging.getLogger(__name__)
REFILL_SECONDS = 0.25
ROBOTS_MAX_AGE = 24 * 3600.0
TIME_LIMIT = "time limit"


@dataclass(eq=False)
class CrawlJob:
    lease: Lease
    spider: SourceSpider
    lock: Any
    timer: DelayedCall | None = None
    outstanding: int = 0
    closed: bool = False

    @property
    def source(self) -> Source:
        return self.lease.source


class JobGateMiddleware:
    """A job past its time limit has ended: its queued requests are not sent."""

    def process_request(self, request: Request) -> None:
        job = request.meta.get("coverwatch_job")
        if isinstance(job, CrawlJob) and job.closed:
            raise IgnoreRequest(f"source {job.source.name}: its run has ended")


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """robots.txt once a day per host for the whole fleet, not per process:
    Scrapy keeps a host's file for the crawler's lifetime (weeks here) and each
    crawler process would fetch its own. The body is kept in Redis for a day; a
    process that has not seen the host reads it from there."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.fetched_at: dict[str, float] = {}
        self.redis = redis_client()
        self.key_prefix = get_settings().redis_key("robots")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        netloc = urlparse_cached(request).netloc
        now = time.monotonic()
        known = netloc in self._parsers and not hasattr(self._parsers[netloc], "addCallback")
        if known and now - self.fetched_at.get(netloc, now) > ROBOTS_MAX_AGE:
            self._parsers.pop(netloc, None)
            known = False
        if not known and netloc not in self._parsers:
            body = cast(bytes | None, self.redis.get(f"{self.key_prefix}:{netloc}"))
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
            self.fetched_at[netloc] = now
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # An error page is "no rules"; keeping its body would be read as rules.
        body = response.body if 200 <= response.status < 300 else b""
        self.redis.set(f"{self.key_prefix}:{netloc}", body, ex=int(ROBOTS_MAX_AGE))
        await super()._parse_robots(response, netloc, request)


def service_settings(settings: Settings) -> dict[str, Any]:
    base = scrapy_settings(settings)
    return {
        **base,
        "LOG_INSTALL_ROOT_HANDLER": False,
        # Many outlets at once; per host it stays CONCURRENT_REQUESTS_PER_DOMAIN.
        # A request counts from before robots.txt is read and through the host's
        # download delay, so a host's first poll holds a place for most of a second.
        "CONCURRENT_REQUESTS": 256,
        # Round-robin over hosts, so one outlet's long queue does not hold the others.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "DOWNLOADER_MIDDLEWARES": {
            **base["DOWNLOADER_MIDDLEWARES"],
            "crawlers.service.JobGateMiddleware": 40,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "crawlers.service.SharedRobotsTxtMiddleware": 100,
        },
    }


class CrawlerService(scrapy.Spider):
    """Never closes by itself; takes jobs from the queue while it has room."""

    name = "coverwatch-crawler"

    def __init__(self, max_jobs: int = 200, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_jobs = max_jobs
        self.product_settings = get_settings()
        self.queue = CrawlQueue(redis_client(), self.product_settings)
        self.states = SourceStates(redis_client(), self.product_settings)
        self.due = DueIndex(redis_client(), self.product_settings)
        self.jobs: dict[str, CrawlJob] = {}
        self.item_jobs: dict[int, CrawlJob] = {}
        self.loops: list[LoopingCall] = []
        self.reactor: ReactorBase | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CrawlerService:
        service = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(service.opened, signal=signals.spider_opened)
        crawler.signals.connect(service.closed, signal=signals.spider_closed)
        crawler.signals.connect(service.idle, signal=signals.spider_idle)
        crawler.signals.connect(service.dropped, signal=signals.request_dropped)
        for item_signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(service.item_done, signal=item_signal)
        return service

    async def start(self) -> AsyncIterator[Request]:
        requests: tuple[Request, ...] = ()  # jobs bring the requests
        for request in requests:
            yield request

    def source_named(self, name: str) -> Source | None:
        job = self.jobs.get(name)
        return job.source if job else None

    # -- lifecycle -------------------------------------------------------------
    def opened(self) -> None:
        # Imported now, not at the top: importing it installs a reactor, and
        # Scrapy installs its own after making the spider.
        from twisted.internet import reactor

        self.reactor = cast(ReactorBase, reactor)
        self.queue.ensure_group()
        self.queue.heartbeat()  # before the first read: a consumer without one looks dead
        for step, every in ((self._refill, REFILL_SECONDS), (self._beat, HEARTBEAT_SECONDS)):
            loop = LoopingCall(self._guarded, step)
            loop.start(every, now=True)
            self.loops.append(loop)
        log.info("crawler %s taking up to %d sources at once from %s", self.queue.consumer,
                 self.max_jobs, self.queue.key)

    def closed(self, reason: str) -> None:
        for loop in self.loops:
            if loop.running:
                loop.stop()
        with contextlib.suppress(redis.RedisError):
            for job in list(self.jobs.values()):
                with contextlib.suppress(LockError):
                    job.lock.release()
            # Unfinished entries stay pending; without the heartbeat key another
            # crawler reclaims them on its next beat.
            self.queue.sign_off()

    def idle(self) -> None:
        raise DontCloseSpider("the crawler waits for due sources")

    def _guarded(self, step: Any) -> None:
        try:
            step()
        except redis.RedisError as failure:
            log.error("crawler: Redis unavailable (%s); trying again", failure)
        except Exception:
            # A failure escaping a LoopingCall stops it for good, and the crawler
            # would stay up taking nothing; log it and let the next turn try.
            log.exception("crawler: %s failed", getattr(step, "__name__", step))

    def _refill(self) -> None:
        for lease in self.queue.take(self.max_jobs - len(self.jobs)):
            self._start(lease)

    def _beat(self) -> None:
        self.queue.heartbeat()
        for lease in self.queue.reclaim():
            log.warning("source %s: reclaimed from %s", lease.source.name, lease.taken_from)
            count("crawls.reclaimed")
            self._start(lease)

    # -- jobs ------------------------------------------------------------------
    def _start(self, lease: Lease) -> None:
        source = lease.source
        if source.name in self.jobs:  # queued twice; this process is running it now
            self.queue.done(lease.entry_id)
            return
        lock = self.states.crawl_lock(source.name, self.product_settings.crawl_time_limit + 60)
        if lease.taken_from and lease.taken_from != "stuck":
            break_lock(lock, lease.taken_from)  # each crawler takes locks with its consumer name
        if not lock.acquire(token=self.queue.consumer):
            count("crawls.skipped_running")
            self.queue.done(lease.entry_id)
            return
        spider = SPIDERS[source.kind](source=source)
        spider.crawler = self.crawler
        job = CrawlJob(lease, spider, lock)
        self.jobs[source.name] = job
        assert self.reactor is not None
        job.timer = self.reactor.callLater(self.product_settings.crawl_time_limit, self._finish, job, TIME_LIMIT)
        deferred_from_coro(self._open(job)).addErrback(self._open_failed, job)

    async def _open(self, job: CrawlJob) -> None:
        async for request in job.spider.start():
            if job.lease.taken_from:
                # The crawler before may have stored the feed's new ETag and died
                # before handing its articles over: a conditional GET would then
                # get a 304 and never see them. The seen-set skips what did arrive.
                request.meta["conditional"] = False
            self._track(job, request)
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(request)
        if job.outstanding == 0:
            self._finish(job, "finished")

    def _open_failed(self, failure: Failure, job: CrawlJob) -> None:
        log.error("source %s: could not start: %s", job.source.name, failure.getErrorMessage())
        self._finish(job, "start failed")

    def _track(self, job: CrawlJob, request: Request) -> None:
        request.meta["coverwatch_job"] = job
        request.meta["coverwatch_callback"] = request.callback
        request.meta["coverwatch_errback"] = request.errback
        request.callback, request.errback = self._on_response, self._on_failure
        job.outstanding += 1

    def _on_response(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        job: CrawlJob = response.meta["coverwatch_job"]
        try:
            if job.closed:
                return
            for output in response.meta["coverwatch_callback"](response, **kwargs) or ():
                if isinstance(output, Request):
                    self._track(job, output)
                else:
                    # An item is outstanding until the pipeline has it: the run's
                    # hand-off happens when it ends, and must include it.
                    job.outstanding += 1
                    self.item_jobs[id(output)] = job
                yield output
        finally:
            self._settle(job)

    def _on_failure(self, failure: Failure) -> None:
        request = cast(Request, getattr(failure, "request", None))
        job: CrawlJob = request.meta["coverwatch_job"]
        try:
            errback = request.meta.get("coverwatch_errback")
            if not job.closed and errback is not None:
                errback(failure)
        finally:
            self._settle(job)

    def item_done(self, item: Any) -> None:
        job = self.item_jobs.pop(id(item), None)
        if job is not None:
            self._settle(job)

    def dropped(self, request: Request) -> None:
        job = request.meta.get("coverwatch_job")
        if isinstance(job, CrawlJob):
            self._settle(job)

    def _settle(self, job: CrawlJob) -> None:
        job.outstanding -= 1
        if job.outstanding <= 0:
            self._finish(job, "finished")

    def _finish(self, job: CrawlJob, reason: str) -> None:
        if job.closed:
            return
        job.closed = True
        if job.timer is not None and job.timer.active():
            job.timer.cancel()
        name = job.source.name
        self.jobs.pop(name, None)
        try:
            self.crawler.signals.send_catch_log(SOURCE_FINISHED, source_name=name, reason=reason)
            report = self._take_report(name, reason)
            if reason == TIME_LIMIT:
                # Counted as an error, so a run cut off before it read anything
                # is a failed run in the source's health, not an empty success.
                report.errors["time_limit"] = 1
            state = self.states.record(job.source, asdict(report))
            self.due.schedule(name, datetime.fromisoformat(state.next_run) if state.next_run
                              else datetime.now(UTC))
            count("crawls.timed_out" if reason == TIME_LIMIT else "crawls.finished")
            with contextlib.suppress(LockError):
                job.lock.release()
            self.queue.done(job.lease.entry_id)
        except redis.RedisError as failure:
            # The entry stays pending and is reclaimed once its lease is over.
            log.error("source %s: run could not be recorded: %s", name, failure)
            return
        log.log(logging.INFO if report.articles or report.errors or reason != "finished" else logging.DEBUG,
                "source %s: %s; %d entries, %d new articles, %d not modified, errors %s", name, reason,
                report.entries, report.articles, report.not_modified, report.errors or "none")

    def _take_report(self, name: str, reason: str) -> SourceReport:
        """The job's figures, removed from the crawler's stats: kept, they would
        add up across runs of the source and grow with every source run."""
        stats = self.crawler.stats
        assert stats is not None
        # get_stats() is the collector's own dict, so entries can be dropped in place.
        figures = stats.get_stats()
        report = report_from_stats(name, figures, reason)
        prefix = f"coverwatch/{name}/"
        for key in [key for key in figures if key.startswith(prefix)]:
            del figures[key]
        return report


def warm_up() -> None:
    """Pay the one-time costs before the first job, not inside its time limit:
    the first extraction loads the extractor's tables (~1.5 s of CPU) and the
    first hand-off builds the Celery app and the pipeline's chain (from task
    names: no task module), both on the reactor thread."""
    import workers.pipeline  # noqa: F401 - imported for its side effect of loading
    from crawlers.extraction import ExtractionError, extract_article
    from crawlers.sources import Extraction

    paragraph = "<p>" + "The crawler starts and reads one page of its own before any source. " * 8 + "</p>"
    page = f"<html><head><title>Warm-up</title></head><body><article>{paragraph}</article></body></html>"
    with contextlib.suppress(ExtractionError):
        extract_article(page, "https://warm-up.invalid/page.html", Extraction())


def run_service(settings: Settings, max_jobs: int = 200) -> None:
    """Run a crawler until it is stopped (SIGTERM/SIGINT)."""
    warm_up()
    process = CrawlerProcess(service_settings(settings))
    # Scrapy sets its own loggers to DEBUG whatever LOG_LEVEL says when it does
    # not install the root handler; a line per request (and a dump per item)
    # would be a good share of this process's CPU.
    logging.getLogger("scrapy").setLevel(logging.INFO)
    process.crawl(CrawlerService, max_jobs=max_jobs)
    process.start()
