"""``coverwatch`` command line: services, crawls, rules, search, the demo."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence

from console import (
    articles,
    crawling,
    deadletter,
    demo,
    lifecycle,
    misp,
    processes,
    relevance,
    rules,
    serve,
    services,
    status,
    subscribers,
    taxonomy,
    users,
)
from coverwatch.settings import get_settings

Handler = Callable[[argparse.Namespace], int]

# In the order ``coverwatch --help`` lists them.
GROUPS = (services, crawling, processes, rules, articles, deadletter, taxonomy, serve, status, users, demo,
          lifecycle, subscribers, relevance, misp)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coverwatch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
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
