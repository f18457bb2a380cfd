"""The web application stands on the other packages, never the other way round.

``web/`` is the only package that imports FastAPI or Starlette, and nothing in
``search/``, ``alerts/``, ``workers/``, ``crawlers/`` or ``coverwatch/`` imports
``web``. Every import counts, at module level or inside a function, as in
tests/unit/test_import_circles.py.

The command line and the demo (``console/``) stand above ``web`` (``coverwatch
serve`` starts the app, ``coverwatch users`` and the demo make accounts), and
import it only inside a function, so ``coverwatch --help`` does not load the app.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BELOW_WEB = ("search", "alerts", "workers", "crawlers", "coverwatch")
ABOVE_WEB = ("console",)
PRODUCT = (*BELOW_WEB, "deploy", "web", *ABOVE_WEB)
WEB_FRAMEWORKS = ("fastapi", "starlette")

def _modules(package: str) -> Iterator[tuple[str, Path]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "target" in path.relative_to(ROOT).parts:
            continue  # the OpenSearch launcher's Maven build output
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _imports(path: Path) -> Iterator[tuple[str, bool]]:
    """Each imported top-level package with whether the import is at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], id(node) in top_level
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0], id(node) in top_level


def _importers_of(target: str | tuple[str, ...], packages: tuple[str, ...]) -> dict[str, list[bool]]:
    targets = {target} if isinstance(target, str) else set(target)
    found: dict[str, list[bool]] = {}
    for package in packages:
        for module, path in _modules(package):
            for imported, at_module_level in _imports(path):
                if imported in targets:
                    found.setdefault(module, []).append(at_module_level)
    return found


def test_the_reader_tells_module_level_imports_from_lazy_ones(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("import web.app\nfrom fastapi import APIRouter\n\n"
                      "def serve():\n    from web.app import create_app\n", encoding="utf-8")
    assert sorted(_imports(source)) == [("fastapi", True), ("web", False), ("web", True)]


def test_nothing_below_web_imports_it() -> None:
    importers = sorted(_importers_of("web", BELOW_WEB))
    assert not importers, f"these import web/, which stands on them: {importers}"


def test_the_command_line_imports_web_only_inside_a_function() -> None:
    importers = _importers_of("web", ABOVE_WEB)
    assert {"console.serve", "console.users", "console.demo"} <= set(importers)
    eager = sorted(module for module, levels in importers.items() if any(levels))
    assert not eager, f"these may import web/ only inside a function: {eager}"


def test_only_web_imports_fastapi_or_starlette() -> None:
    importers = _importers_of(WEB_FRAMEWORKS, PRODUCT)
    outside = sorted(module for module in importers if module.partition(".")[0] != "web")
    assert not outside, f"only web/ may import {' or '.join(WEB_FRAMEWORKS)}: {outside}"
    assert "web.app" in importers
