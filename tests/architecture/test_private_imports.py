"""No private name (``_x``) is imported from another neuroloom module.

ruff's PLC2701 only flags private names of *other* packages, so this walks the
AST of every module under ``src/neuroloom`` itself. Importing a sibling
module under a private alias (``from neuroloom.cli import study as _study``)
is allowed: the imported name is public, only the local binding is private.
"""

from __future__ import annotations

import ast
from pathlib import Path

import neuroloom

SRC = Path(neuroloom.__file__).parent


def private_imports(source: str) -> list[str]:
    """``module:name`` of every ``from neuroloom... import _name`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("neuroloom"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.module}:{alias.name}")
    return found


def test_the_check_finds_a_private_import() -> None:
    assert private_imports("from neuroloom.study.catalog import PARAM_PREFIX, _q\n") == [
        "neuroloom.study.catalog:_q"
    ]
    assert (
        private_imports("from neuroloom.cli import study as _study\nfrom neuroloom import __version__\n")
        == []
    )


def test_no_module_imports_a_private_name() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 50
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for path in files
        for name in private_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
