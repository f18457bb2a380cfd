"""What each part of the workspace search costs, on the indices bench/search.py
left with ``--keep``.

Each request of bench/search.py's mix is sent as several variants, one part
left out or taken alone (the page of hits with and without highlight and
collapse, the per-story inner hits the page used to carry, the counts with and
without the histogram and the story count, counting alone, the facets as the
filter aggregations they used to be, the bare ``match``), each with the
shard request cache off, so every variant pays for itself. Prints p50/p95 per variant and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import Corpus, percentile, query_mix

Body = dict[str, Any]


def without(body: Body, key: str) -> Body:
    return {name: part for name, part in body.items() if name != key}


def variants(searched: str, terms: dict[str, tuple[str, ...]], sort: str, story_ids: list[str],
             page_ids: list[str]) -> dict[str, Body]:
    """The bodies timed for one request, by name."""
    from search.queries import (
        FACET_FIELDS,
        facet_filters,
        page_articles,
        story_coverage,
        workspace_candidates,
        workspace_counts,
        workspace_hits,
    )

    hits = workspace_hits(searched, terms, sort=sort)
    coverage, *facets = workspace_counts(searched, terms)
    # The page's counts in one search, to see what each part adds.
    totals = {**coverage, "aggs": {**coverage["aggs"], **(facets[0]["aggs"] if facets else {})}}
    only_facets = {name: agg for name, agg in totals["aggs"].items() if name.startswith("facet_")}
    # The page's counts as they were: one filter aggregation per facet, over the whole index.
    filtered = {f"facet_{name}": {"filter": {"bool": {"filter": facet_filters(terms, leave_out=name)}},
                                  "aggs": {"values": {"terms": {"field": field, "size": 12}}}}
                for name, field in FACET_FIELDS.items()}
    return {
        "candidates": workspace_candidates(searched, terms, sort=sort),
        "page_articles": page_articles(searched, page_ids),
        "hits": hits,
        "hits_no_highlight": without(hits, "highlight"),
        "hits_no_collapse": without(hits, "collapse"),
        "hits_bare_query": without(without(hits, "collapse"), "highlight"),
        "hits_with_inner_hits": {**hits, "collapse": {"field": "story_id", "inner_hits": {
            "name": "coverage", "size": 10, "sort": [{"event_time": {"order": "asc"}}],
            "_source": {"includes": ["id", "source", "story_id"]}}}},
        "counts": totals,
        "counts_no_histogram": {**totals, "aggs": without(totals["aggs"], "over_time")},
        "counts_no_story_count": {**totals, "aggs": without(totals["aggs"], "stories")},
        "counts_facets_only": {**totals, "aggs": only_facets},
        "counts_histogram_only": {**totals, "aggs": {"over_time": totals["aggs"]["over_time"]}},
        "counts_story_count_only": {**totals, "aggs": {"stories": totals["aggs"]["stories"]}},
        "count_only": without(totals, "aggs"),
        "facets_as_filter_aggs": {**without(totals, "aggs"), "query": workspace_hits(searched, {})["query"],
                                  "aggs": filtered},
        "story_coverage": story_coverage(searched, terms, story_ids),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prefix", default="bench-search")
    args = parser.parse_args()

    from coverwatch.settings import Settings
    from coverwatch.taxonomy import default_taxonomy
    from search.engine import connect
    from search.indexes import ARTICLES
    from search.queries import workspace_hits
    from search.query_syntax import expand_actor_aliases
    from search.vocabulary import normalise_terms

    settings = Settings(index_prefix=args.prefix)
    engine = connect(settings.search_url)
    index = settings.index_name(ARTICLES)
    taxonomy = default_taxonomy()
    timings: dict[str, list[float]] = {}
    slowest: list[tuple[float, str]] = []  # the page's two parallel parts, by request
    requests = query_mix(Corpus(args.seed), random.Random(args.seed + 1), args.queries + 10)
    for turn, request in enumerate(requests):
        searched = expand_actor_aliases(request.query, taxonomy).query_string
        terms = normalise_terms(request.terms, taxonomy)
        page = engine.request("POST", f"/{index}/_search", workspace_hits(searched, terms, sort=request.sort))
        story_ids = sorted({hit["_source"]["story_id"] for hit in page["hits"]["hits"]})
        page_ids = [hit["_id"] for hit in page["hits"]["hits"]]
        bodies = variants(searched, terms, request.sort, story_ids or ["none"], page_ids or ["none"])
        bodies["bare_match"] = {"size": 20, "query": {"match": {"body": request.query}}}
        for name, body in bodies.items():
            started = time.perf_counter()
            engine.request("POST", f"/{index}/_search", body, params={"request_cache": "false"})
            if turn >= 10:  # the first requests warm the caches
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        if turn >= 10:
            slowest.append((max(timings["candidates"][-1], timings["counts"][-1]),
                            f"{request.query!r} {dict(terms)} {request.sort}"))
    figures = {name: {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(percentile(values, 0.95), 1)}
               for name, values in timings.items()}
    for name, figure in figures.items():
        print(f"{name:24} p50 {figure['p50_ms']:7.1f} ms   p95 {figure['p95_ms']:7.1f} ms")
    for milliseconds, described in sorted(slowest, reverse=True)[:8]:
        print(f"slowest: {milliseconds:6.1f} ms  {described}")
    print(json.dumps(figures))
    engine.close()


if __name__ == "__main__":
    main()
