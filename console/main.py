"""``coverwatch`` command line: services, crawls, rules, search, the demo."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from coverwatch.cli_lifecycle import add_lifecycle_commands
from coverwatch.cli_relevance import add_relevance_commands
from coverwatch.cli_subscribers import add_subscriber_commands
from coverwatch.settings import get_settings

if TYPE_CHECKING:
    from alerts.rule_model import AlertRule
    from coverwatch.settings import Settings
    from crawlers.sources import Source
    from search.engine import SearchEngine

Handler = Callable[[argparse.Namespace], int]


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


def _sources_of(args: argparse.Namespace, settings: Settings) -> list[Source] | None:
    """The sources of ``--sources`` or the settings' file; None (the error
    printed) when the file does not load."""
    from crawlers.sources import SourceFileError, load_sources

    try:
        return load_sources(Path(args.sources) if args.sources else settings.sources_file)
    except SourceFileError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return None


def _crawl(args: argparse.Namespace) -> int:
    from crawlers.run import SKIPPED_RUNNING, reports_json, run_crawl

    settings = get_settings()
    sources = _sources_of(args, settings)
    if sources is None:
        return 2
    if args.source:
        unknown = sorted(set(args.source) - {source.name for source in sources})
        if unknown:
            print(f"error: unknown source(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        sources = [source for source in sources if source.name in args.source]
    reports = run_crawl(sources, settings)
    outcome: dict[str, object] = {"sources": json.loads(reports_json(reports))}
    from crawlers.health import SourceStates
    from workers.resources import redis_client

    states = SourceStates(redis_client(), settings)
    by_name = {source.name: source for source in sources}
    for report in reports:
        if report.finish_reason != SKIPPED_RUNNING:  # another process's run records its own
            states.record(by_name[report.source], asdict(report))
    if args.wait:
        from search.engine import connect
        from search.indexes import ARTICLES, refresh
        from workers.handoff import wait_for_batches

        outcome["workers"] = wait_for_batches(
            [batch for report in reports for batch in report.batch_ids], timeout=args.timeout)
        refresh(connect(settings.search_url), settings, ARTICLES)  # searchable on return
    print(json.dumps(outcome))
    return 0


def _sources_check(args: argparse.Namespace) -> int:
    """Fetch each source's addresses once; exit 1 when any source has none that answers."""
    from crawlers.source_check import check_sources, dead_sources

    settings = get_settings()
    sources = _sources_of(args, settings)
    if sources is None:
        return 2
    if args.name:
        sources = [source for source in sources if source.name in set(args.name)]
    checks = check_sources(sources, settings.user_agent, timeout=args.timeout, concurrency=args.concurrency)
    for check in checks:
        print(f"{check.source:<30} {check.verdict.value:<11} {check.status or '-':>4} {check.seconds:>6.2f}s  "
              f"{check.url}  {check.detail}")
    dead = dead_sources(checks)
    print(f"{len(sources) - len(dead)} of {len(sources)} sources answer"
          + (f"; not answering: {', '.join(dead)}" if dead else ""))
    return 1 if dead else 0


def _crawler(args: argparse.Namespace) -> int:
    from crawlers.service import run_service

    run_service(get_settings(), max_jobs=args.jobs)
    return 0


def _sources(args: argparse.Namespace) -> int:
    from crawlers.health import SourceStates
    from workers.resources import redis_client

    if args.action == "check":
        return _sources_check(args)
    settings = get_settings()
    states = SourceStates(redis_client(), settings)
    if args.action == "enable":
        for name in args.name:
            states.enable(name)
            print(f"{name}: enabled")
        return 0
    sources = _sources_of(args, settings)
    if sources is None:
        return 2
    print(f"{'source':<22} {'kind':<8} {'status':<9} {'last success':<20} {'found':>5} {'new':>4} "
          f"{'errors':>6}  {'next run':<20} note")
    for source in sources:
        state = states.get(source.name)
        note = state.disabled_reason or state.drift or state.last_error or ""
        print(f"{source.name:<22} {source.kind.value:<8} {state.status:<9} {(state.last_success or '-')[:19]:<20} "
              f"{state.items_found:>5} {state.new_items:>4} {state.errors:>6}  {(state.next_run or 'now')[:19]:<20} "
              f"{note}")
    return 0


def _extract(args: argparse.Namespace) -> int:
    """One JSON line per page, in order; a page that fails gets an "error" line and the run goes on.
    Non-zero exit when a file is missing or unreadable, or when no page yielded an article."""
    import gzip
    import zlib

    from crawlers.extraction import ExtractionError, extract_article

    failures = unreadable = 0
    for name in args.file:
        path = Path(name)
        url = args.url or path.resolve().as_uri().replace("file://", "https://local.file")
        try:
            raw = path.read_bytes()
        except OSError as failure:
            unreadable += 1
            print(json.dumps({"file": name, "error": f"{type(failure).__name__}: {failure}"}), flush=True)
            continue
        try:
            if path.suffix == ".gz":
                raw = gzip.decompress(raw)
            row = {"file": name, **extract_article(raw, url).to_json()}
        except (OSError, EOFError, zlib.error, ExtractionError) as failure:
            failures += 1
            row = {"file": name, "error": f"{type(failure).__name__}: {failure}"}
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return 1 if unreadable or failures == len(args.file) else 0


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


def _search(args: argparse.Namespace) -> int:
    from search.engine import connect
    from search.service import InvalidQuery, run_search

    settings = get_settings()
    try:
        page = run_search(connect(settings.search_url), settings, args.query, size=args.size)
    except InvalidQuery as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    print(f"{page.total} articles")
    for hit in page.hits:
        print(f"- {hit.title} ({hit.source}, {(hit.published_at or '')[:10]})\n  {hit.url}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="info")
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
    from coverwatch.operations import status_report

    settings = get_settings()
    lines, exit_status = status_report(settings, redis_client_for(settings))
    for line in lines:
        print(line)
    return exit_status


def _backfill(args: argparse.Namespace) -> int:
    from deploy.services import up
    from search.engine import connect
    from search.indexes import ARTICLES, ensure_indices, refresh
    from workers.archive import read_backfill
    from workers.handoff import submit_batch, wait_for_batches
    from workers.process import worker_available

    settings = get_settings()
    up(settings)
    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    try:
        with open(args.file, encoding="utf-8") as lines:
            parsed = read_backfill(lines)
    except OSError as failure:
        print(f"error: cannot read {args.file}: {failure.strerror}", file=sys.stderr)
        return 2
    size = args.batch_size
    with worker_available(settings):
        ids = [submit_batch(parsed.records[i:i + size], keep_off_topic=args.all)
               for i in range(0, len(parsed.records), size)]
        figures = wait_for_batches(ids, timeout=args.timeout)
    refresh(engine, settings, ARTICLES)
    summary = {"read": len(parsed.records), "rejected_lines": len(parsed.rejected), **figures}
    print(json.dumps(summary))
    return 0 if figures["batches_failed"] == 0 else 1


def _export(args: argparse.Namespace) -> int:
    from datetime import date

    from deploy.services import up
    from search.engine import connect
    from workers.archive import iter_export, write_export

    settings = get_settings()
    up(settings)
    since = date.fromisoformat(args.since) if args.since else None
    rows = iter_export(connect(settings.search_url), settings, since)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            written = write_export(rows, out)
        print(f"{written} articles written to {args.output}", file=sys.stderr)
    else:
        write_export(rows, sys.stdout)
    return 0


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


def _taxonomy(args: argparse.Namespace) -> int:
    from coverwatch.taxonomy import ACTORS_FILE, MERGED_FILE, load_taxonomy, save_taxonomy
    from coverwatch.taxonomy.importers import merge_attack, merge_misp

    taxonomy = load_taxonomy(ACTORS_FILE)
    if args.attack:
        taxonomy, report = merge_attack(taxonomy, Path(args.attack))
        print(f"ATT&CK: {report}", file=sys.stderr)
    if args.misp:
        taxonomy, report = merge_misp(taxonomy, Path(args.misp))
        print(f"MISP: {report}", file=sys.stderr)
    output = Path(args.output) if args.output else MERGED_FILE
    header = ("# Generated by `coverwatch taxonomy import` from actors.yml (curated, wins on conflicts)\n"
              "# plus MITRE ATT&CK intrusion sets (ATT&CK terms of use; (c) The MITRE Corporation)\n"
              "# and the MISP galaxy threat-actor cluster (CC0 / BSD-2-Clause). Do not edit by hand.\n")
    save_taxonomy(taxonomy, output, header)
    print(f"{len(taxonomy.actors)} actors written to {output}")
    return 0


def _users(args: argparse.Namespace) -> int:
    """Accounts of the analyst pages and API (web/accounts.py); the first admin is made here."""
    import redis

    from coverwatch.connections import redis_client_for
    from web.accounts import AccountError, AccountStore
    from web.credentials import Role, new_secret

    settings = get_settings()
    store = AccountStore(redis_client_for(settings), settings)
    try:
        if args.action == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else new_secret(12)
            user = store.add_user(args.name, Role(args.role), password, args.email)
            shown = "" if args.password_stdin else f"; password (shown once): {password}"
            print(f"user {user.name!r} ({user.role.value}) added{shown}")
        elif args.action == "disable":
            user = store.set_disabled(args.name, disabled=not args.enable)
            print(f"user {user.name!r} {'disabled' if user.disabled else 'enabled'}")
        elif args.action == "token":
            text, token = store.issue_token(args.name, args.label or "", args.days)
            until = f", expires {token.expires_at}" if token.expires_at else ""
            print(f"token {token.id} for {token.user!r}{until}; send it as 'Authorization: Bearer <token>'. "
                  "It is shown once:", file=sys.stderr)
            print(text)
        elif args.action == "revoke":
            token = store.revoke_token(args.token_id)
            print(f"token {token.id} of {token.user!r} revoked")
        else:
            for user in store.list_users():
                tokens = [f"{t.id}{' (revoked)' if t.revoked else ''}" for t in store.tokens_of(user.name)]
                print(f"{user.name}  {user.role.value}  {user.email or '-'}"
                      f"{'  (disabled)' if user.disabled else ''}  tokens: {', '.join(tokens) or '-'}")
    except (AccountError, redis.RedisError) as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 2
    return 0


def _demo(args: argparse.Namespace) -> int:
    from coverwatch.demo import run_demo

    return run_demo(wait=os.environ.get("DEMO_WAIT", "1") != "0")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coverwatch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    services = commands.add_parser("services", help="start, stop or check OpenSearch and Redis")
    services.add_argument("action", choices=["up", "down", "status"])
    services.set_defaults(handler=_services)

    commands.add_parser("init", help="create index templates and aliases").set_defaults(handler=_init)

    crawl = commands.add_parser("crawl", help="crawl sources now (all, or those named)")
    crawl.add_argument("source", nargs="*")
    crawl.add_argument("--sources", help="sources file (default: COVERWATCH_SOURCES_FILE)")
    crawl.add_argument("--wait", action="store_true", help="wait until the workers are done")
    crawl.add_argument("--timeout", type=float, default=600)
    crawl.set_defaults(handler=_crawl)

    crawler = commands.add_parser("crawler", help="a long-lived crawler: runs due sources from the crawl queue")
    crawler.add_argument("--jobs", type=int, default=200, help="sources this process runs at once")
    crawler.set_defaults(handler=_crawler)

    sources = commands.add_parser("sources", help="each source's health, last success and next run")
    sources.add_argument("action", nargs="?", choices=["list", "enable", "check"], default="list",
                         help="check: fetch every source's URL once and report which answer")
    sources.add_argument("name", nargs="*", help="with enable: sources to re-enable; with check: only these")
    sources.add_argument("--sources", help="sources file (default: COVERWATCH_SOURCES_FILE)")
    sources.add_argument("--timeout", type=float, default=10.0, help="check: seconds per request")
    sources.add_argument("--concurrency", type=int, default=16, help="check: requests at once")
    sources.set_defaults(handler=_sources)

    extract = commands.add_parser("extract", help="print the article extracted from saved pages (JSON lines)")
    extract.add_argument("file", nargs="+", help="HTML files (.html or .html.gz)")
    extract.add_argument("--url", help="the page's address, for canonical links and metadata")
    extract.set_defaults(handler=_extract)

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

    search = commands.add_parser("search", help="search indexed coverage")
    search.add_argument("query")
    search.add_argument("--size", type=int, default=10)
    search.set_defaults(handler=_search)

    backfill = commands.add_parser("backfill", help="run an archive (JSONL) through the pipeline")
    backfill.add_argument("file")
    backfill.add_argument("--all", action="store_true", help="keep off-topic articles too (flagged)")
    backfill.add_argument("--batch-size", type=int, default=200)
    backfill.add_argument("--timeout", type=float, default=3600)
    backfill.set_defaults(handler=_backfill)

    export = commands.add_parser("export", help="write indexed articles as JSONL")
    export.add_argument("--since", help="only articles indexed on or after this date (YYYY-MM-DD)")
    export.add_argument("--output", help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    deadletter = commands.add_parser("deadletter", help="messages that used up their retries")
    deadletter.add_argument("action", choices=["list", "replay"])
    deadletter.add_argument("position", nargs="*", type=int, help="replay only these (default: all)")
    deadletter.set_defaults(handler=_deadletter)

    taxonomy = commands.add_parser("taxonomy", help="merge MISP / ATT&CK data into the actor taxonomy")
    taxonomy.add_argument("action", choices=["import"])
    taxonomy.add_argument("--misp", help="MISP galaxy threat-actor.json")
    taxonomy.add_argument("--attack", help="ATT&CK STIX bundle or list of intrusion sets")
    taxonomy.add_argument("--output", help="default: coverwatch/taxonomy/actors.merged.yml")
    taxonomy.set_defaults(handler=_taxonomy)

    commands.add_parser("serve", help="run the analyst API and search page").set_defaults(handler=_serve)
    commands.add_parser("stats", help="pipeline counters").set_defaults(handler=_stats)
    commands.add_parser("status", help="sources, queues, lag and alert outcomes at a glance").set_defaults(
        handler=_status)
    worker = commands.add_parser("worker", help="run a Celery worker on every stage queue (or --stages)")
    worker.add_argument("--concurrency", "-c", type=int, default=os.cpu_count() or 2)
    worker.add_argument("--stages", help="comma-separated stages to consume (default: all)")
    worker.set_defaults(handler=_worker)
    users = commands.add_parser("users", help="analyst accounts: roles, passwords, API tokens")
    user_actions = users.add_subparsers(dest="action", required=True)
    add_user = user_actions.add_parser("add", help="a new account; prints a generated password")
    add_user.add_argument("name")
    add_user.add_argument("--role", choices=["viewer", "analyst", "admin"], default="viewer")
    add_user.add_argument("--email", help="where the alerts made from this user's searches go")
    add_user.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    user_actions.add_parser("list")
    disable_user = user_actions.add_parser("disable", help="refuse its logins, sessions and tokens at once")
    disable_user.add_argument("name")
    disable_user.add_argument("--enable", action="store_true", help="undo a disable")
    issue = user_actions.add_parser("token", help="a new API token for scripts (printed once)")
    issue.add_argument("name")
    issue.add_argument("--days", type=float, help="expire after this many days (default: never)")
    issue.add_argument("--label", help="what the token is for")
    user_actions.add_parser("revoke", help="revoke an API token by its id").add_argument("token_id")
    users.set_defaults(handler=_users)
    demo = commands.add_parser("demo", help="run the whole product on the offline demo site")
    demo.set_defaults(handler=_demo)
    add_lifecycle_commands(commands)
    add_subscriber_commands(commands)
    add_relevance_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from coverwatch.logs import configure_logging

    configure_logging(get_settings())  # COVERWATCH_LOG_FORMAT=json: one JSON object per line
    for chatty in ("httpx", "opensearch", "elastic_transport"):
        logging.getLogger(chatty).setLevel(logging.ERROR)
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
