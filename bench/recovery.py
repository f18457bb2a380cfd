"""Recovery time after ``kill -9`` of a worker in the middle of a backfill.

Two real worker processes (concurrency 1 each, as on two small machines) take
a backfill of synthetic articles; once one of them has held a pipeline message
for a moment, its whole process group gets SIGKILL. The figure is the time from
the kill until every article is indexed with a story; duplicates are checked
against the index (one document per article id) and against the engine writes
the workers counted. Each run uses a fresh prefix. The last line is JSON.
Goal (issue 15): everything indexed, nothing twice, within 120 s of the kill.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _index_figures(settings: Any) -> dict[str, int]:
    from search.engine import connect
    from search.indexes import ARTICLES, refresh

    engine = connect(settings.search_url)
    refresh(engine, settings, ARTICLES)
    index = settings.index_name(ARTICLES)
    total = engine.request("POST", f"/{index}/_count", {"query": {"match_all": {}}})["count"]
    storyless = engine.request("POST", f"/{index}/_count",
                               {"query": {"bool": {"must_not": [{"exists": {"field": "story_id"}}]}}})["count"]
    return {"indexed": int(total), "without_story": int(storyless)}


def wait_until_held(settings: Any, worker_pid: int, timeout: float, held_for: float,
                    stage: str | None = None) -> str:
    """Block until the worker with ``worker_pid`` has held a pipeline message (of
    ``stage``, if given) for ``held_for`` seconds; return that message's stage."""
    from workers.recovery import held_messages
    from workers.resources import redis_client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in held_messages(redis_client(), settings):
            if (message.worker_pid == worker_pid and stage in (None, message.owner.stage)
                    and time.time() - message.delivered_at >= held_for):
                return message.owner.stage
        time.sleep(0.05)
    raise RuntimeError(f"worker {worker_pid} held no message within {timeout:.0f}s")


def kill_and_recover(settings: Any, articles: list[dict[str, Any]], batch_size: int, log_dir: Path,
                     timeout: float = 600, held_for: float = 1.0, stage: str | None = None) -> dict[str, Any]:
    """Run the scenario on this deployment; the figures as a dict."""
    from coverwatch.models import Article
    from workers.handoff import submit_batch, wait_for_batches
    from workers.process import start_worker, stop_worker
    from workers.resources import counters

    expected = len({Article.model_validate(record).id for record in articles})
    survivor = start_worker(settings, log_dir / "survivor.log", concurrency=1, name="survivor")
    victim = start_worker(settings, log_dir / "victim.log", concurrency=1, name="victim")
    try:
        submitted_at = time.monotonic()
        ids = [submit_batch(articles[i:i + batch_size], keep_off_topic=True)
               for i in range(0, len(articles), batch_size)]
        stage = wait_until_held(settings, victim.pid, timeout=300, held_for=held_for, stage=stage)
        os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        victim.wait()
        figures = wait_for_batches(ids, timeout=timeout, progress_every=10)
        done_at = time.monotonic()
    finally:
        stop_worker(victim)
        stop_worker(survivor)
    index = _index_figures(settings)
    written = counters().get("articles.indexed", 0)
    return {"articles": len(articles), "distinct_articles": expected, "batches": len(ids),
            "killed_in_stage": stage, "killed_after_s": round(killed_at - submitted_at, 1),
            "recovery_s": round(done_at - killed_at, 1), **figures, **index, "engine_writes": written,
            "returned_after_worker_death": counters().get("recovery.returned", 0),
            "locks_broken": counters().get("recovery.locks_broken", 0),
            "repeats_skipped": sum(v for k, v in counters().items() if k.endswith(".repeat_skipped")),
            "all_indexed_once": index["indexed"] == expected and index["without_story"] == 0
            and figures["batches_failed"] == 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--stage", help="kill while the victim holds a message of this stage (default: any)")
    parser.add_argument("--held-for", type=float, default=1.0, help="seconds it has held it")
    args = parser.parse_args()

    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-recovery-{uuid.uuid4().hex[:6]}"
    from coverwatch.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    from bench.synthetic import synthetic_articles
    from coverwatch.demo import reset_deployment
    from deploy.services import up
    from search.engine import connect
    from search.indexes import ensure_indices

    up(settings)
    ensure_indices(connect(settings.search_url), settings)
    try:
        figures = kill_and_recover(settings, synthetic_articles(args.articles), args.batch_size,
                                   settings.var_dir / "log" / "bench-recovery", args.timeout,
                                   args.held_for, args.stage)
    finally:
        reset_deployment(settings)
    figures["goal_met"] = bool(figures["all_indexed_once"] and figures["recovery_s"] <= 120
                               and figures["engine_writes"] == figures["indexed"])
    for name, value in figures.items():
        print(f"{name:<30} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
