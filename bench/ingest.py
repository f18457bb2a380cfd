"""Articles/s through the real worker path (Celery on Redis: ingest → dedupe →
enrich → index → cluster → alert match) versus a raw ``_bulk`` of the same
documents into the same node, and the worker processes' peak RSS.

The engine floor is the engine work the design needs by itself, issued from a
plain client: per batch, one story-candidate search per article (one
``_msearch``) and the bulk write of the enriched documents. Enrichment and
vectorising happen before the clock starts, so the floor holds no Python stage
work; ``ratio_vs_engine_floor`` is what fraction of that rate the pipeline keeps.

Each run uses a fresh prefix (fresh indices, queues and Redis keys) and a real
worker process; the figures are medians over --runs. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _fresh_settings(tag: str):  # type: ignore[no-untyped-def]
    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-{tag}-{uuid.uuid4().hex[:6]}"
    from coverwatch.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


def _peak_rss_mb(root_pid: int) -> float:
    """Largest VmHWM (peak resident set) among a worker's processes, in MB."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        pid, ppid = int(fields["Pid"]), int(fields["PPid"])
        if (pid == root_pid or ppid == root_pid) and "VmHWM" in fields:
            peak = max(peak, int(fields["VmHWM"].split()[0]))
    return peak / 1024


PEAKS: list[float] = []


def pipeline_run(articles: list[dict[str, object]], batch_size: int, concurrency: int) -> float:
    settings = _fresh_settings("pipe")
    from console.demo import reset_deployment
    from search.engine import connect
    from search.indexes import ARTICLES, ensure_indices, refresh
    from workers.process import start_worker, stop_worker

    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    worker = start_worker(settings, settings.var_dir / "log" / "bench-worker.log", concurrency)
    try:
        from workers.handoff import submit_batch, wait_for_batches

        started = time.perf_counter()
        ids = [submit_batch(articles[i:i + batch_size]) for i in range(0, len(articles), batch_size)]
        figures = wait_for_batches(ids, timeout=1800)
        refresh(engine, settings, ARTICLES)
        elapsed = time.perf_counter() - started
        if figures["batches_failed"]:
            raise RuntimeError(f"pipeline batches failed: {figures}")
        PEAKS.append(_peak_rss_mb(worker.pid))
    finally:
        stop_worker(worker)
        reset_deployment(settings)
    return len(articles) / elapsed


def bulk_run(articles: list[dict[str, object]], batch_size: int) -> float:
    settings = _fresh_settings("bulk")
    from console.demo import reset_deployment
    from coverwatch.models import Article
    from search.documents import bulk_index
    from search.engine import connect
    from search.indexes import ARTICLES, ensure_indices, refresh

    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    documents = [Article.model_validate(record).to_document() for record in articles]
    index = settings.index_name(ARTICLES)
    try:
        started = time.perf_counter()
        for i in range(0, len(documents), batch_size):
            bulk_index(engine, index, documents[i:i + batch_size])
        refresh(engine, settings, ARTICLES)
        elapsed = time.perf_counter() - started
    finally:
        reset_deployment(settings)
    return len(documents) / elapsed


def engine_floor_run(articles: list[dict[str, object]], batch_size: int) -> float:
    settings = _fresh_settings("floor")
    from console.demo import reset_deployment
    from coverwatch.models import Article
    from coverwatch.taxonomy import default_taxonomy
    from search.documents import bulk_index
    from search.engine import connect
    from search.indexes import ARTICLES, ensure_indices, refresh
    from workers.enrichment import enrich
    from workers.entities import default_matcher
    from workers.stories import candidate_query, vectorise

    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    taxonomy, matcher = default_taxonomy(), default_matcher()
    prepared = [enrich(Article.model_validate(record), taxonomy, matcher) for record in articles]
    vectorise(prepared)
    index = settings.index_name(ARTICLES)
    try:
        started = time.perf_counter()
        for i in range(0, len(prepared), batch_size):
            batch = prepared[i:i + batch_size]
            engine.msearch((index, candidate_query(article)) for article in batch)
            bulk_index(engine, index, [article.to_document() for article in batch])
            refresh(engine, settings, ARTICLES)  # the pipeline refreshes each batch's write too
        elapsed = time.perf_counter() - started
    finally:
        reset_deployment(settings)
    return len(prepared) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    from bench.synthetic import synthetic_articles
    from coverwatch.settings import get_settings
    from deploy.services import up

    up(get_settings())
    articles = synthetic_articles(args.articles)
    pipeline, bulk, floor = [], [], []
    for run in range(args.runs):
        bulk.append(bulk_run(articles, args.batch_size))
        floor.append(engine_floor_run(articles, args.batch_size))
        pipeline.append(pipeline_run(articles, args.batch_size, args.concurrency))
        print(f"run {run + 1}: pipeline {pipeline[-1]:.0f} docs/s, bulk {bulk[-1]:.0f} docs/s, "
              f"engine floor {floor[-1]:.0f} docs/s", flush=True)
    figures = {
        "articles": args.articles,
        "runs": args.runs,
        "batch_size": args.batch_size,
        "pipeline_docs_per_s": round(statistics.median(pipeline), 1),
        "bulk_docs_per_s": round(statistics.median(bulk), 1),
    }
    figures["ratio"] = round(figures["pipeline_docs_per_s"] / figures["bulk_docs_per_s"], 3)
    figures["engine_floor_docs_per_s"] = round(statistics.median(floor), 1)
    figures["ratio_vs_engine_floor"] = round(
        figures["pipeline_docs_per_s"] / figures["engine_floor_docs_per_s"], 3)
    figures["worker_peak_rss_mb"] = round(max(PEAKS), 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
