"""Scrapy settings for Coverwatch crawls; the product settings feed the few that vary."""

from __future__ import annotations

from typing import Any

from coverwatch.settings import Settings

BOT_NAME = "coverwatch"
SPIDER_MODULES = ["crawlers.spiders"]


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    return {
        "BOT_NAME": BOT_NAME,
        "SPIDER_MODULES": SPIDER_MODULES,
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        # Scrapy starts this many asyncio tasks for every callback's output, however
        # little it yields (an article page yields one item): the default of 100
        # cost more per page than fetching it. Our pipeline does no parallel I/O.
        "CONCURRENT_ITEMS": 4,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": 0.25,
        "AUTOTHROTTLE_MAX_DELAY": 20,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
        "DOWNLOAD_TIMEOUT": settings.download_timeout,
        "DOWNLOAD_MAXSIZE": 10 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        # Scrapy 2.19 starts an HTTP server per crawl that runs code sent to it
        # (token-guarded); like the telnet console, nothing here uses it.
        "REMOTE_CONTROL_ENABLED": False,
        "LOG_LEVEL": "INFO",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "ITEM_PIPELINES": {"crawlers.pipelines.HandOffPipeline": 500},
        # The network policy first, so no other middleware (robots.txt included) sends a refused request.
        "DOWNLOADER_MIDDLEWARES": {"crawlers.middlewares.NetPolicyMiddleware": 50,
                                   "crawlers.middlewares.ConditionalGetMiddleware": 560},
        "DOWNLOAD_FAIL_ON_DATALOSS": False,
        "COVERWATCH_BATCH_SIZE": settings.batch_size,
    }
