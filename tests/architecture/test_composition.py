"""Composition, not mixins: no class is assembled from several neuroloom classes.

Read from the source (``ast``), so no optional simulator has to be importable:

- a class has at most one base class defined in neuroloom (no mixins);
- a class never overrides a private method (``_x``) of a neuroloom base class
  defined in another module (extend through public hooks or hold the object);
- ``neuroloom.Study`` holds its item store instead of being one.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import neuroloom as nl
from neuroloom.store import Database

PACKAGE = Path(nl.__file__).parent


@dataclass(frozen=True)
class ClassInfo:
    module: str
    name: str
    bases: tuple[str, ...]
    methods: frozenset[str]


def _base_name(node: ast.expr) -> str | None:
    node = node.value if isinstance(node, ast.Subscript) else node
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _classes() -> dict[str, list[ClassInfo]]:
    found: dict[str, list[ClassInfo]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = tuple(b for b in map(_base_name, node.bases) if b)
                methods = frozenset(
                    n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                )
                found.setdefault(node.name, []).append(ClassInfo(module, node.name, bases, methods))
    return found


def test_no_class_has_two_neuroloom_base_classes() -> None:
    classes = _classes()
    assert len(classes) > 100  # the walk found the package's classes
    mixed = [
        f"{c.module}.{c.name}({', '.join(c.bases)})"
        for infos in classes.values()
        for c in infos
        if sum(base in classes for base in c.bases) > 1
    ]
    assert mixed == [], "classes assembled from several neuroloom classes (hold the parts instead)"


def test_no_class_overrides_a_private_method_of_a_base_in_another_module() -> None:
    classes = _classes()
    overrides = []
    for infos in classes.values():
        for cls in infos:
            for base in (b for b in cls.bases if b in classes):
                for info in classes[base]:
                    if info.module == cls.module:
                        continue
                    private = {m for m in cls.methods & info.methods if m[0] == "_" and m[:2] != "__"}
                    where = f"overrides {info.module}.{base}"
                    overrides += [f"{cls.module}.{cls.name}.{m} {where}" for m in private]
    assert overrides == []


def test_a_study_holds_its_item_store_instead_of_being_one() -> None:
    assert not issubclass(nl.Study, Database)
    ours = [c.__qualname__ for c in nl.Study.__mro__ if c.__module__.startswith("neuroloom")]
    assert ours == ["Study", "StudyCore"]
