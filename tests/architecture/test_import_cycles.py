"""No two modules of the package import each other, directly or around a loop.

Every import counts: at the top, inside a function, and under ``TYPE_CHECKING``
(a type-only import is still a dependency a reader has to follow). Package
``__init__`` modules only hand names on and are left out. The layer contract
(import-linter) orders the packages; this test keeps the modules inside a
package free of loops too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neuroloom as nl

PACKAGE = Path(nl.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """``module -> modules it imports`` for every non-``__init__`` module of the package."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = {m for m, p in paths.items() if p.name != "__init__.py"}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name in modules:
        for node in ast.walk(ast.parse(paths[name].read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
                    break  # ``from a.b import c``: the submodule a.b.c if it is one, else a.b
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_function_level_and_type_only_imports() -> None:
    graph = import_graph()
    assert len(graph) > 150
    assert "neuroloom.store.database" in graph["neuroloom.study.run_table"]  # TYPE_CHECKING only
    assert "neuroloom.datastore.importers" in graph["neuroloom.datastore.study"]  # inside a method


def test_no_module_imports_itself_around_a_loop() -> None:
    assert cycles(import_graph()) == []
