"""``coverwatch deadletter list|replay``: messages that used up their retries
(workers/deadletter.py)."""

from __future__ import annotations

import argparse
from typing import Any

from coverwatch.settings import get_settings


def _deadletter(args: argparse.Namespace) -> int:
    from workers.deadletter import list_dead_letters, replay
    from workers.resources import redis_client

    settings = get_settings()
    if args.action == "replay":
        ids = replay(redis_client(), settings, args.position or None)
        print(f"replayed {len(ids)} message(s)")
        return 0
    for letter in list_dead_letters(redis_client(), settings):
        print(f"{letter.position:>4}  {letter.task:<22} {letter.task_id}  {letter.reason}")
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    deadletter = commands.add_parser("deadletter", help="messages that used up their retries")
    deadletter.add_argument("action", choices=["list", "replay"])
    deadletter.add_argument("position", nargs="*", type=int, help="replay only these (default: all)")
    deadletter.set_defaults(handler=_deadletter)
