"""CPU and wall time per pipeline stage, per article, on the articles of
bench/ingest.py: each stage task's body is called in this process (no broker
hop), batch after batch, against the real engine and Redis under a fresh prefix.
Celery's own cost (messages, result store) is left out, so the figures are what
the stages themselves spend. ``--profile STAGE`` prints that stage's heaviest
functions (cProfile, by own time); ``--without FIELD`` times the enrich stage
without an enriched field's extractor (to cost one). The last line is JSON.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STAGE_NAMES = ("ingest", "dedupe", "enrich", "cluster", "alerts")


def _stage_calls() -> dict[str, Callable[[str], Any]]:
    from workers import tasks

    return {"ingest": tasks.ingest, "dedupe": tasks.dedupe, "enrich": tasks.enrich,
            "cluster": tasks.cluster, "alerts": tasks.match_alerts}


def run(articles: list[dict[str, Any]], batch_size: int, profiled: str | None) -> dict[str, dict[str, float]]:
    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-stages-{uuid.uuid4().hex[:6]}"
    from console.demo import reset_deployment
    from coverwatch.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    from workers.resources import engine, redis_client
    from workers.runtime.batches import BatchStore

    engine()  # the indices, made before the clock starts
    calls = _stage_calls()
    cpu = dict.fromkeys(STAGE_NAMES, 0.0)
    wall = dict.fromkeys(STAGE_NAMES, 0.0)
    profiler = cProfile.Profile()
    try:
        for start in range(0, len(articles), batch_size):
            ref: Any = BatchStore(redis_client(), settings).put(articles[start:start + batch_size])
            for name in STAGE_NAMES:
                began_cpu, began_wall = time.process_time(), time.perf_counter()
                if name == profiled:
                    profiler.enable()
                ref = calls[name](ref)
                if name == profiled:
                    profiler.disable()
                cpu[name] += time.process_time() - began_cpu
                wall[name] += time.perf_counter() - began_wall
    finally:
        reset_deployment(settings)
    if profiled:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(35)
        print(report.getvalue())
    per_article = 1000 / len(articles)
    return {"cpu_ms_per_article": {name: round(cpu[name] * per_article, 3) for name in STAGE_NAMES},
            "wall_ms_per_article": {name: round(wall[name] * per_article, 3) for name in STAGE_NAMES}}


def _without_enrichers(fields: list[str]) -> None:
    """Swap the named fields' extractors for nothing (indicators, techniques ... cost)."""
    from workers.enrichers import ENRICHERS
    from workers.indicators import cve_ids

    for field in fields:
        if field not in ENRICHERS:
            raise SystemExit(f"no enricher for {field!r}; enriched fields: {', '.join(ENRICHERS)}")
        ENRICHERS[field] = (lambda context: cve_ids(context.text)) if field == "cves" else (lambda context: [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--profile", choices=STAGE_NAMES)
    parser.add_argument("--without", action="append", default=[], metavar="FIELD",
                        help="time the enrich stage without this enriched field's extractor (repeatable): "
                             "it gives an empty list; 'cves' falls back to the plain CVE pattern")
    args = parser.parse_args()
    if args.without:
        _without_enrichers(args.without)

    from bench.synthetic import synthetic_articles

    figures = run(synthetic_articles(args.articles), args.batch_size, args.profile)
    for kind in ("cpu_ms_per_article", "wall_ms_per_article"):
        print(kind, " ".join(f"{name} {value:.3f}" for name, value in figures[kind].items()),
              f"total {sum(figures[kind].values()):.3f}")
    print(json.dumps({"articles": args.articles, "batch_size": args.batch_size, "without": args.without, **figures}))


if __name__ == "__main__":
    main()
