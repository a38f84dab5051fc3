"""neuroloom: from a network to the answer of a simulation study.

Public names are re-exported here lazily: ``import neuroloom`` stays cheap and
each name is imported from its layer on first use. To publish a name, add it
to ``_EXPORTS`` (name -> module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from neuroloom._version import __version__
from neuroloom.errors import NeuroloomError

_EXPORTS: dict[str, str] = {
    "Database": "neuroloom.store.database",
    "resolve": "neuroloom.store.uri",
    "Study": "neuroloom.datastore.study",
    "grid": "neuroloom.params.explore",
    "zip_": "neuroloom.params.explore",
    "random": "neuroloom.params.explore",
    "points": "neuroloom.params.explore",
    "merge": "neuroloom.datastore.merge",
    "load_params": "neuroloom.params.tree",
    "Network": "neuroloom.network.builder",
    "Circuit": "neuroloom.sonata.circuit",
    "View": "neuroloom.datastore.view",
}

if TYPE_CHECKING:  # pragma: no cover
    from neuroloom.datastore.merge import merge
    from neuroloom.datastore.study import Study
    from neuroloom.datastore.view import View
    from neuroloom.network.builder import Network
    from neuroloom.params.explore import grid, points, random, zip_
    from neuroloom.params.tree import load_params
    from neuroloom.sonata.circuit import Circuit
    from neuroloom.store.database import Database
    from neuroloom.store.uri import resolve


_SUBPACKAGES = frozenset({"isf", "pypet"})
"""Subpackages reachable as attributes (``nl.isf.open``), imported on first use."""


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"neuroloom.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuroloom' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS, *_SUBPACKAGES])


__all__ = [
    "Circuit",
    "Database",
    "Network",
    "NeuroloomError",
    "Study",
    "View",
    "__version__",
    "grid",
    "load_params",
    "merge",
    "points",
    "random",
    "resolve",
    "zip_",
]
