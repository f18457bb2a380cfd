"""``coverwatch misp push``: new or changed stories as MISP events on a MISP
instance (workers/exchange/misp_push.py), each story version once."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from coverwatch.settings import get_settings


def _push(args: argparse.Namespace) -> int:
    from datetime import date

    from coverwatch.connections import redis_client_for
    from deploy.services import up
    from search.engine import connect
    from search.story_records import story_records
    from workers.exchange import ExchangeOptions
    from workers.exchange.misp_push import MispClient, MispNotConfigured, PushLedger, push_stories

    settings = get_settings()
    try:
        since = date.fromisoformat(args.since).isoformat() if args.since else None
        client = MispClient.from_settings(settings, url=args.url, key=args.key, verify=args.verify)
    except (ValueError, MispNotConfigured) as refusal:
        print(f"coverwatch misp push: {refusal}", file=sys.stderr)
        return 2
    up(settings)
    records = story_records(connect(settings.search_url), settings, since=since,
                            story_ids=[args.story] if args.story else ())
    with client:
        report = push_stories(client, PushLedger(redis_client_for(settings), settings, client.url), records,
                              ExchangeOptions.from_settings(settings))
    print(json.dumps(report.as_dict()))
    return 1 if report.failures else 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    misp = commands.add_parser("misp", help="push story events to a MISP instance")
    actions = misp.add_subparsers(dest="misp_action", required=True)
    push = actions.add_parser(
        "push", help="push new or changed stories as MISP events (add, or edit by the event's uuid); "
                     "a story already pushed at its current version is not sent again")
    push.add_argument("--url", help="the MISP instance (default: COVERWATCH_MISP_URL)")
    push.add_argument("--key", help="a MISP automation key (default: COVERWATCH_MISP_KEY; prefer the variable, "
                                    "a key on the command line shows in the process list)")
    push.add_argument("--since", help="only stories changed on or after this date (YYYY-MM-DD)")
    push.add_argument("--story", help="only this story")
    push.add_argument("--verify", action=argparse.BooleanOptionalAction, default=None,
                      help="check the instance's TLS certificate (default: COVERWATCH_MISP_VERIFY_TLS, true)")
    push.set_defaults(handler=_push)
