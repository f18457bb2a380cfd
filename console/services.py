"""``coverwatch services up|down|status`` and ``coverwatch init``: the local
OpenSearch and Redis (deploy/services.py) and the index templates."""

from __future__ import annotations

import argparse
from typing import Any

from coverwatch.settings import get_settings


def _services(args: argparse.Namespace) -> int:
    from deploy import services

    settings = get_settings()
    if args.action == "up":
        for state in services.up(settings):
            print(f"{state.name:<11} up       {state.detail}")
        return 0
    if args.action == "down":
        stopped = services.down(settings)
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
        return 0
    healthy = True
    for state in services.status(settings):
        healthy &= state.healthy
        print(f"{state.name:<11} {'healthy' if state.healthy else 'DOWN':<8} {state.detail}")
    return 0 if healthy else 1


def _init(args: argparse.Namespace) -> int:
    from search.engine import connect
    from search.indexes import ensure_indices

    settings = get_settings()
    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    print(f"indices ready for prefix {settings.index_prefix!r} on {engine.distribution} {engine.version}")
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    services = commands.add_parser("services", help="start, stop or check OpenSearch and Redis")
    services.add_argument("action", choices=["up", "down", "status"])
    services.set_defaults(handler=_services)

    commands.add_parser("init", help="create index templates and aliases").set_defaults(handler=_init)
