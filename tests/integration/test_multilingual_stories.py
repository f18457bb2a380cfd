"""English and Japanese coverage of one incident in one story, an unrelated
Japanese report in another, and a Japanese query finding Japanese articles, on
the real engine: enrich, assign (candidates from the engine), index, search."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from coverwatch.models import Article
from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search import queries
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.stories import assign_stories, vectorise

pytestmark = pytest.mark.integration


def _article(slug: str, title: str, body: str, published: datetime) -> Article:
    article = Article(url=f"https://multilingual.example.com/{slug}", title=title, body=body,
                      source=f"outlet-{slug}", published_at=published)
    enrich(article, default_taxonomy(), default_matcher())
    vectorise([article])
    return article


def _store(engine: SearchEngine, settings: Settings, articles: list[Article]) -> None:
    assign_stories(articles, engine, settings)
    bulk_index(engine, settings.index_name(ARTICLES), [a.to_document() for a in articles], refresh=True)


def test_english_and_japanese_reports_share_a_story_and_japanese_search_finds_them(
        engine: SearchEngine, settings: Settings) -> None:
    exchange = f"Kira{uuid.uuid4().hex[:6]}"  # a name no other test's article has
    now = datetime.now(UTC)
    english = _article(
        "en", f"North Korea's Lazarus stole $48 million from Japanese exchange {exchange}",
        f"Japan's National Police Agency said North Korea's Lazarus Group stole $48 million in cryptocurrency "
        f"from the Tokyo exchange {exchange} on February 14. The hackers posed as recruiters on LinkedIn and "
        f"sent the AppleJeus malware to an engineer. Funds moved through 230 wallet addresses.", now)
    _store(engine, settings, [english])

    japanese = _article(
        "ja", "暗号資産4800万ドル流出、北朝鮮のラザルスが関与と警察庁",
        f"東京の暗号資産交換業者{exchange}から2月14日に約4800万ドル相当が流出した事件で、警察庁は北朝鮮のハッカー集団"
        f"「ラザルス」の犯行と断定した。LinkedInで採用担当者を装い、AppleJeusと呼ばれる不正プログラムを送り込んだ。"
        f"資金は230の口座を経由して移されていた。", now + timedelta(hours=3))
    unrelated = _article(
        "ja-other", "台湾の半導体商社に中国系ハッカー、物流情報を窃取",
        "台湾当局は、中国の国家支援を受けるハッカー集団が台湾の半導体商社のネットワークに侵入し、物流の情報を"
        "窃取していたと発表した。社員が提出した偽の請求書から感染したとみられる。", now + timedelta(hours=4))
    _store(engine, settings, [japanese, unrelated])

    assert japanese.language == "ja" and japanese.on_topic
    assert japanese.story_id == english.story_id
    assert unrelated.story_id not in (None, english.story_id)

    index = settings.index_name(ARTICLES)
    def found(query: str) -> list[str]:
        answer = engine.request("POST", f"/{index}/_search", queries.article_search(query, size=100))
        return [hit["_id"] for hit in answer["hits"]["hits"]]

    assert japanese.id in found("暗号資産 流出")
    # The unrelated report holds both characters of 流出 (in 物流 and 提出) but not the word.
    assert unrelated.id not in found("流出") and unrelated.id in found("半導体")
    assert english.id not in found("流出")
    assert {english.id, japanese.id} <= set(found(exchange))  # a Latin name in both scripts' text
