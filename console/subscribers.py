"""``coverwatch subscribers add|confirm|list|show|remove|subscribe|unsubscribe``:
the operator's side of alerts/subscribers.py and alerts/subscriptions.py."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from alerts.schedules import WEEKDAYS, UnknownTimezone
from alerts.subscribers import UnknownSubscriber
from coverwatch.settings import Settings
from search.engine import SearchEngine


def _engine() -> tuple[SearchEngine, Settings]:
    from coverwatch.settings import get_settings
    from search.engine import connect
    from search.indexes import ensure_indices

    settings = get_settings()
    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    return engine, settings


def _subscribers(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (UnknownSubscriber, UnknownTimezone, ValueError) as failure:
        print(f"error: {failure}")
        return 1


def _run(args: argparse.Namespace) -> int:
    from alerts.rule_model import DeliveryMode
    from alerts.rules import get_rule, list_rules
    from alerts.schedules import DigestSchedule, QuietHours
    from alerts.subscribers import (
        add_confirmed,
        confirm,
        get_subscriber,
        list_subscribers,
        remove_subscriber,
        sign_up,
    )
    from alerts.subscriptions import leave_rule, subscribe, subscriptions_of

    engine, settings = _engine()
    if args.action == "add":
        added = (add_confirmed(engine, settings, args.address, args.timezone) if args.confirmed
                 else sign_up(engine, settings, args.address, args.timezone))
        note = "" if args.confirmed else " (a confirm email is on its way; nothing else is sent until it is used)"
        print(f"{added.address}: {added.status.value}{note}")
    elif args.action == "confirm":
        print(f"{confirm(engine, settings, args.address).address}: confirmed")
    elif args.action == "list":
        for record in list_subscribers(engine, settings):
            print(f"{record.address:<40} {record.status.value:<13} {record.timezone}")
    elif args.action == "show":
        shown = get_subscriber(engine, settings, args.address)
        subscriptions = subscriptions_of(engine, settings, args.address, list_rules(engine, settings))
        print(json.dumps({"subscriber": shown.model_dump(mode="json") if shown else None,
                          "subscriptions": [s.model_dump(mode="json") for s in subscriptions]}, indent=2))
    elif args.action == "remove":
        removed = remove_subscriber(engine, settings, args.address)
        print(f"{args.address}: {'removed' if removed else 'was not stored'}")
    else:
        rule = get_rule(engine, settings, args.rule)
        if rule is None:
            print(f"no rule {args.rule!r}")
            return 1
        if args.action == "unsubscribe":
            leave_rule(engine, settings, args.address, rule.id, rule.name)
            print(f"{args.address} left {rule.name!r}")
            return 0
        quiet = QuietHours(start=args.quiet[0], end=args.quiet[1]) if args.quiet else None
        schedule = DigestSchedule(frequency="weekly" if args.weekly else "daily", hour=args.hour,
                                  weekday=WEEKDAYS.index(args.weekly) if args.weekly else 0)
        mode = DeliveryMode.DIGEST if args.digest or args.weekly else DeliveryMode.IMMEDIATE
        made = subscribe(engine, settings, args.address, rule, mode, schedule, args.mute_until, quiet,
                         args.possible)
        how = schedule.describe() + " digest" if made.mode is DeliveryMode.DIGEST else "immediately"
        extra = f"; possibly on-topic items in a digest {schedule.describe()}" if made.include_possible else ""
        print(f"{made.address} gets {rule.name!r} {how}{extra}")
    return 0


def register(commands: Any) -> None:
    """Register the ``subscribers`` group on the main parser's subcommands."""
    group = commands.add_parser("subscribers", help="alert subscribers and their subscriptions")
    actions = group.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="sign an address up (confirm email), or --confirmed to skip it")
    add.add_argument("address")
    add.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Berlin")
    add.add_argument("--confirmed", action="store_true", help="the operator vouches for the address")
    actions.add_parser("confirm", help="confirm a pending address by hand").add_argument("address")
    actions.add_parser("list")
    actions.add_parser("show", help="a subscriber and every subscription (stored or from rules)").add_argument(
        "address")
    actions.add_parser("remove", help="forget the address and its subscriptions").add_argument("address")
    sub = actions.add_parser("subscribe", help="subscribe an address to a rule (or change how)")
    sub.add_argument("address")
    sub.add_argument("rule")
    sub.add_argument("--digest", action="store_true", help="daily digest instead of immediate")
    sub.add_argument("--weekly", choices=WEEKDAYS, help="weekly digest on this day")
    sub.add_argument("--hour", type=int, default=8, choices=range(24), metavar="0-23", help="local digest hour")
    sub.add_argument("--mute-until", type=date.fromisoformat, metavar="YYYY-MM-DD")
    sub.add_argument("--quiet", type=int, nargs=2, metavar=("START", "END"), help="local quiet hours, e.g. 22 7")
    sub.add_argument("--possible", action="store_true",
                     help="also possibly on-topic items, in the digest only (never sent at once)")
    unsub = actions.add_parser("unsubscribe", help="stop one rule's mail to an address")
    unsub.add_argument("address")
    unsub.add_argument("rule")
    group.set_defaults(handler=_subscribers)
