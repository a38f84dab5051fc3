"""The import-linter layers contract names every package and top-level module.

A package the contract does not name is unconstrained: ``lint-imports`` would
pass whatever it imports. This test keeps the contract in ``pyproject.toml``
complete as packages are added.
"""

from __future__ import annotations

from pathlib import Path

import neuroloom
from neuroloom._io.config import read_config

PACKAGE = Path(neuroloom.__file__).parent
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def layer_names(layers: list[str]) -> list[str]:
    """Every name of a layers list: ``"a | (b)"`` holds ``a`` and ``b``."""
    return [name.strip("() ") for layer in layers for name in layer.split("|")]


def package_parts(root: Path) -> set[str]:
    """The subpackages and top-level modules of ``root`` (``__init__`` excluded)."""
    parts = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    parts |= {p.stem for p in root.glob("*.py") if p.stem != "__init__"}
    return parts


def test_layer_names_split_siblings_and_optional_layers() -> None:
    names = layer_names(["cli | testing", "(isf) | (pypet)", "errors"])
    assert names == ["cli", "testing", "isf", "pypet", "errors"]


def test_every_package_is_in_the_layers_contract() -> None:
    config = read_config(PYPROJECT)
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = [c for c in contracts if c["type"] == "layers" and c.get("containers") == ["neuroloom"]]
    assert len(layered) == 1, "one layers contract over the neuroloom package"
    names = layer_names(layered[0]["layers"])
    assert len(names) == len(set(names)), f"a name stands twice in the layers: {names}"
    missing = package_parts(PACKAGE) - set(names)
    assert not missing, f"outside the layers contract (add them to pyproject.toml): {sorted(missing)}"
    assert not layered[0].get("ignore_imports"), "the layers contract has no exceptions"
