"""Crawl throughput: Coverwatch's feed spider (fetch + extract + hand-off) versus
bare Scrapy fetching the same pages, over a local threaded fixture site; and the
crawler process's peak RSS. Medians over --runs; the last line is JSON."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_site(pages: int) -> Any:
    from crawlers.demo_site.server import Page, SiteServer
    from crawlers.demo_site.site import build_pages

    site = SiteServer({}).start()
    demo = {path: page for path, page in build_pages(site.base_url).items() if path.endswith(".html")}
    templates = list(demo.values())
    links = []
    for number in range(pages):
        body = templates[number % len(templates)].body.replace(b".html", f"-{number}.html".encode())
        path = f"/bench/{number}.html"
        site.pages[path] = Page(body)
        links.append(f"<item><title>t{number}</title><link>{site.base_url}{path}</link></item>")
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>b</title>{''.join(links)}</channel></rss>"
    site.pages["/bench/feed.xml"] = Page(feed.encode(), "application/rss+xml")
    site.pages["/robots.txt"] = Page(b"User-agent: *\nAllow: /\n", "text/plain")
    return site


def child(kind: str, base: str, pages: int) -> None:
    """Runs in its own process: one crawl, prints pages and seconds."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from coverwatch.settings import get_settings
    from crawlers.settings import scrapy_settings
    from crawlers.sources import Source
    from crawlers.spiders import FeedSpider

    settings = {**scrapy_settings(get_settings()), "LOG_LEVEL": "ERROR", "AUTOTHROTTLE_ENABLED": False,
                "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "COOKIES_ENABLED": False}
    if kind == "bare":
        urls = [f"{base}/bench/{n}.html" for n in range(pages)]

        class BareSpider(scrapy.Spider):
            name = "bare"

            async def start(self) -> Any:
                for url in urls:
                    yield scrapy.Request(url, dont_filter=True)

            def parse(self, response: Any) -> None:
                return None

        settings = {**settings, "ITEM_PIPELINES": {}, "DOWNLOADER_MIDDLEWARES": {}}
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(BareSpider)
        process.crawl(crawler)
    else:
        source = Source(name="bench", urls=[f"{base}/bench/feed.xml"], max_items=pages)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(FeedSpider)
        process.crawl(crawler, source=source)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    fetched = stats.get("response_received_count", 0)
    print(json.dumps({"pages": fetched, "seconds": stats.get("elapsed_time_seconds", 0.0),
                      "articles": stats.get("coverwatch/articles_extracted", 0)}))


def run_child(kind: str, base: str, pages: int) -> tuple[float, float]:
    process = subprocess.Popen([sys.executable, __file__, "--child", kind, "--site", base, "--pages", str(pages)],
                               stdout=subprocess.PIPE, env={**os.environ})
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{kind} crawl failed")
    figures = json.loads(output.strip().splitlines()[-1])
    return figures["pages"] / figures["seconds"], usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child")
    parser.add_argument("--site")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.site, args.pages)
        return

    from coverwatch.settings import get_settings
    from deploy.services import up

    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-crawl-{uuid.uuid4().hex[:6]}"
    get_settings.cache_clear()
    up(get_settings())
    site = build_site(args.pages)
    ours, bare, rss = [], [], []
    try:
        for run in range(args.runs):
            bare_rate, _ = run_child("bare", site.base_url, args.pages)
            # each run under a fresh prefix, so the seen-set does not skip the pages
            os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-crawl-{uuid.uuid4().hex[:6]}"
            our_rate, peak = run_child("ours", site.base_url, args.pages)
            bare.append(bare_rate)
            ours.append(our_rate)
            rss.append(peak)
            print(f"run {run + 1}: coverwatch {our_rate:.0f} pages/s, bare scrapy {bare_rate:.0f} pages/s, "
                  f"crawler peak RSS {peak:.0f} MB", flush=True)
    finally:
        site.stop()
        _cleanup()
    figures = {"pages": args.pages, "runs": args.runs,
               "coverwatch_pages_per_s": round(statistics.median(ours), 1),
               "bare_scrapy_pages_per_s": round(statistics.median(bare), 1)}
    figures["ratio"] = round(figures["coverwatch_pages_per_s"] / figures["bare_scrapy_pages_per_s"], 3)
    figures["crawler_peak_rss_mb"] = round(max(rss), 1)
    print(json.dumps(figures))


def _cleanup() -> None:
    import redis

    from coverwatch.settings import get_settings

    client = redis.Redis.from_url(get_settings().redis_url)
    for key in client.scan_iter(match="bench-crawl-*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
