"""``coverwatch stats`` and ``coverwatch status``: pipeline counters and queues,
and one screen for an operator (web/operations.py gathers it)."""

from __future__ import annotations

import argparse
from typing import Any

from coverwatch.settings import get_settings


def _stats(args: argparse.Namespace) -> int:
    from workers.backlog import pipeline_backlog
    from workers.resources import counters, redis_client

    for name, value in sorted(counters().items()):
        print(f"{name:<40} {value}")
    backlog = pipeline_backlog(redis_client(), get_settings())
    for stage, waiting in backlog.queued.items():
        print(f"{'queued.' + stage:<40} {waiting}")
    for stage, flight in backlog.in_flight.items():
        print(f"{'in_flight.' + stage:<40} {flight.messages} (oldest {flight.oldest_seconds:.0f}s)")
    for stage, returned in backlog.returned_after_worker_death.items():
        print(f"{'returned_after_worker_death.' + stage:<40} {returned}")
    print(f"{'dead_letters':<40} {backlog.dead_letters}")
    return 0


def _status(args: argparse.Namespace) -> int:
    """One screen for an operator: search nodes and Redis, source health, queues, lag, alert outcomes."""
    from coverwatch.connections import redis_client_for
    from web.operations import status_report

    settings = get_settings()
    lines, exit_status = status_report(settings, redis_client_for(settings))
    for line in lines:
        print(line)
    return exit_status


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    commands.add_parser("stats", help="pipeline counters").set_defaults(handler=_stats)
    commands.add_parser("status", help="sources, queues, lag and alert outcomes at a glance").set_defaults(
        handler=_status)
