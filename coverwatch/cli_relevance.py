"""``coverwatch relevance``: the topic-relevance commands. ``labels export``
writes analysts' marks as training lines (search/relevance_labels.py) and
``labels list`` shows them.

Each action is a parser of its own under the ``relevance`` group, with its own
handler, so another one (``train``) is one more ``add_parser`` in
:func:`add_relevance_commands`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coverwatch.settings import Settings
from search.engine import SearchEngine


def _engine() -> tuple[SearchEngine, Settings]:
    from coverwatch.settings import get_settings
    from search.engine import connect

    settings = get_settings()
    return connect(settings.search_url), settings


def _export_labels(args: argparse.Namespace) -> int:
    from search.relevance_labels import labelled_examples, write_jsonl

    engine, settings = _engine()
    if args.output is None:
        written = write_jsonl(labelled_examples(engine, settings), sys.stdout)
    else:
        # Written beside the target and moved over it at the end: a failed export leaves no half file.
        partial = args.output.with_name(args.output.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            written = write_jsonl(labelled_examples(engine, settings), out)
        partial.replace(args.output)
    print(f"{written} marked article(s) exported{f' to {args.output}' if args.output else ''}", file=sys.stderr)
    return 0


def _list_labels(args: argparse.Namespace) -> int:
    from search.relevance_marks import MarkLabel, list_marks

    engine, settings = _engine()
    label = MarkLabel(args.label) if args.label else None
    for mark in list_marks(engine, settings, label, args.marked_by, args.include_cleared, args.limit):
        shown = mark.label.value if mark.label else "cleared"
        print(f"{mark.marked_at:%Y-%m-%d %H:%M}  {shown:<14} {mark.marked_by:<16} {mark.article_id}  {mark.title}")
    return 0


def add_relevance_commands(commands: Any) -> None:
    """Register the ``relevance`` group on the main parser's subcommands."""
    group = commands.add_parser("relevance", help="topic relevance: analysts' marks as training labels")
    actions = group.add_subparsers(dest="relevance_action", required=True)
    labels = actions.add_parser("labels", help="analysts' espionage / not-espionage marks")
    label_actions = labels.add_subparsers(dest="labels_action", required=True)
    export = label_actions.add_parser(
        "export", help="every current mark with its article's text, as JSON lines for training")
    export.add_argument("--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(handler=_export_labels)
    listing = label_actions.add_parser("list", help="marks, newest first")
    listing.add_argument("--label", choices=["espionage", "not_espionage"])
    listing.add_argument("--marked-by", metavar="USER")
    listing.add_argument("--include-cleared", action="store_true")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(handler=_list_labels)
