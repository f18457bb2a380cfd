"""``coverwatch rules add|load|list|show|preview|delete`` and ``coverwatch
deliveries``: alert rules and the delivery log."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverwatch.settings import get_settings

if TYPE_CHECKING:
    from alerts.rule_model import AlertRule
    from search.engine import SearchEngine


def _rule_to_preview(args: argparse.Namespace, engine: SearchEngine) -> AlertRule:
    """A YAML file's rule not saved yet, or a stored rule; ValueError when neither."""
    from alerts.rule_files import load_rule_files
    from alerts.rules import get_rule

    if args.file:
        rules = [rule for rule in load_rule_files(Path(args.file))
                 if not args.name or rule.name.casefold() == args.name.casefold()]
        if len(rules) != 1:
            raise ValueError(f"{args.file} holds {len(rules)} matching rules; name one")
        return rules[0]
    if not args.name:
        raise ValueError("name a stored rule or give --file")
    stored = get_rule(engine, get_settings(), args.name)
    if stored is None:
        raise ValueError(f"no rule named {args.name!r}")
    return stored


def _rules(args: argparse.Namespace) -> int:
    import yaml

    from alerts.evaluation import preview_bands
    from alerts.rule_files import RuleFileError, load_rule_files
    from alerts.rule_types import RuleSchemaError
    from alerts.rules import (
        AlertRule,
        InvalidRule,
        check_query,
        delete_rule,
        get_rule,
        list_rules,
        register_rule,
        rule_spec,
    )
    from search.engine import connect
    from search.indexes import ensure_indices

    settings = get_settings()
    try:
        if args.action == "load":
            source = Path(args.path) if args.path else settings.rules_dir
            rules = load_rule_files(source)
            if not rules:
                print(f"no rules in {source}")
                return 0
            if args.check:  # the schema only: no engine needed
                for rule in rules:
                    print(f"rule {rule.name!r} ({rule.type}) valid")
                return 0
        engine = connect(settings.search_url)
        ensure_indices(engine, settings)
        if args.action == "add":
            rule = AlertRule(name=args.name, query_string=args.query, subscribers=args.email)
            print(f"rule {rule.name!r} registered as {register_rule(engine, settings, rule)}")
        elif args.action == "load":
            for rule in rules:  # every query parses before any rule is stored
                check_query(engine, settings, rule)
            for rule in rules:
                print(f"rule {rule.name!r} ({rule.type}) registered as {register_rule(engine, settings, rule)}")
        elif args.action == "show":
            stored = get_rule(engine, settings, args.name)
            if stored is None:
                print(f"error: no rule named {args.name!r}", file=sys.stderr)
                return 1
            print(yaml.safe_dump(rule_spec(stored), sort_keys=False, allow_unicode=True), end="")
        elif args.action == "preview":
            chosen = _rule_to_preview(args, engine)
            bands = preview_bands(engine, settings, chosen, days=args.days)
            for firing, mark in [*((f, "") for f in bands.on_topic), *((f, "possible  ") for f in bands.possible)]:
                print(f"{firing.fired_at:%Y-%m-%d %H:%M}  {mark}{firing.article.source:<18} {firing.article.title}"
                      + (f"  ({firing.summary})" if firing.summary else ""))
            print(f"{len(bands.on_topic)} alert(s) per subscriber in the last {args.days} days for {chosen.name!r}")
            print(bands.summary())
        elif args.action == "delete":
            if not delete_rule(engine, settings, args.name):
                print(f"error: no rule named {args.name!r}", file=sys.stderr)
                return 1
            print(f"rule {args.name!r} deleted")
        else:
            for rule in list_rules(engine, settings):
                state = "" if rule.enabled else "  (disabled)"
                print(f"{rule.id}  {rule.name}  [{rule.summary()}]  -> {', '.join(rule.subscribers)}{state}")
    except (InvalidRule, RuleSchemaError, RuleFileError, ValueError) as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    return 0


def _deliveries(args: argparse.Namespace) -> int:
    """The delivery log, newest first: each attempt to send an alert and its outcome."""
    from alerts.delivery_log import RedisDeliveryLog
    from coverwatch.connections import redis_client_for
    from coverwatch.models import parse_timestamp

    settings = get_settings()
    since = None
    if args.since:
        since = parse_timestamp(args.since if "T" in args.since else f"{args.since}T00:00:00")
        if since is None:
            print(f"error: --since {args.since!r} is not an ISO date", file=sys.stderr)
            return 2
    log = RedisDeliveryLog(redis_client_for(settings), settings)
    entries = log.read(since, args.rule, args.subscriber, args.limit)
    for entry in entries:
        if args.json:
            print(json.dumps(entry.as_json(), ensure_ascii=False))
        else:
            detail = f"  {entry.detail[:100]}" if entry.detail else ""
            print(f"{entry.at:%Y-%m-%d %H:%M:%S}  {entry.outcome:<19} {entry.rule_name[:30]:<30} "
                  f"{entry.subscriber:<32} {entry.group_key[:24]}{detail}")
    if not args.json:
        print(f"{len(entries)} delivery attempt(s)")
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    rules = commands.add_parser("rules", help="alert rules")
    rule_actions = rules.add_subparsers(dest="action", required=True)
    add = rule_actions.add_parser("add")
    add.add_argument("name")
    add.add_argument("query")
    add.add_argument("email", nargs="+", help="email addresses or https:// webhook URLs")
    load = rule_actions.add_parser("load", help="register every rule in YAML files (all or none)")
    load.add_argument("path", nargs="?", help="a file or folder (default: COVERWATCH_RULES_DIR)")
    load.add_argument("--check", action="store_true", help="validate only, register nothing")
    rule_actions.add_parser("list")
    rule_actions.add_parser("show", help="a stored rule as YAML").add_argument("name")
    preview = rule_actions.add_parser("preview", help="what a rule would have fired on lately")
    preview.add_argument("name", nargs="?", help="a stored rule, or one of --file's rules")
    preview.add_argument("--file", help="preview a YAML rule before saving it")
    preview.add_argument("--days", type=int, default=30)
    rule_actions.add_parser("delete").add_argument("name")
    rules.set_defaults(handler=_rules)

    deliveries = commands.add_parser("deliveries", help="the delivery log: each alert send and its outcome")
    deliveries.add_argument("--rule", help="a rule's name or id")
    deliveries.add_argument("--subscriber", help="an address or webhook URL")
    deliveries.add_argument("--since", help="ISO date or date-time")
    deliveries.add_argument("--limit", type=int, default=100)
    deliveries.add_argument("--json", action="store_true", help="one JSON object per line")
    deliveries.set_defaults(handler=_deliveries)
