"""Recovery time after ``kill -9`` of a worker in the middle of a backfill.

Two real worker processes (concurrency 1 each, as on two small machines) take
a backfill of synthetic articles; once one of them has held a pipeline message
for a moment, its whole process group gets SIGKILL. The figure is the time from
the kill until every article is indexed with a story; duplicates are checked
against the index (one document per article id) and against the engine writes
the workers counted. Each run uses a fresh prefix. The last line is JSON.
Goal (issue 15): everything indexed, nothing twice, within 120 s of the kill.
``done_after_kill_s`` includes the rest of the backfill, not only the recovery:
``--baseline`` runs the same backfill without the kill, timed from the same
point, and reports the difference (``cost_of_the_kill_s``); ``returned_after_s``
is when the dead worker's message was back in its queue.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
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
    from workers.resources import redis_client
    from workers.runtime.recovery import held_messages

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in held_messages(redis_client(), settings):
            if (message.worker_pid == worker_pid and stage in (None, message.owner.stage)
                    and time.time() - message.delivered_at >= held_for):
                return message.owner.stage
        time.sleep(0.05)
    raise RuntimeError(f"worker {worker_pid} held no message within {timeout:.0f}s")


def _first_return(settings: Any, since: float, stop: threading.Event, seen: list[float]) -> None:
    """Note when the first message of the dead worker is back in its queue."""
    from workers.resources import counters

    while not stop.is_set():
        if counters().get("recovery.returned", 0):
            seen.append(time.monotonic() - since)
            return
        stop.wait(0.2)


def kill_and_recover(settings: Any, articles: list[dict[str, Any]], batch_size: int, log_dir: Path,
                     timeout: float = 600, held_for: float = 1.0, stage: str | None = None,
                     kill: bool = True, survivor_concurrency: int = 1) -> dict[str, Any]:
    """Run the scenario on this deployment (with ``kill`` False, the same run
    without the kill, timed from the moment the kill would have come)."""
    from coverwatch.models import Article
    from workers.handoff import submit_batch, wait_for_batches
    from workers.process import start_worker, stop_worker
    from workers.resources import counters

    expected = len({Article.model_validate(record).id for record in articles})
    survivor = start_worker(settings, log_dir / "survivor.log", concurrency=survivor_concurrency,
                            name="survivor")
    victim = start_worker(settings, log_dir / "victim.log", concurrency=1, name="victim")
    returned_after: list[float] = []
    stop_watching = threading.Event()
    try:
        submitted_at = time.monotonic()
        ids = [submit_batch(articles[i:i + batch_size], keep_off_topic=True)
               for i in range(0, len(articles), batch_size)]
        stage = wait_until_held(settings, victim.pid, timeout=300, held_for=held_for, stage=stage)
        if kill:
            os.killpg(victim.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        watcher = threading.Thread(target=_first_return, args=(settings, killed_at, stop_watching, returned_after))
        watcher.start()
        if kill:
            victim.wait()
        figures = wait_for_batches(ids, timeout=timeout, progress_every=10)
        done_at = time.monotonic()
    finally:
        stop_watching.set()
        stop_worker(victim)
        stop_worker(survivor)
    index = _index_figures(settings)
    written = counters().get("articles.indexed", 0)
    return {"articles": len(articles), "distinct_articles": expected, "batches": len(ids), "killed": kill,
            "killed_in_stage": stage, "killed_after_s": round(killed_at - submitted_at, 1),
            "returned_after_s": round(returned_after[0], 1) if returned_after else None,
            "done_after_kill_s": round(done_at - killed_at, 1), **figures, **index, "engine_writes": written,
            "returned_after_worker_death": counters().get("recovery.returned", 0),
            "locks_broken": counters().get("recovery.locks_broken", 0),
            "repeats_skipped": sum(v for k, v in counters().items() if k.endswith(".repeat_skipped")),
            "all_indexed_once": index["indexed"] == expected and index["without_story"] == 0
            and figures["batches_failed"] == 0 and written == index["indexed"]}


def _run(args: argparse.Namespace, kill: bool) -> dict[str, Any]:
    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-recovery-{uuid.uuid4().hex[:6]}"
    from coverwatch.settings import get_settings

    get_settings.cache_clear()
    settings = get_settings()
    from bench.synthetic import synthetic_articles
    from console.demo import reset_deployment
    from search.engine import connect
    from search.indexes import ensure_indices

    ensure_indices(connect(settings.search_url), settings)
    try:
        return kill_and_recover(settings, synthetic_articles(args.articles), args.batch_size,
                                settings.var_dir / "log" / "bench-recovery", args.timeout,
                                args.held_for, args.stage, kill, args.survivor_concurrency)
    finally:
        reset_deployment(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--stage", help="kill while the victim holds a message of this stage (default: any)")
    parser.add_argument("--held-for", type=float, default=1.0, help="seconds it has held it")
    parser.add_argument("--survivor-concurrency", type=int, default=1)
    parser.add_argument("--baseline", action="store_true",
                        help="also run without the kill, to tell recovery from the rest of the backfill")
    args = parser.parse_args()

    from coverwatch.settings import get_settings
    from deploy.services import up

    up(get_settings())
    runs = ([_run(args, kill=False)] if args.baseline else []) + [_run(args, kill=True)]
    for figures in runs:
        print(" ".join(f"{name}={value}" for name, value in figures.items()), flush=True)
    killed = runs[-1]
    summary = {**killed, "survivor_concurrency": args.survivor_concurrency,
               "goal_met": bool(killed["all_indexed_once"] and killed["done_after_kill_s"] <= 120)}
    if args.baseline:
        summary["baseline_done_after_same_point_s"] = runs[0]["done_after_kill_s"]
        summary["cost_of_the_kill_s"] = round(killed["done_after_kill_s"] - runs[0]["done_after_kill_s"], 1)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
