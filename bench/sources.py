"""Polling cost at scale: 10,000 feeds on loopback (bench/feed_farm.py, one
address per outlet) polled by long-lived crawlers (``coverwatch crawler``) from
the crawl queue that the dispatcher (crawlers/dispatch.py, as beat runs it)
fills, on a 15-minute schedule compressed to ``--period`` seconds.

Figures: CPU (user+sys, from /proc) of the crawler processes plus the
dispatcher's own CPU, per poll, over each round after a warm-up round (the
warm-up fetches every host's robots.txt once, as a crawler does once a day);
the median round is reported, and the fraction of two cores that rate would
use with every feed polled every 15 minutes. In the same run, the old path (a
``coverwatch crawl SOURCE`` process per poll, as beat's crawl task started one)
polls a few of the same feeds; its CPU per poll is the baseline.

Not counted: the feed server (it stands for the internet), Redis itself, and
the Celery workers that would process the handed-off articles. Every article
fetched is extracted and handed off as in production; no worker consumes this
run's queues, and everything stored under its prefix is deleted at the end.
The last line is one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.feed_farm import FeedFarm, article_url, etag, feed_url, has_validators

CORES = 2
REAL_PERIOD_SECONDS = 900.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _process_cpu(pid: int) -> float:
    """User + system seconds of a process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _sources_yaml(names_and_feeds: list[tuple[str, int]], port: int, period: int) -> str:
    lines = ["sources:"]
    for name, feed in names_and_feeds:
        lines.append(f"  - {{name: {name}, urls: '{feed_url(feed, port)}', schedule: every {period}s}}")
    return "\n".join(lines) + "\n"


def _seed(feeds: int, port: int) -> None:
    """What earlier crawls would have left: each feed's validators and its
    listed article already seen, so the warm-up polls as every later round does."""
    from coverwatch.settings import get_settings
    from coverwatch.urls import canonicalize_url
    from workers.resources import redis_client

    settings = get_settings()
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    for feed in range(feeds):
        pipe.sadd(settings.redis_key("seen-urls"), canonicalize_url(article_url(feed, 0, port)))
        if has_validators(feed):
            pipe.hset(settings.redis_key("http-validators"), f"etag:{feed_url(feed, port)}", etag(feed, 0))
        if feed % 2000 == 1999:
            pipe.execute()
    pipe.execute()


def baseline(feeds: list[int], port: int, folder: Path) -> dict[str, Any]:
    """The old path: one ``coverwatch crawl`` process per poll of a 304 feed."""
    sources_file = folder / "baseline-sources.yml"
    sources_file.write_text(_sources_yaml([(f"baseline-{feed}", feed) for feed in feeds], port, 900))
    cpu: list[float] = []
    not_modified = 0
    for feed in feeds:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        finished = subprocess.run([sys.executable, "-m", "console.main", "crawl", f"baseline-{feed}",
                                   "--sources", str(sources_file)], capture_output=True, text=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        not_modified += json.loads(finished.stdout.strip().splitlines()[-1])["sources"][0]["not_modified"]
    return {"polls": len(feeds), "not_modified": not_modified,
            "cpu_ms_per_poll": round(1000 * statistics.median(cpu), 1)}


class Dispatcher:
    """Beat's tick, called in this process; its CPU is counted per call."""

    def __init__(self, sources_file: Path) -> None:
        from coverwatch.settings import get_settings
        from workers.resources import redis_client

        self.sources_file = sources_file
        self.settings = get_settings()
        self.client = redis_client()
        self.cpu = 0.0

    def tick(self) -> int:
        from crawlers.dispatch import dispatch_due

        started = time.process_time()
        queued = dispatch_due(self.sources_file, self.client, self.settings, datetime.now(UTC))
        self.cpu += time.process_time() - started
        return len(queued)

    def polls(self) -> int:
        from workers.resources import counters

        figures = counters()
        return figures.get("crawls.finished", 0) + figures.get("crawls.timed_out", 0)


def start_crawlers(count: int, jobs: int, folder: Path) -> list[subprocess.Popen[bytes]]:
    processes = []
    for number in range(count):
        with (folder / f"crawler-{number}.log").open("wb") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "console.main", "crawler", "--jobs", str(jobs)],
                stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)))
    return processes


def wait_for_heartbeats(count: int, timeout: float = 90) -> None:
    from coverwatch.settings import get_settings
    from workers.resources import redis_client

    pattern = get_settings().redis_key("crawler-alive", "*")
    deadline = time.monotonic() + timeout
    while len(list(redis_client().scan_iter(pattern, count=1000))) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the crawlers did not start")
        time.sleep(0.5)


def run_rounds(dispatcher: Dispatcher, crawlers: list[subprocess.Popen[bytes]], farm: FeedFarm,
               feeds: int, period: int, rounds: int, tick: float) -> list[dict[str, Any]]:
    def cpu() -> tuple[float, float]:
        return sum(_process_cpu(process.pid) for process in crawlers), dispatcher.cpu

    started = time.monotonic()
    while dispatcher.polls() < feeds:
        dispatcher.tick()
        if time.monotonic() - started > 30 * period:
            raise RuntimeError(f"warm-up: {dispatcher.polls()} of {feeds} polls after {30 * period}s")
        time.sleep(tick)
    print(f"warm-up: {feeds} polls (robots.txt for every host, then the feed) in "
          f"{time.monotonic() - started:.0f}s", flush=True)
    figures = []
    for number in range(1, rounds + 1):
        farm.next_round()
        answered_before, polls_before = farm.answered(), dispatcher.polls()
        crawler_before, dispatch_before = cpu()
        window_end = time.monotonic() + period
        while time.monotonic() < window_end:
            dispatcher.tick()
            time.sleep(tick)
        crawler_after, dispatch_after = cpu()
        polls = dispatcher.polls() - polls_before
        answered = {key: value - answered_before[key] for key, value in farm.answered().items()}
        spent = crawler_after - crawler_before + dispatch_after - dispatch_before
        row = {"round": number, "polls": polls, "crawler_cpu_s": round(crawler_after - crawler_before, 2),
               "dispatcher_cpu_s": round(dispatch_after - dispatch_before, 2),
               "cpu_ms_per_poll": round(1000 * spent / max(polls, 1), 2), "answers": answered}
        print(json.dumps(row), flush=True)
        figures.append(row)
    return figures


def cleanup() -> None:
    from console.demo import reset_deployment
    from coverwatch.settings import get_settings
    from workers.resources import redis_client

    settings = get_settings()
    reset_deployment(settings)
    bindings = list(redis_client().scan_iter(f"_kombu.binding.{settings.index_prefix}.*", count=1000))
    if bindings:
        redis_client().unlink(*bindings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10000)
    parser.add_argument("--period", type=int, default=60, help="seconds standing for 15 minutes")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds after the warm-up")
    parser.add_argument("--crawlers", type=int, default=2, help="crawler processes")
    parser.add_argument("--jobs", type=int, default=200, help="sources each crawler runs at once")
    parser.add_argument("--tick", type=float, default=1.0, help="seconds between dispatcher ticks")
    parser.add_argument("--baseline", type=int, default=5, help="polls through the old per-process path")
    args = parser.parse_args()

    prefix = f"bench-sources-{uuid.uuid4().hex[:8]}"
    folder = Path(os.environ.get("COVERWATCH_VAR_DIR", Path(__file__).resolve().parents[1] / "var")) / "bench" / prefix
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["COVERWATCH_INDEX_PREFIX"] = prefix
    allowed = os.environ.get("COVERWATCH_ALLOWED_PRIVATE_NETWORKS", "")
    os.environ["COVERWATCH_ALLOWED_PRIVATE_NETWORKS"] = ",".join(filter(None, (allowed, "127.0.0.0/8")))
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the crawlers

    port = _free_port()
    farm = FeedFarm(args.feeds, port)
    crawlers: list[subprocess.Popen[bytes]] = []
    try:
        farm.start()
        sources_file = folder / "sources.yml"
        sources_file.write_text(_sources_yaml([(f"feed-{n:05d}", n) for n in range(args.feeds)], port, args.period))
        _seed(args.feeds, port)
        sample = [n for n in range(args.feeds) if has_validators(n)][:args.baseline]
        old = baseline(sample, port, folder)
        print(f"old path (a process per poll): {old['cpu_ms_per_poll']} ms CPU per poll over {old['polls']} "
              f"polls ({old['not_modified']} answered 304)", flush=True)
        dispatcher = Dispatcher(sources_file)
        dispatcher.tick()  # parses the file and fills the due index before the crawlers start
        crawlers = start_crawlers(args.crawlers, args.jobs, folder)
        wait_for_heartbeats(args.crawlers)
        rounds = run_rounds(dispatcher, crawlers, farm, args.feeds, args.period, args.rounds, args.tick)
    finally:
        for process in crawlers:
            process.send_signal(signal.SIGTERM)
        for process in crawlers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        farm.stop()
        cleanup()

    median = statistics.median(row["cpu_ms_per_poll"] for row in rounds)
    polls = statistics.median(row["polls"] for row in rounds)
    fraction = median / 1000 * args.feeds / REAL_PERIOD_SECONDS / CORES
    answers = {key: sum(row["answers"][key] for row in rounds) for key in rounds[0]["answers"]}
    feed_answers = answers["not_modified"] + answers["feed_200"]
    print(f"{args.feeds} feeds, {args.crawlers} crawler processes: median {median:.2f} ms CPU per poll "
          f"({polls:.0f} polls per {args.period}s round); at one poll per feed every 15 minutes that is "
          f"{fraction:.1%} of {CORES} cores; the old path: {old['cpu_ms_per_poll']} ms per poll "
          f"({old['cpu_ms_per_poll'] / median:.0f}x)")
    print(json.dumps({
        "feeds": args.feeds, "cpu_ms_per_poll": round(median, 2), "cpu_fraction_at_15min": round(fraction, 4),
        "baseline_cpu_ms_per_poll": old["cpu_ms_per_poll"],
        "ratio_vs_baseline": round(old["cpu_ms_per_poll"] / median, 1),
        "polls_per_round": polls, "period_s": args.period, "crawler_processes": args.crawlers,
        "not_modified_share": round(answers["not_modified"] / max(feed_answers, 1), 3),
        "articles_fetched": answers["article"], "rounds": [row["cpu_ms_per_poll"] for row in rounds],
    }))


if __name__ == "__main__":
    main()
