"""The crawlers' own tasks: queue the sources that are due, or one source now,
for the long-lived crawlers (``coverwatch crawler``) to run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from coverwatch.settings import get_settings
from crawlers.crawl_queue import CrawlQueue
from crawlers.dispatch import dispatch_due
from crawlers.sources import load_sources
from workers.runtime.app import app
from workers.runtime.base import StageTask
from workers.runtime.resources import count, redis_client


@app.task(base=StageTask, name="workers.dispatch_crawls")
def dispatch_crawls() -> list[str]:
    """Beat calls this every half minute: put every source that is due on the crawl
    queue, where the long-lived crawlers (``coverwatch crawler``) take them. The
    file is parsed again when it changes, so an edit takes effect without a deploy."""
    settings = get_settings()
    queued = dispatch_due(settings.sources_file, redis_client(), settings, datetime.now(UTC))
    count("crawls.queued", len(queued))
    return queued


@app.task(base=StageTask, name="workers.crawl")
def crawl_source(name: str) -> dict[str, Any]:
    """Queue one source's crawl now, for a long-lived crawler to run (kept for
    callers of the old task, which ran the crawl in a process of its own)."""
    settings = get_settings()
    sources = [source for source in load_sources(settings.sources_file) if source.name == name]
    if not sources:
        return {"source": name, "error": "unknown source"}
    entry = CrawlQueue(redis_client(), settings, consumer="dispatcher").enqueue(sources)[0]
    return {"source": name, "queued": entry}
