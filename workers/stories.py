"""Story assignment against the engine and Redis: the I/O around workers.clustering.

Assignment runs under one Redis lock per deployment, and the article index is
refreshed before the lock is released, so the next batch (on any worker, on any
machine) sees every assignment made before it: two near-simultaneous articles of
a new story end in one story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import redis

from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search.documents import get_documents
from search.engine import SearchEngine
from search.indexes import ARTICLES, STORIES
from workers.clustering import (
    QUERY_TERMS,
    WINDOW_DAYS,
    Assignment,
    ClusterItem,
    OnlineClusterer,
    article_vector,
    salient_names,
    stories_to_merge,
)

CANDIDATES_PER_ARTICLE = 25
STORY_REFRESH_SECONDS = 5
_CANDIDATE_FIELDS = ["id", "cluster_terms", "cluster_weights", "event_time", "published_at", "crawled_at", "actors",
                     "victim_countries", "malware", "cves", "story_id", "source", "cluster_names"]


def cluster_lock(client: redis.Redis, settings: Settings) -> Any:
    return client.lock(settings.redis_key("lock", "cluster"), timeout=300, blocking_timeout=600)


def item_from_article(article: Article) -> ClusterItem:
    return ClusterItem(
        id=article.id, vector=dict(zip(article.cluster_terms, article.cluster_weights, strict=True)),
        published=article.published_at or article.crawled_at, actors=frozenset(article.actors),
        victims=frozenset(article.victim_countries), malware=frozenset(article.malware),
        cves=frozenset(article.cves), story_id=article.story_id, source=article.source,
        names=frozenset(article.cluster_names))


def item_from_source(source: dict[str, Any]) -> ClusterItem:
    return ClusterItem(
        id=source["id"],
        vector=dict(zip(source.get("cluster_terms", []), source.get("cluster_weights", []), strict=False)),
        published=parse_timestamp(source.get("event_time") or source.get("published_at")
                                  or source.get("crawled_at")) or utc_now(),
        actors=frozenset(source.get("actors", [])), victims=frozenset(source.get("victim_countries", [])),
        malware=frozenset(source.get("malware", [])), cves=frozenset(source.get("cves", [])),
        story_id=source.get("story_id"), source=source.get("source", ""),
        names=frozenset(source.get("cluster_names", [])))


_DOC_VALUE_FIELDS = ["id", "story_id", "cluster_features", "actors", "victim_countries", "malware", "cves", "source",
                     "cluster_names", {"field": "event_time", "format": "epoch_millis"}]


def item_from_doc_values(article_id: str, fields: dict[str, list[Any]]) -> ClusterItem:
    """A candidate read from doc values alone."""
    vector: dict[str, float] = {}
    for feature in fields.get("cluster_features", []):
        term, _, weight = str(feature).rpartition("|")
        vector[term] = float(weight)
    stamps = fields.get("event_time", [])
    return ClusterItem(
        id=article_id, vector=dict(sorted(vector.items(), key=lambda item: item[1], reverse=True)),
        published=datetime.fromtimestamp(int(float(stamps[0])) / 1000, UTC) if stamps else utc_now(),
        actors=frozenset(fields.get("actors", [])), victims=frozenset(fields.get("victim_countries", [])),
        malware=frozenset(fields.get("malware", [])), cves=frozenset(fields.get("cves", [])),
        story_id=(fields.get("story_id") or [None])[0], source=(fields.get("source") or [""])[0],
        names=frozenset(fields.get("cluster_names", [])))


def candidate_items(hits: Sequence[dict[str, Any]], engine: SearchEngine, index: str,
                    known: dict[str, ClusterItem] | None = None) -> list[ClusterItem]:
    """Candidates from doc values; an article stored before ``cluster_features``
    existed is read from its source instead. ``known`` carries candidates already
    read for this batch: neighbouring articles share most of theirs."""
    known = {} if known is None else known
    ids: list[str] = []
    for hit in hits:
        fields = hit.get("fields", {})
        if not fields.get("id"):
            continue
        ids.append(fields["id"][0])
        if ids[-1] not in known and "cluster_features" in fields:
            known[ids[-1]] = item_from_doc_values(ids[-1], fields)
    older = [article_id for article_id in ids if article_id not in known]
    for article_id, source in get_documents(engine, index, older).items():
        known[article_id] = item_from_source(source)
    return [known[article_id] for article_id in ids if article_id in known]


def vectorise(articles: Sequence[Article]) -> None:
    """Give each article its top TF-IDF terms and salient names (pure: the idf is a
    background table, so no shared state is read or written)."""
    for article in articles:
        vector = article_vector(article.title, article.lead, article.body, article.language)
        article.cluster_terms = list(vector)
        article.cluster_weights = list(vector.values())
        article.cluster_names = sorted(salient_names(article.title, article.body, article.language))


def candidate_query(article: Article) -> dict[str, Any]:
    published = article.published_at or article.crawled_at
    window = timedelta(days=WINDOW_DAYS)
    should: list[dict[str, Any]] = [{"term": {"cluster_terms": term}}
                                    for term in article.cluster_terms[:QUERY_TERMS]]
    should += [{"term": {"actors": {"value": actor, "boost": 2.0}}} for actor in article.actors]
    return {
        "size": CANDIDATES_PER_ARTICLE,
        # Doc values only: no stored fields at all, not even _id, since reading any
        # stored field unpacks the whole compressed article (a quarter of the cost).
        "stored_fields": "_none_",
        "docvalue_fields": _DOC_VALUE_FIELDS,
        "track_total_hits": False,
        "query": {"bool": {
            # Articles are written with their story, so every stored one has a story_id.
            "filter": [{"range": {"event_time": {"gte": (published - window).isoformat(),
                                                   "lte": (published + window).isoformat()}}}],
            "must_not": [{"ids": {"values": [article.id]}}],
            "should": should, "minimum_should_match": 2,
        }},
    }


def assign_stories(articles: Sequence[Article], engine: SearchEngine,
                   settings: Settings) -> list[Assignment]:
    """Assign each article (earliest first) to a story; caller holds the lock."""
    ordered = sorted(articles, key=lambda a: (a.published_at or a.crawled_at, a.id))
    index = settings.index_name(ARTICLES)
    # A copy belongs to its original's story, however late it was reprinted.
    original_ids = sorted({a.duplicate_of for a in ordered if a.duplicate_of})
    stored = get_documents(engine, index, original_ids) if original_ids else {}
    original_story = {doc_id: doc.get("story_id") for doc_id, doc in stored.items()}
    responses = engine.msearch((index, candidate_query(a)) for a in ordered)
    clusterer = OnlineClusterer()
    known: dict[str, ClusterItem] = {}
    assignments = []
    for article, response in zip(ordered, responses, strict=True):
        inherited = original_story.get(article.duplicate_of or "")
        if inherited:
            article.story_id = inherited
            assignments.append(Assignment(article.id, inherited, False, 1.0))
            continue
        candidates = candidate_items(response.get("hits", {}).get("hits", []), engine, index, known)
        item = item_from_article(article)
        assignment = clusterer.assign(item, candidates)
        article.story_id = assignment.story_id
        original_story[article.id] = assignment.story_id
        assignments.append(assignment)
    return assignments


def adopt_early_copies(articles: Sequence[Article], engine: SearchEngine, settings: Settings) -> list[str]:
    """Copies stored before their original had a story (the two travelled in
    different batches, the copy's first) follow the original into its story now.
    Caller holds the lock and has just written ``articles``. Returns every story
    touched, so their documents can be recomputed."""
    story_of = {a.id: a.story_id for a in articles if a.story_id and not a.duplicate_of}
    if not story_of:
        return []
    index = settings.index_name(ARTICLES)
    answer = engine.request("POST", f"/{index}/_search", {
        "size": 1000, "_source": ["story_id", "duplicate_of"],
        "query": {"terms": {"duplicate_of": sorted(story_of)}}})
    actions: list[dict[str, Any]] = []
    touched: set[str] = set()
    for hit in answer["hits"]["hits"]:
        wanted = story_of[hit["_source"]["duplicate_of"]]
        if hit["_source"].get("story_id") != wanted:
            touched.update(s for s in (hit["_source"].get("story_id"), wanted) if s)
            actions += [{"update": {"_index": index, "_id": hit["_id"]}}, {"doc": {"story_id": wanted}}]
    if actions:
        engine.bulk(actions, refresh=True)
    return sorted(touched)


def story_summary_query(story_id: str) -> dict[str, Any]:
    return {
        "size": 1,
        "query": {"term": {"story_id": story_id}},
        "sort": [{"published_at": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
        "_source": ["title", "source", "published_at", "crawled_at"],
        "aggs": {
            "outlets": {"terms": {"field": "source", "size": 200}},
            "languages": {"terms": {"field": "language", "size": 20}},
            "actors": {"terms": {"field": "actors", "size": 20}},
            "victims": {"terms": {"field": "victim_countries", "size": 20}},
            "last_published": {"max": {"field": "published_at"}},
            "last_crawled": {"max": {"field": "crawled_at"}},
        },
    }


def refresh_story_documents(story_ids: Sequence[str], engine: SearchEngine, settings: Settings) -> list[dict[str, Any]]:
    """Rebuild each story's document from its articles (idempotent)."""
    taxonomy = default_taxonomy()
    ids = sorted(set(story_ids))
    responses = engine.msearch((settings.index_name(ARTICLES), story_summary_query(s)) for s in ids)
    stories: list[dict[str, Any]] = []
    deletions: list[str] = []
    for story_id, response in zip(ids, responses, strict=True):
        hits = response.get("hits", {}).get("hits", [])
        if not hits:
            deletions.append(story_id)
            continue
        first = hits[0]["_source"]
        aggs = response["aggregations"]
        keys = {name: [bucket["key"] for bucket in aggs[name]["buckets"]]
                for name in ("outlets", "languages", "actors", "victims")}
        last = aggs["last_crawled"].get("value_as_string") or first.get("crawled_at")
        stories.append({
            "id": story_id, "title": first.get("title", ""),
            "first_seen": first.get("published_at") or first.get("crawled_at"),
            "first_outlet": first.get("source", ""), "outlets": keys["outlets"],
            "article_count": int(response["hits"]["total"]["value"]),
            "languages": keys["languages"], "actors": keys["actors"],
            "actor_names": [taxonomy.by_id[a].name if a in taxonomy.by_id else a for a in keys["actors"]],
            "victim_countries": keys["victims"], "last_update": last,
        })
    actions: list[dict[str, Any]] = []
    for story in stories:
        actions += [{"index": {"_index": settings.index_name(STORIES), "_id": story["id"]}}, story]
    for story_id in deletions:
        actions.append({"delete": {"_index": settings.index_name(STORIES), "_id": story_id}})
    if actions:
        engine.bulk(actions)
    return stories


def mark_stories_dirty(story_ids: Sequence[str], client: redis.Redis, settings: Settings) -> None:
    if story_ids:
        client.sadd(settings.redis_key("stories-dirty"), *story_ids)


def flush_dirty_stories(engine: SearchEngine, client: redis.Redis, settings: Settings) -> int:
    """Recompute the story documents marked dirty. SPOP hands each id to one caller;
    an id marked again meanwhile is simply recomputed again later."""
    refreshed = 0
    while True:
        popped = cast(list[bytes], client.spop(settings.redis_key("stories-dirty"), 500) or [])
        if not popped:
            return refreshed
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_refresh")
        refresh_story_documents([raw.decode() for raw in popped], engine, settings)
        refreshed += len(popped)


def merge_converged(engine: SearchEngine, settings: Settings, days: int = WINDOW_DAYS) -> list[tuple[str, str]]:
    """Self-healing: merge recent stories whose coverage has converged. Caller holds the lock."""
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search", {
        "size": 5000, "_source": _CANDIDATE_FIELDS,
        "query": {"bool": {"filter": [{"exists": {"field": "story_id"}},
                                      {"range": {"crawled_at": {"gte": since}}}],
                           "must_not": [{"exists": {"field": "duplicate_of"}}]}}})
    members: dict[str, list[ClusterItem]] = {}
    for hit in answer["hits"]["hits"]:
        item = item_from_source(hit["_source"])
        if item.story_id:
            members.setdefault(item.story_id, []).append(item)
    # Only stories sharing an actor or a top term can have converged: compare those.
    by_key: dict[str, set[str]] = {}
    for story_id, items in members.items():
        common = Counter(term for item in items for term in list(item.vector)[:8])
        for key in [*(a for item in items for a in item.actors), *(t for t, _ in common.most_common(5))]:
            by_key.setdefault(key, set()).add(story_id)
    related = {s for group in by_key.values() if len(group) > 1 for s in group}
    merges = stories_to_merge({s: members[s] for s in related})
    for absorbed, kept in merges:
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_update_by_query", {
            "query": {"term": {"story_id": absorbed}},
            "script": {"source": "ctx._source.story_id = params.kept", "lang": "painless",
                       "params": {"kept": kept}}}, params={"refresh": "true", "conflicts": "proceed"})
    if merges:
        refresh_story_documents([s for pair in merges for s in pair], engine, settings)
    return merges
