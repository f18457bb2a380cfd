"""Alert latency and percolation cost as match rules grow (issue 9).

A fresh prefix gets 100, then 10,000, then 100,000 ``match`` rules (bulk
written as the percolator documents register_rule stores, without its
per-rule query check, which would dominate the run). One of them, the probe,
matches the probe articles; the rest are filler: two or three rare words that
seldom meet in one article. At each size:

- latency: a probe article is handed to the broker (submit_batch, the
  crawler's hand-off) and timed until the SMTP server (aiosmtpd, in this
  process) accepts the alert for it; one article at a time, through a real
  worker running every stage (ingest, dedupe, enrich, cluster+index, alerts,
  deliver);
- percolation: one article per percolate request against every rule, timed
  as the engine reports it (``took``) and as the client sees it.

The 100-rule size is the baseline; ratios are against it. Goal: p95 <= 2 s at
10,000 rules on 2 cores. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from email import message_from_bytes
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROBE_TOKEN = "quillwortprobe"
SUBSCRIBER = "bench@example.org"
FILLER_SUBSCRIBER = "filler@example.org"
BULK_CHUNK = 2000


class AcceptingSmtp:
    """aiosmtpd that notes when it accepted each message, by subject."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"smtp://127.0.0.1:{port}"
        self.accepted: dict[str, float] = {}
        self.total = 0
        self.arrived = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.time()
        subject = str(message_from_bytes(envelope.content)["Subject"])
        with self.arrived:
            self.total += 1
            self.accepted.setdefault(subject, at)
            self.arrived.notify_all()
        return "250 accepted"

    def wait_for(self, fragment: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for subject, at in self.accepted.items():
                    if fragment in subject:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.arrived.wait(left)


def _filler_specs(count: int, seed: int) -> list[dict[str, Any]]:
    from bench.synthetic import SYLLABLES

    rng = random.Random(seed)
    specs = []
    for number in range(count):
        words = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))) for _ in range(rng.randint(2, 3))]
        query = " AND ".join(words) if number % 3 else f'"{words[0]} {words[1]}"'
        specs.append({"name": f"filler {seed}-{number}", "query_string": query, "subscribers": [FILLER_SUBSCRIBER]})
    return specs


def register_rules(engine: Any, settings: Any, specs: list[dict[str, Any]]) -> float:
    """Bulk-write rule documents; returns seconds taken."""
    from alerts.rule_types import parse_rule
    from alerts.rules import to_document
    from search.indexes import RULES

    index = settings.index_name(RULES)
    started = time.perf_counter()
    for offset in range(0, len(specs), BULK_CHUNK):
        actions: list[dict[str, Any]] = []
        for spec in specs[offset:offset + BULK_CHUNK]:
            rule = parse_rule(spec)
            actions += [{"index": {"_index": index, "_id": rule.id}}, to_document(rule)]
        answer = engine.bulk(actions)
        if answer.get("errors"):
            failed = [item for item in answer["items"] if item["index"].get("error")][:3]
            raise RuntimeError(f"rule bulk write failed: {failed}")
    engine.request("POST", f"/{index}/_refresh")
    return time.perf_counter() - started


def probe_article(number: int, run: str) -> dict[str, Any]:
    from bench.synthetic import synthetic_articles
    from coverwatch.models import utc_now

    # A seed per size and number: probes of two sizes must not be near-duplicates of each other.
    [record] = synthetic_articles(1, seed=int(run) * 100 + number, duplicate_share=0.0)
    title = f"{record['title']} {PROBE_TOKEN} {run}-{number}"
    return {**record, "url": f"https://probe.example.com/{run}/{number}", "title": title,
            "body": f"{record['body']} The {PROBE_TOKEN} report {run} {number} was confirmed by officials.",
            "published_at": utc_now().isoformat()}


def percolation_ms(engine: Any, settings: Any, articles: list[dict[str, Any]]) -> dict[str, float]:
    """Median per article, one article per request: engine-reported and client-side."""
    from coverwatch.models import Article
    from coverwatch.taxonomy import default_taxonomy
    from search.indexes import RULES
    from search.queries import percolate_articles
    from workers.enrichment import enrich
    from workers.entities import default_matcher

    taxonomy, matcher = default_taxonomy(), default_matcher()
    documents = [enrich(Article.model_validate(record), taxonomy, matcher).to_document() for record in articles]
    index = settings.index_name(RULES)
    engine.request("POST", f"/{index}/_search", percolate_articles(documents[:1]))  # warm the caches
    took, wall = [], []
    for document in documents:
        started = time.perf_counter()
        answer = engine.request("POST", f"/{index}/_search", percolate_articles([document]))
        wall.append((time.perf_counter() - started) * 1000)
        took.append(float(answer["took"]))
    return {"took_ms": statistics.median(took), "wall_ms": statistics.median(wall)}


def latencies(smtp: AcceptingSmtp, count: int, run: str, timeout: float) -> list[float]:
    from workers.handoff import submit_batch

    measured = []
    for number in range(count):
        record = probe_article(number, run)
        handed = time.time()
        submit_batch([record])
        accepted = smtp.wait_for(f"{PROBE_TOKEN} {run}-{number}", timeout)
        if accepted is None:
            print(f"  article {run}-{number}: no alert within {timeout:.0f} s", flush=True)
            continue
        measured.append(accepted - handed)
        print(f"  article {run}-{number}: {accepted - handed:.2f} s", flush=True)
    return measured


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="rule counts, ascending")
    parser.add_argument("--articles", type=int, default=8, help="probe articles timed per size")
    parser.add_argument("--sample", type=int, default=20, help="articles percolated per size")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for one alert")
    parser.add_argument("--register-budget", type=float, default=150,
                        help="skip a size whose rules would take longer than this to register, at the rate so far")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))

    os.environ["COVERWATCH_INDEX_PREFIX"] = f"bench-alerts-{uuid.uuid4().hex[:6]}"
    from bench.synthetic import synthetic_articles
    from console.demo import reset_deployment
    from coverwatch.settings import get_settings
    from search.engine import connect
    from search.indexes import ensure_indices
    from workers.handoff import submit_batch
    from workers.process import start_worker, stop_worker

    get_settings.cache_clear()
    settings = get_settings()
    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    smtp = AcceptingSmtp()
    smtp.controller.start()
    worker = None
    figures: dict[int, dict[str, Any]] = {}
    try:
        worker = start_worker(settings, settings.var_dir / "log" / "bench-alerts-worker.log",
                              concurrency=args.concurrency, extra_env={"COVERWATCH_SMTP_URL": smtp.url})
        sample = synthetic_articles(args.sample, seed=99, duplicate_share=0.0)
        # The worker's first article loads the taxonomy, the matchers and the word table
        # (seconds): not part of any size's figures.
        register_rules(engine, settings, [{"name": "bench warm-up", "query_string": "warmupprobe",
                                           "subscribers": [SUBSCRIBER]}])
        warm = {**probe_article(0, "1"), "title": "Warm-up warmupprobe", "url": "https://probe.example.com/warm"}
        handed = time.time()
        submit_batch([warm])
        accepted = smtp.wait_for("warmupprobe", 120)
        print(f"warm-up alert after {accepted - handed:.1f} s" if accepted else "warm-up: no alert", flush=True)
        registered, rate = 0, 0.0
        # Realert 0: every probe alerts, even one the clusterer puts in an earlier probe's story.
        probe = {"name": "bench probe", "query_string": PROBE_TOKEN, "subscribers": [SUBSCRIBER],
                 "realert_minutes": 0}
        for size in sizes:
            if rate and (size - registered) / rate > args.register_budget:
                print(f"{size} rules skipped: registering {size - registered} more at {rate:.0f} rules/s would take "
                      f"{(size - registered) / rate:.0f} s (budget {args.register_budget:.0f} s)", flush=True)
                continue
            specs = _filler_specs(size - registered - (0 if registered else 1), seed=size)
            if not registered:
                specs.insert(0, probe)
            seconds = register_rules(engine, settings, specs)
            registered, rate = size, len(specs) / max(seconds, 1e-9)
            print(f"{size} rules registered (+{len(specs)} in {seconds:.1f} s, "
                  f"{len(specs) / max(seconds, 1e-9):.0f} rules/s)", flush=True)
            percolate = percolation_ms(engine, settings, sample)
            print(f"  percolation, one article per request: {percolate['took_ms']:.1f} ms engine, "
                  f"{percolate['wall_ms']:.1f} ms client (median of {len(sample)})", flush=True)
            measured = latencies(smtp, args.articles, str(size), args.timeout)
            figures[size] = {"percolate": percolate, "latencies": measured, "register_s": seconds}
    finally:
        if worker is not None:
            stop_worker(worker)
        smtp.controller.stop()
        reset_deployment(settings)
        engine.close()

    base = figures[sizes[0]]
    print(f"\nsize      p50 s   p95 s   percolate ms (x{sizes[0]})   alerts  (baseline: {sizes[0]} rules)")
    summary: dict[str, Any] = {}
    for size in sizes:
        if size not in figures:
            print(f"{size:<9} not measured (registration over budget)")
            summary[str(size)] = {"p50_s": None, "p95_s": None, "percolate_ms": None}
            continue
        row = figures[size]
        values = row["latencies"] or [float("nan")]
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        ratio = row["percolate"]["took_ms"] / max(base["percolate"]["took_ms"], 0.5)
        print(f"{size:<9} {p50:6.2f}  {p95:6.2f}   {row['percolate']['took_ms']:8.1f} (x{ratio:.1f})"
              f"          {len(row['latencies'])}/{args.articles}")
        summary[str(size)] = {"p50_s": round(p50, 3), "p95_s": round(p95, 3),
                              "percolate_ms": round(row["percolate"]["took_ms"], 2)}
    focus = 10_000 if 10_000 in figures else max(figures)
    print(json.dumps({"rules": focus, "p50_s": summary[str(focus)]["p50_s"], "p95_s": summary[str(focus)]["p95_s"],
                      "percolate_ms_per_article": {size: row["percolate_ms"] for size, row in summary.items()},
                      "by_size": summary, "articles_per_size": args.articles, "smtp_messages": smtp.total}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
