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
}

if TYPE_CHECKING:  # pragma: no cover
    from neuroloom.store.database import Database
    from neuroloom.store.uri import resolve


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuroloom' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["Database", "NeuroloomError", "__version__", "resolve"]
