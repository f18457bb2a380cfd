"""No import circles among the product packages.

Every import is read with ``ast``, at module level and inside functions alike:
an import hidden in a function still ties the two modules together, it only
moves the failure from import time to call time. Dynamic imports (the rule-type
and channel registries' ``importlib`` discovery) are not imports of a name and
are not edges. The graph's strongly connected components of more than one
module are the circles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("coverwatch", "crawlers", "workers", "search", "alerts", "deploy", "web", "console")

# Circles that later parts of issue 21 dissolve; this list may only shrink.
ALLOWED_CIRCLES: list[frozenset[str]] = []

Graph = dict[str, set[str]]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            # The OpenSearch launcher's Maven build output is not Python we own.
            if "target" in path.relative_to(ROOT).parts:
                continue
            modules[_module_name(path)] = path
    return modules


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The longest product module that ``name`` is or lies inside (``a.b.func`` -> ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` imports the submodule when there is one.
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph(modules: dict[str, Path]) -> Graph:
    graph: Graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets = {_owner(name, modules) for name in _imported_names(tree, module, path.name == "__init__.py")}
        graph[module] = {target for target in targets if target and target != module}
    return graph


def circles(graph: Graph) -> list[frozenset[str]]:
    """Strongly connected components of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = lowlink[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = lowlink[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    advanced = True
                    break
                if successor in on_stack:
                    lowlink[node] = min(lowlink[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_the_finder_sees_a_circle_through_a_function_level_import() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [frozenset({"a", "b", "c"})]
    tree = ast.parse("def late():\n    from . import rules\n    import alerts.email\n")
    assert set(_imported_names(tree, "alerts.rule_model", False)) == {"alerts.rules", "alerts.email"}


def test_product_packages_have_no_import_circles_beyond_the_allowed() -> None:
    found = set(circles(import_graph(product_modules())))
    unexpected = sorted(sorted(circle) for circle in found - set(ALLOWED_CIRCLES))
    assert not unexpected, f"import circles: {unexpected}"


def test_every_allowed_circle_still_exists() -> None:
    # A circle that is gone leaves the list, so the list can only shrink.
    found = set(circles(import_graph(product_modules())))
    gone = sorted(sorted(circle) for circle in set(ALLOWED_CIRCLES) - found)
    assert not gone, f"no longer circles, remove from ALLOWED_CIRCLES: {gone}"
