"""No function of the package is longer than 80 lines (the whole ``def``, docstring included).

Complexity and statement counts are checked by ruff (``C90``, ``PLR0915``);
this test adds the length rule of docs/architecture.md, which ruff has no
rule for.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neuroloom

MAX_LINES = 80
PACKAGE = Path(neuroloom.__file__).parent


def function_lengths(root: Path) -> dict[tuple[str, str, int], int]:
    """Lines of every function and method under ``root``: ``(file, name, first line) -> lines``."""
    lengths = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                key = (path.relative_to(root).as_posix(), node.name, node.lineno)
                lengths[key] = node.end_lineno - node.lineno + 1
    return lengths


def test_the_walk_measures_whole_functions(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'def f():\n    """Doc."""\n    return 1\n\n\nclass C:\n    def g(self):\n        pass\n'
    )
    assert function_lengths(tmp_path) == {("m.py", "f", 1): 3, ("m.py", "g", 7): 2}


def test_no_function_is_over_80_lines() -> None:
    lengths = function_lengths(PACKAGE)
    assert len(lengths) > 500, f"only {len(lengths)} functions found under {PACKAGE}"
    long = {f"{file}:{line} {name} ({n} lines)" for (file, name, line), n in lengths.items() if n > MAX_LINES}
    assert not long, f"functions over {MAX_LINES} lines; split them: {sorted(long)}"
