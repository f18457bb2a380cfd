"""What rule types read back from the article index: the articles a rule
matches in a period, or only when and where they appeared."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts.rule_model import AlertRule
from alerts.windows import Coverage
from coverwatch.models import Article, parse_timestamp
from coverwatch.settings import Settings
from search.documents import get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES
from search.queries import rule_match_sightings, rule_matches_between, story_articles
from search.rule_band_queries import band_counts_between, band_matches_between


def matching_articles(engine: SearchEngine, settings: Settings, rule: AlertRule, since: datetime,
                      until: datetime, size: int = 1000) -> list[Article]:
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            rule_matches_between(rule.matching_query(), since.isoformat(),
                                                 until.isoformat(), size))
    return [Article.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def band_matches(engine: SearchEngine, settings: Settings, rule: AlertRule, band: str, since: datetime,
                 until: datetime, size: int = 1000) -> list[Article]:
    """The originals of one relevance band the rule matches in [since, until), oldest first."""
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            band_matches_between(rule.matching_query(), since.isoformat(), until.isoformat(),
                                                 band, size))
    return [Article.model_validate(hit["_source"]) for hit in answer["hits"]["hits"]]


def band_counts(engine: SearchEngine, settings: Settings, rule: AlertRule, bands: Sequence[str],
                since: datetime, until: datetime) -> dict[str, int]:
    """How many originals of each of ``bands`` the rule matches in [since, until)."""
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            band_counts_between(rule.matching_query(), since.isoformat(), until.isoformat(), bands))
    found = {str(bucket["key"]): int(bucket["doc_count"]) for bucket in answer["aggregations"]["bands"]["buckets"]}
    return {band: found.get(band, 0) for band in bands}


def matching_coverage(engine: SearchEngine, settings: Settings, rule: AlertRule, since: datetime,
                      until: datetime) -> list[Coverage]:
    """Oldest first. An article without a story counts as a story of its own."""
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            rule_match_sightings(rule.matching_query(), since.isoformat(), until.isoformat(),
                                                 ("country",)))
    rows = []
    for hit in answer["hits"]["hits"]:
        source = hit["_source"]
        at = parse_timestamp(source.get("event_time"))
        if at is not None:
            rows.append(Coverage(story_id=source.get("story_id") or source["id"], outlet=source["source"],
                                 at=at, article_id=source["id"], country=source.get("country")))
    return rows


def articles_by_id(engine: SearchEngine, settings: Settings, ids: Sequence[str]) -> dict[str, Article]:
    stored = get_documents(engine, settings.index_name(ARTICLES), list(dict.fromkeys(ids)))
    return {doc_id: Article.model_validate(source) for doc_id, source in stored.items()}


def first_article_ids(engine: SearchEngine, settings: Settings, story_ids: Sequence[str]) -> dict[str, str]:
    """Story id -> the id of the article that opened it (earliest coverage)."""
    index = settings.index_name(ARTICLES)
    unique = list(dict.fromkeys(story_ids))
    responses = engine.msearch((index, story_articles(story_id, size=1)) for story_id in unique)
    firsts = {}
    for story_id, response in zip(unique, responses, strict=True):
        hits = response.get("hits", {}).get("hits", [])
        if hits:
            firsts[story_id] = str(hits[0]["_source"]["id"])
    return firsts
