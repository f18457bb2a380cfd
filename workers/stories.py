"""Story assignment against the engine and Redis: the I/O around workers.clustering.

Assignment runs under one Redis lock per deployment, and the article index is
refreshed before the lock is released, so the next batch (on any worker, on any
machine) sees every assignment made before it: two near-simultaneous articles of
a new story end in one story.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import redis

from coverwatch.models import Article, parse_timestamp, utc_now
from coverwatch.settings import Settings
from coverwatch.taxonomy import default_taxonomy
from search import queries
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
    mentioned_years,
    salient_names,
    stories_to_merge,
)
from workers.story_evidence import evidence_keys

CANDIDATES_PER_ARTICLE = 25
QUERY_EVIDENCE_KEYS = 20  # the strongest evidence keys, sent to find candidates in other languages
STORY_REFRESH_SECONDS = 5
# The article fields a cluster item is made of, besides its vector and time.
_ITEM_FIELDS = {"actors", "victim_countries", "malware", "cves", "story_id", "source", "cluster_names",
                "cluster_years", "language", "cluster_evidence"}
_CANDIDATE_FIELDS = ["id", "cluster_terms", "cluster_weights", "event_time", "published_at", "crawled_at",
                     *sorted(_ITEM_FIELDS)]


# Told of each merge (absorbed, kept) while the lock is held, before the story
# documents are rebuilt: the alerts carry their deliveries along (alerts/tasks.py).
MergeHook = Callable[[SearchEngine, Settings, str, str], object]
_merge_hooks: list[MergeHook] = []


def on_story_merged(hook: MergeHook) -> MergeHook:
    """Call ``hook(engine, settings, absorbed, kept)`` after every story merge (idempotent)."""
    if hook not in _merge_hooks:
        _merge_hooks.append(hook)
    return hook


def _item(article_id: str, vector: dict[str, float], published: datetime, values: Mapping[str, Any]) -> ClusterItem:
    """The one builder of a cluster item: ``values`` holds the entity fields by
    their article names, as lists (doc values wrap even single values in one)."""
    def many(name: str) -> frozenset[str]:
        return frozenset(values.get(name) or ())

    def single(name: str) -> Any:
        value = values.get(name)
        return (value[0] if value else None) if isinstance(value, list) else value

    return ClusterItem(id=article_id, vector=vector, published=published, actors=many("actors"),
                       victims=many("victim_countries"), malware=many("malware"), cves=many("cves"),
                       story_id=single("story_id"), source=single("source") or "", names=many("cluster_names"),
                       years=many("cluster_years"), language=single("language") or "",
                       evidence=many("cluster_evidence"))


def item_from_article(article: Article) -> ClusterItem:
    return _item(article.id, dict(zip(article.cluster_terms, article.cluster_weights, strict=True)),
                 article.published_at or article.crawled_at, article.model_dump(include=_ITEM_FIELDS))


def item_from_source(source: dict[str, Any]) -> ClusterItem:
    published = parse_timestamp(source.get("event_time") or source.get("published_at") or source.get("crawled_at"))
    return _item(source["id"], dict(zip(source.get("cluster_terms", []), source.get("cluster_weights", []),
                                        strict=False)), published or utc_now(), source)


_DOC_VALUE_FIELDS = ["id", "cluster_features", *sorted(_ITEM_FIELDS), {"field": "event_time", "format": "epoch_millis"}]


def item_from_doc_values(article_id: str, fields: dict[str, list[Any]]) -> ClusterItem:
    """A candidate read from doc values alone."""
    stamps = fields.get("event_time", [])
    published = datetime.fromtimestamp(int(float(stamps[0])) / 1000, UTC) if stamps else utc_now()
    return _item(article_id, _feature_vector(tuple(map(str, fields.get("cluster_features", [])))), published, fields)


# A stored article is a candidate for many batches in a row (its story's window):
# its vector is parsed from its features once per process, not once per batch. The
# key is the features themselves, so a rewritten article is parsed anew. The vector
# returned is shared: cluster items read their vectors and never change them.
@lru_cache(maxsize=2048)
def _feature_vector(features: tuple[str, ...]) -> dict[str, float]:
    vector: dict[str, float] = {}
    for feature in features:
        term, _, weight = feature.rpartition("|")
        vector[term] = float(weight)
    return dict(sorted(vector.items(), key=lambda item: item[1], reverse=True))


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
    """Give each article its top TF-IDF terms, salient names and years (pure: the
    idf is a background table, so no shared state is read or written)."""
    taxonomy = default_taxonomy()
    for article in articles:
        vector = article_vector(article.title, article.lead, article.body, article.language)
        article.cluster_terms = list(vector)
        article.cluster_weights = list(vector.values())
        article.cluster_names = sorted(salient_names(article.title, article.body, article.language))
        article.cluster_years = sorted(mentioned_years(article.title, article.body))
        article.cluster_evidence = evidence_keys(
            article.title, article.lead, article.body, article.language, actors=article.actors,
            states=article.attributed_states, victims=article.victim_countries, malware=article.malware,
            cves=article.cves, actor_aliases=[alias for actor_id in article.actors
                                              for alias in getattr(taxonomy.by_id.get(actor_id), "names", ())])


def candidate_query(article: Article) -> dict[str, Any]:
    published = article.published_at or article.crawled_at
    window = timedelta(days=WINDOW_DAYS)
    return queries.story_candidates(article.id, article.cluster_terms[:QUERY_TERMS], article.actors,
                                    (published - window).isoformat(), (published + window).isoformat(),
                                    _DOC_VALUE_FIELDS, CANDIDATES_PER_ARTICLE,
                                    evidence=article.cluster_evidence[:QUERY_EVIDENCE_KEYS],
                                    language=article.language)


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
    answer = engine.request("POST", f"/{index}/_search", queries.copies_of(sorted(story_of)))
    actions: list[dict[str, Any]] = []
    touched: set[str] = set()
    for hit in answer["hits"]["hits"]:
        wanted = story_of[hit["_source"]["duplicate_of"]]
        if hit["_source"].get("story_id") != wanted:
            touched.update(s for s in (hit["_source"].get("story_id"), wanted) if s)
            actions += [{"update": {"_index": hit["_index"], "_id": hit["_id"]}}, {"doc": {"story_id": wanted}}]
    if actions:
        engine.bulk(actions, refresh=True)
    return sorted(touched)


def refresh_story_documents(story_ids: Sequence[str], engine: SearchEngine, settings: Settings) -> list[dict[str, Any]]:
    """Rebuild each story's document from its articles (idempotent)."""
    taxonomy = default_taxonomy()
    ids = sorted(set(story_ids))
    responses = engine.msearch((settings.index_name(ARTICLES), queries.story_summary(s)) for s in ids)
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
                for name in ("outlets", "languages", "actors", "victims", "merged_from")}
        last = aggs["last_crawled"].get("value_as_string") or first.get("crawled_at")
        stories.append({
            "id": story_id, "title": first.get("title", ""),
            "first_seen": first.get("published_at") or first.get("crawled_at"),
            "first_outlet": first.get("source", ""), "outlets": keys["outlets"],
            "article_count": int(response["hits"]["total"]["value"]),
            "languages": keys["languages"], "actors": keys["actors"],
            "actor_names": [taxonomy.by_id[a].name if a in taxonomy.by_id else a for a in keys["actors"]],
            "victim_countries": keys["victims"], "merged_from": keys["merged_from"], "last_update": last,
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


def merge_converged(engine: SearchEngine, settings: Settings, days: int = WINDOW_DAYS,
                    on_merge: Sequence[MergeHook] | None = None) -> list[tuple[str, str]]:
    """Self-healing: merge recent stories whose coverage has converged. Caller holds the lock.
    Each merge is handed to ``on_merge`` (by default the hooks given to ``on_story_merged``)."""
    hooks = list(_merge_hooks if on_merge is None else on_merge)
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    answer = engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                            queries.recent_story_members(since, _CANDIDATE_FIELDS))
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
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_update_by_query",
                       queries.move_story(absorbed, kept), params={"refresh": "true", "conflicts": "proceed"})
        for hook in hooks:
            hook(engine, settings, absorbed, kept)
    if merges:
        refresh_story_documents([s for pair in merges for s in pair], engine, settings)
    return merges
