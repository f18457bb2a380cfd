"""``coverwatch worker`` and ``coverwatch crawler``: the long-lived processes of
a deployment, a Celery worker on the stage queues and a crawler on the crawl queue."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from coverwatch.settings import get_settings


def _crawler(args: argparse.Namespace) -> int:
    from crawlers.service import run_service

    run_service(get_settings(), max_jobs=args.jobs)
    return 0


def _worker(args: argparse.Namespace) -> int:
    """Become a Celery worker on this deployment's stage queues (exec, so signals
    from a process supervisor reach Celery itself)."""
    from coverwatch.settings import PROJECT_ROOT
    from workers.process import worker_command

    stages = [s.strip() for s in args.stages.split(",") if s.strip()] if args.stages else None
    try:
        command = worker_command(get_settings(), args.concurrency, stages=stages)
    except ValueError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    os.chdir(PROJECT_ROOT)
    os.execv(command[0], command)


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    crawler = commands.add_parser("crawler", help="a long-lived crawler: runs due sources from the crawl queue")
    crawler.add_argument("--jobs", type=int, default=200, help="sources this process runs at once")
    crawler.set_defaults(handler=_crawler)

    worker = commands.add_parser("worker", help="run a Celery worker on every stage queue (or --stages)")
    worker.add_argument("--concurrency", "-c", type=int, default=os.cpu_count() or 2)
    worker.add_argument("--stages", help="comma-separated stages to consume (default: all)")
    worker.set_defaults(handler=_worker)
