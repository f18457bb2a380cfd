"""The demo's Japanese and German outlets: their pages say their language, and
each of their reports joins the English story of its incident."""

from __future__ import annotations

from coverwatch.models import Article
from coverwatch.taxonomy import default_taxonomy
from crawlers.demo_site.site import build_pages, demo_sources_yaml, load_demo_articles
from workers.clustering import OnlineClusterer
from workers.enrichment import enrich
from workers.entities import default_matcher
from workers.stories import item_from_article, vectorise


def test_foreign_outlets_declare_their_language() -> None:
    outlets, articles = load_demo_articles()
    languages = {outlet["slug"]: outlet.get("language", "en") for outlet in outlets}
    assert sorted(set(languages.values())) == ["de", "en", "ja"]
    pages = build_pages("http://demo.invalid")
    japanese = next(a for a in articles if languages[a.outlet] == "ja")
    assert pages[japanese.path].body.decode("utf-8").startswith('<!doctype html><html lang="ja">')
    assert "language: ja" in demo_sources_yaml("http://demo.invalid")


def test_each_foreign_report_joins_an_english_story() -> None:
    outlets, demo = load_demo_articles()
    languages = {outlet["slug"]: outlet.get("language", "en") for outlet in outlets}
    articles = [enrich(Article(url=f"https://{a.outlet}.example/{a.slug}", title=a.title, lead=a.lead,
                               body="\n".join(a.paragraphs), source=a.outlet, published_at=a.published),
                       default_taxonomy(), default_matcher()) for a in demo]
    vectorise(articles)
    clusterer = OnlineClusterer()
    story_of = {a.id: clusterer.assign(item_from_article(a), []).story_id
                for a in sorted(articles, key=lambda a: (a.published_at or a.crawled_at, a.id))}
    foreign = [a for a in articles if languages[a.source] != "en"]
    assert len(foreign) == 5 and {a.language for a in foreign} == {"ja", "de"}
    for article in foreign:
        partners = [other for other in articles
                    if other.language == "en" and story_of[other.id] == story_of[article.id]]
        assert partners, article.title
        assert article.on_topic, article.title
