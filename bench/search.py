"""Analyst search latency on a large generated corpus.

Loads N generated articles (a few hundred actors with Zipf-like frequency,
dozens of outlets, two years of dates, stories of 1-12 articles, a share of
copies) into indices of a bench prefix, then times, interleaved in one run:
the workspace search (facets, highlight, collapse per story, coverage
histogram, alias expansion) through web/workspace.py, a story page through
web/timelines.py, and a bare ``match`` query on the same words. The bench
indices are deleted at the end unless ``--keep`` (then ``--no-load`` times them
again; ``--load-only`` loads a large corpus in chunks). The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SECTORS = ["government", "defence", "energy", "telecommunications", "finance", "healthcare", "transportation",
           "manufacturing", "education", "media", "technology", "water"]
CLAIMS = ["government", "vendor", "suspected", "denied", None, None]
LANGUAGES = ["en"] * 12 + ["de", "fr", "ja", "nl", "es", "it", "ko"]
COUNTRIES = ["US", "GB", "DE", "FR", "JP", "NL", "UA", "PL", "KR", "TW", "IN", "AU", "CA", "IT", "ES", "SE",
             "NO", "FI", "DK", "EE", "LT", "LV", "IL", "SA", "AE", "BR", "MX", "SG", "PH", "VN"]
STATES = ["RU", "CN", "KP", "IR", "BY", "VN", "PK", "IN"]


def zipf_weights(count: int, exponent: float = 1.1) -> list[float]:
    return [1.0 / (rank ** exponent) for rank in range(1, count + 1)]


class Corpus:
    """Deterministic generator of article and story documents."""

    def __init__(self, seed: int, outlets: int = 60, actors: int = 300) -> None:
        from wordfreq import top_n_list

        from coverwatch.taxonomy import default_taxonomy

        self.random = random.Random(seed)
        taxonomy = default_taxonomy()
        self.actors = [actor for actor in taxonomy.actors if actor.names][:actors]
        self.actor_weights = zipf_weights(len(self.actors))
        self.words = [word for word in top_n_list("en", 4000) if word.isalpha() and len(word) > 2][:3000]
        self.word_weights = zipf_weights(len(self.words), 1.0)
        self._word_cumulative = list(itertools.accumulate(self.word_weights))
        self.outlets = [(f"outlet-{n:02d}", COUNTRIES[n % len(COUNTRIES)]) for n in range(outlets)]
        self.outlet_weights = zipf_weights(outlets, 0.8)
        self.start = datetime(2024, 12, 1, tzinfo=UTC)

    def text(self, words: int) -> str:
        return " ".join(self.random.choices(self.words, cum_weights=self._word_cumulative, k=words))

    def story(self, number: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        chance = self.random
        actor = chance.choices(self.actors, self.actor_weights)[0]
        victim = chance.choice(COUNTRIES)
        sector = chance.choice(SECTORS)
        first = self.start + timedelta(minutes=chance.randrange(2 * 365 * 24 * 60))
        size = min(int(chance.paretovariate(1.3)), 12)
        story_id = f"bench-story-{number}"
        headline = f"{actor.names[0]} {self.text(6)}"
        articles: list[dict[str, Any]] = []
        for index in range(size):
            outlet, country = chance.choices(self.outlets, self.outlet_weights)[0]
            published = first + timedelta(minutes=index * chance.randrange(5, 600))
            url = f"https://{outlet}.example.net/{number}/{index}"
            article_id = hashlib.sha1(url.encode()).hexdigest()
            alias = chance.choice(actor.names)
            relevance = round(chance.uniform(0.06, 1.0), 3)
            articles.append({
                "id": article_id, "url": url, "canonical_url": url, "source": outlet, "country": country,
                "language": chance.choice(LANGUAGES), "title": f"{alias} {self.text(7)}",
                "lead": self.text(25), "body": f"{self.text(60)} {alias} {self.text(90)}",
                "published_at": published.isoformat(), "event_time": published.isoformat(),
                "crawled_at": (published + timedelta(minutes=7)).isoformat(),
                "actors": [actor.id], "actor_names": [actor.name], "attributed_states": [chance.choice(STATES)],
                "victim_countries": [victim], "sectors": [sector], "claim_type": chance.choice(CLAIMS),
                "relevance": relevance, "relevance_band": "on_topic" if relevance >= 0.45 else "possible",
                "on_topic": relevance >= 0.45, "story_id": story_id,
                **({"duplicate_of": articles[0]["id"]} if index and chance.random() < 0.06 else {}),
            })
        story = {"id": story_id, "title": headline, "first_seen": first.isoformat(),
                 "first_outlet": articles[0]["source"], "outlets": sorted({a["source"] for a in articles}),
                 "article_count": size, "languages": sorted({a["language"] for a in articles}),
                 "actors": [actor.id], "actor_names": [actor.name], "victim_countries": [victim],
                 "last_update": articles[-1]["published_at"]}
        return story, articles


def load(engine: Any, settings: Any, corpus: Corpus, target: int, batch: int = 2000,
         skip: int = 0) -> tuple[int, list[str], float]:
    """Load articles up to ``target`` in all; the first ``skip`` (an earlier
    chunk's, the generator being deterministic) are generated but not sent."""
    from search.indexes import ARTICLES, STORIES

    articles_index, stories_index = settings.index_name(ARTICLES), settings.index_name(STORIES)
    for index in (articles_index, stories_index):  # no refreshes while loading
        engine.request("PUT", f"/{index}/_settings", {"index": {"refresh_interval": "-1"}})
    started = time.perf_counter()
    actions: list[dict[str, Any]] = []
    story_ids: list[str] = []
    loaded = number = 0
    while loaded < target:
        story, articles = corpus.story(number)
        number += 1
        articles = articles[:target - loaded]
        story_ids.append(story["id"])
        fresh = articles[max(skip - loaded, 0):]
        loaded += len(articles)
        if not fresh:
            continue
        actions += [{"index": {"_index": stories_index, "_id": story["id"]}}, story]
        for article in fresh:
            actions += [{"index": {"_index": articles_index, "_id": article["id"]}}, article]
        if len(actions) >= 2 * batch or loaded >= target:
            answer = engine.bulk(actions)
            if answer.get("errors"):
                raise RuntimeError(f"bulk load failed: {json.dumps(answer['items'][:2])[:500]}")
            actions = []
            if number % 20000 < 300:
                rate = (loaded - skip) / (time.perf_counter() - started)
                print(f"  {loaded} articles loaded, {rate:.0f}/s", flush=True)
    for index in (articles_index, stories_index):
        engine.request("PUT", f"/{index}/_settings", {"index": {"refresh_interval": "1s"}})
        engine.request("POST", f"/{index}/_refresh")
    return loaded, story_ids, time.perf_counter() - started


def loaded_count(engine: Any, index: str) -> int:
    answer = engine.request("POST", f"/{index}/_search", {"size": 0, "track_total_hits": True})
    return int(answer["hits"]["total"]["value"])


def query_mix(corpus: Corpus, chance: random.Random, count: int) -> list[Any]:
    """``count`` different workspace requests, as analysts vary them: a word, or
    an actor's alias and a word, some with a victim or sector chosen, some newest
    first. No request comes twice, so no cache of the engine answers one it saw."""
    from web.workspace import SearchRequest

    # The 60 commonest words are function words the English analyser drops.
    words, weights = corpus.words[60:1000], corpus.word_weights[60:1000]
    requests: dict[tuple[str, str, str], Any] = {}
    turn = 0
    while len(requests) < count:
        actor = chance.choices(corpus.actors, corpus.actor_weights)[0]
        word = chance.choices(words, weights)[0]
        query = f"{chance.choice(actor.names)} {word}" if turn % 2 else word
        terms: dict[str, list[str]] = {}
        if turn % 3 == 0:
            terms["victim"] = [chance.choice(COUNTRIES)]
        if turn % 4 == 0:
            terms["sector"] = [chance.choice(SECTORS)]
        sort = "relevance" if turn % 5 else "newest"
        turn += 1
        requests.setdefault((query, json.dumps(terms, sort_keys=True), sort),
                            SearchRequest(query=query, terms=terms, sort=sort))
    return list(requests.values())


def request_cache_hits(engine: Any, index: str) -> int:
    """Hits of the engine's shard request cache on ``index`` so far."""
    answer = engine.request("GET", f"/{index}/_stats/request_cache")
    return int(answer["_all"]["total"]["request_cache"]["hit_count"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=500_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="leave the bench indices (to rerun --no-load)")
    parser.add_argument("--no-load", action="store_true", help="time the indices a --keep run left")
    parser.add_argument("--load-only", action="store_true",
                        help="load up to --docs (going on from what an earlier --load-only left) and keep "
                             "the indices, without timing: a large corpus in chunks, each under the bench lock")
    parser.add_argument("--prefix", default="bench-search", help="index prefix of the bench indices")
    args = parser.parse_args()

    from coverwatch.settings import Settings
    from search.engine import connect
    from search.indexes import ARTICLES, STORIES, drop_indices, ensure_indices
    from web.timelines import story_timeline
    from web.workspace import faceted_search

    settings = Settings(index_prefix=args.prefix)
    engine = connect(settings.search_url)
    corpus = Corpus(args.seed)
    try:
        if args.load_only:
            ensure_indices(engine, settings)
            present = loaded_count(engine, settings.index_name(ARTICLES))
            loaded, _, load_seconds = load(engine, settings, corpus, args.docs, skip=present)
            print(json.dumps({"docs": loaded, "added": loaded - present, "load_s": round(load_seconds, 1)}))
            return
        if args.no_load:
            loaded, load_seconds = loaded_count(engine, settings.index_name(ARTICLES)), 0.0
            # Stories are numbered as generated, and every one was loaded.
            story_ids = [f"bench-story-{n}" for n in range(loaded_count(engine, settings.index_name(STORIES)))]
        else:
            drop_indices(engine, settings)
            ensure_indices(engine, settings)
            loaded, story_ids, load_seconds = load(engine, settings, corpus, args.docs)
            print(f"loaded {loaded} articles in {load_seconds:.0f} s ({loaded / load_seconds:.0f}/s)", flush=True)
        chance = random.Random(args.seed + 1)
        workspace_ms: list[float] = []
        bare_ms: list[float] = []
        story_ms: list[float] = []
        # A run before this one (--keep) may have left answers to the same mix in the cache.
        engine.request("POST", f"/{settings.index_name(ARTICLES)}/_cache/clear", params={"request": "true"})
        cache_hits = request_cache_hits(engine, settings.index_name(ARTICLES))
        # The first 20 of each warm the caches and are not counted.
        for turn, request in enumerate(query_mix(corpus, chance, args.queries + 20)):
            query = request.query
            started = time.perf_counter()
            faceted_search(engine, settings, request)
            workspace = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            engine.request("POST", f"/{settings.index_name(ARTICLES)}/_search",
                           {"size": 20, "query": {"match": {"body": query}}})
            bare = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            story_timeline(engine, settings, chance.choice(story_ids))
            story = (time.perf_counter() - started) * 1000
            if turn >= 20:
                workspace_ms.append(workspace)
                bare_ms.append(bare)
                story_ms.append(story)
        cache_hits = request_cache_hits(engine, settings.index_name(ARTICLES)) - cache_hits
        figures = {
            "docs": loaded,
            "load_s": round(load_seconds, 1),
            "p50_ms": round(statistics.median(workspace_ms), 1),
            "p95_ms": round(percentile(workspace_ms, 0.95), 1),
            "bare_p50_ms": round(statistics.median(bare_ms), 1),
            "bare_p95_ms": round(percentile(bare_ms, 0.95), 1),
            "ratio_vs_bare": round(percentile(workspace_ms, 0.95) / percentile(bare_ms, 0.95), 2),
            "story_p95_ms": round(percentile(story_ms, 0.95), 1),
            "request_cache_hits": cache_hits,
        }
        print(f"workspace search p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms; bare match p95 "
              f"{figures['bare_p95_ms']} ms; story page p95 {figures['story_p95_ms']} ms ({args.queries} each)")
        print(json.dumps(figures))
    finally:
        if not (args.keep or args.load_only):
            drop_indices(engine, settings)
        engine.close()


if __name__ == "__main__":
    main()
