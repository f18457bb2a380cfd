"""``coverwatch serve``: the analyst API and pages (web/app.py) under uvicorn."""

from __future__ import annotations

import argparse
from typing import Any

from coverwatch.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port,
                log_level="info")
    return 0


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    commands.add_parser("serve", help="run the analyst API and search page").set_defaults(handler=_serve)
