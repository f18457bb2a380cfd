"""``coverwatch/`` is the core every other package stands on: settings, models,
taxonomy, connections, network policy, logs and metrics. It imports none of
them, at module level or inside a function (read with ``ast``, as in
tests/unit/test_import_circles.py), so any package can import the core without
pulling in storage, the pipeline, the crawlers or the web app. The command line
and the demo, which stand on everything, live in ``console/``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABOVE_CORE = frozenset({"web", "search", "alerts", "workers", "crawlers", "deploy", "console"})


def _imported_packages(path: Path, root: Path = ROOT) -> Iterator[tuple[str, int]]:
    """Each top-level package a module imports (absolute, or relative out of
    coverwatch/ into the root), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    depth = len(path.relative_to(root).parts) - 1  # folders below the root: coverwatch/x.py is 1
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.partition(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module.partition(".")[0], node.lineno
            elif node.level > depth:  # climbs out of coverwatch/ into the root
                target = node.module or (node.names[0].name if node.names else "")
                yield target.partition(".")[0], node.lineno


def test_the_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "coverwatch" / "sample.py"
    source.parent.mkdir()
    source.write_text("import redis\nfrom coverwatch.settings import Settings\n\n"
                      "def late():\n    import search.engine\n    from workers.tasks import ingest\n"
                      "    from ..web import app\n", encoding="utf-8")
    assert sorted(_imported_packages(source, tmp_path)) == [
        ("coverwatch", 2), ("redis", 1), ("search", 5), ("web", 7), ("workers", 6)]


def test_the_core_imports_no_package_above_it() -> None:
    found = [f"{path.relative_to(ROOT)}:{line} imports {package}"
             for path in sorted((ROOT / "coverwatch").rglob("*.py"))
             for package, line in _imported_packages(path) if package in ABOVE_CORE]
    assert not found, "coverwatch/ is the core the other packages stand on:\n" + "\n".join(found)
