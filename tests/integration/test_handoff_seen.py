"""The seen-set takes a crawled article only once it has been handed to the
workers: a crawl that dies before the hand-off loses nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis
from scrapy.utils.test import get_crawler

from coverwatch.models import Article
from coverwatch.settings import Settings
from crawlers.items import ArticleItem
from crawlers.pipelines import HandOffPipeline
from crawlers.seen import SeenUrls

pytestmark = pytest.mark.integration


def test_urls_become_seen_at_hand_off_not_at_extraction(redis_client: redis.Redis, settings: Settings) -> None:
    seen = SeenUrls(redis_client, settings)
    crawler = get_crawler(settings_dict={"COVERWATCH_BATCH_SIZE": 2})
    crawler.spider = SimpleNamespace(seen=seen, source=SimpleNamespace(keep_off_topic=False))  # type: ignore[assignment]
    pipeline = HandOffPipeline.from_crawler(crawler)
    urls = [f"https://handoff.example.org/news/{n}" for n in range(3)]
    items = [ArticleItem.from_article(Article(url=url, title=f"t{n}", body="Rovers won the cup final. " * 20,
                                              source="handoff"), seen_as=(url,))
             for n, url in enumerate(urls)]

    pipeline.process_item(items[0])
    assert seen.unseen(urls) == [True, True, True]  # extracted, not handed over: a re-crawl fetches it
    pipeline.process_item(items[1])
    assert seen.unseen(urls) == [False, False, True]  # a batch of two went to the workers
    pipeline.process_item(items[2])
    pipeline.close_spider()
    assert seen.unseen(urls) == [False, False, False]
    assert len(pipeline.submitted) == 2 and "seen_as" not in items[0]  # the record itself stays clean
