"""``coverwatch crawl``, ``coverwatch sources [list|enable|check]`` and
``coverwatch extract``: crawls now, the sources' health, and what the extractor
makes of saved pages."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coverwatch.settings import get_settings

if TYPE_CHECKING:
    from coverwatch.settings import Settings
    from crawlers.sources import Source


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


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    crawl = commands.add_parser("crawl", help="crawl sources now (all, or those named)")
    crawl.add_argument("source", nargs="*")
    crawl.add_argument("--sources", help="sources file (default: COVERWATCH_SOURCES_FILE)")
    crawl.add_argument("--wait", action="store_true", help="wait until the workers are done")
    crawl.add_argument("--timeout", type=float, default=600)
    crawl.set_defaults(handler=_crawl)

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
