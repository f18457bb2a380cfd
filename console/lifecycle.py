"""``coverwatch snapshot|retention|reindex``: the index lifecycle commands
(search/lifecycle.py does the work; this module only parses and prints)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from coverwatch.settings import get_settings


def _snapshot(args: argparse.Namespace) -> int:
    from search.engine import connect
    from search.lifecycle import create_snapshot, list_snapshots, restore_snapshot

    settings = get_settings()
    engine = connect(settings.search_url)
    if args.snapshot_action == "create":
        name = args.name or datetime.now(UTC).strftime("snapshot-%Y%m%d-%H%M%S")
        info = create_snapshot(engine, settings, name)
        print(f"{info.name}: {info.state}, {len(info.indices)} index(es) -> {settings.snapshots}")
    elif args.snapshot_action == "list":
        for info in list_snapshots(engine, settings):
            print(f"{info.name}  {info.state}  {info.started_at}  {', '.join(info.indices)}")
    else:
        if not args.yes:
            print(f"restoring {args.name!r} replaces the current indices of {settings.index_prefix!r}; "
                  "add --yes to go ahead")
            return 2
        restored = restore_snapshot(engine, settings, args.name)
        print(f"restored {', '.join(restored)} from {args.name}")
    return 0


def _retention(args: argparse.Namespace) -> int:
    from search.engine import connect
    from search.lifecycle import apply_retention

    settings = get_settings()
    outcome = apply_retention(connect(settings.search_url), settings, datetime.now(UTC), args.days)
    if outcome is None:
        print("no retention configured (COVERWATCH_ARTICLE_RETENTION_DAYS or --days): nothing deleted")
        return 0
    print(f"deleted {outcome.articles_deleted} article(s) and {outcome.stories_deleted} story(ies) "
          f"older than {outcome.cutoff.isoformat()}")
    return 0


def _reindex(args: argparse.Namespace) -> int:
    from search.engine import connect
    from search.lifecycle import upgrade_mapping

    settings = get_settings()
    targets = upgrade_mapping(connect(settings.search_url), settings, args.kind)
    print(f"{settings.index_name(args.kind)} -> {', '.join(targets)}")
    return 0


def register(commands: Any) -> None:
    """Register the commands on the main parser's subparsers object."""
    from search.indexes import PROPERTIES_BY_KIND

    snapshot = commands.add_parser("snapshot", help="snapshot the indices to the filesystem repository, "
                                                    "list snapshots, or restore one")
    actions = snapshot.add_subparsers(dest="snapshot_action", required=True)
    actions.add_parser("create").add_argument("name", nargs="?")
    actions.add_parser("list")
    restore = actions.add_parser("restore")
    restore.add_argument("name")
    restore.add_argument("--yes", action="store_true", help="replace the current indices")
    snapshot.set_defaults(handler=_snapshot)

    retention = commands.add_parser("retention", help="delete articles and stories older than the retention")
    retention.add_argument("--days", type=int, help="override COVERWATCH_ARTICLE_RETENTION_DAYS")
    retention.set_defaults(handler=_retention)

    reindex = commands.add_parser("reindex", help="rebuild an index from the current mapping and swap its alias")
    reindex.add_argument("kind", choices=sorted(PROPERTIES_BY_KIND))
    reindex.set_defaults(handler=_reindex)
