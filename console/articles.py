"""``coverwatch search``, ``coverwatch backfill`` and ``coverwatch export``:
indexed articles read, an archive written through the pipeline, the index
written out as JSONL."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from coverwatch.settings import Settings, get_settings


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
    from deploy.services import up
    from search.engine import connect

    settings = get_settings()
    if args.format != "jsonl":
        return _export_stories(args, settings)
    if args.story:
        print("--story needs a story format (--format stix, misp or atom)", file=sys.stderr)
        return 2
    from datetime import date

    from search.export import write_jsonl
    from workers.archive import iter_export

    up(settings)
    since = date.fromisoformat(args.since) if args.since else None
    rows = iter_export(connect(settings.search_url), settings, since)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            written = write_jsonl(rows, out)
        print(f"{written} articles written to {args.output}", file=sys.stderr)
    else:
        write_jsonl(rows, sys.stdout)
    return 0


def _export_stories(args: argparse.Namespace, settings: Settings) -> int:
    """Stories as one exchange document (workers/exchange/): a STIX bundle, MISP
    event JSON or an Atom feed, of every story changed since ``--since`` or of one."""
    from datetime import date

    from deploy.services import up
    from search.engine import connect
    from search.story_records import newest_story_ids, story_records
    from workers.exchange import ExchangeOptions, UnknownFormat, get_format

    try:
        exchange_format = get_format(args.format)
    except UnknownFormat as refusal:
        print(f"coverwatch export: {refusal}", file=sys.stderr)
        return 2
    try:
        since = date.fromisoformat(args.since).isoformat() if args.since else None
    except ValueError:
        print(f"coverwatch export: --since {args.since!r} is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    up(settings)
    engine = connect(settings.search_url)
    story_ids = [args.story] if args.story else []
    if not story_ids and exchange_format.newest_only:
        # A feed shows the stories that changed last: read those, not every story since the start.
        story_ids = newest_story_ids(engine, settings, exchange_format.newest_only)
    records = list(story_records(engine, settings, since=since, story_ids=story_ids)) \
        if story_ids or not exchange_format.newest_only else []
    if args.story and not records:
        print(f"coverwatch export: no story {args.story!r}", file=sys.stderr)
        return 1
    scope = f"story:{args.story}" if args.story else "all"
    document = exchange_format.render(records, ExchangeOptions.from_settings(settings, scope_id=scope))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(document)
        print(f"{len(records)} stories written to {args.output} as {args.format}", file=sys.stderr)
    else:
        sys.stdout.write(document if document.endswith("\n") else document + "\n")
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
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

    export = commands.add_parser(
        "export", help="write indexed articles as JSONL, or stories as STIX 2.1, MISP event JSON or Atom")
    export.add_argument("--format", default="jsonl",
                        help="jsonl (articles, the default) or a story format: stix, misp, atom")
    export.add_argument("--story", help="only this story (story formats)")
    export.add_argument("--since", help="only articles indexed, or stories changed, on or after this date "
                                        "(YYYY-MM-DD)")
    export.add_argument("--output", help="file to write (default: stdout)")
    export.set_defaults(handler=_export)
