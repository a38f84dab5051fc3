"""Node sets: named selections of nodes, basic (property rules) or compound (unions).

A basic set is ``{"ei": "e", "population": "v1"}`` (all rules must hold;
list values mean "any of"; ``node_id`` selects ids); a compound set is a list
of other set names and selects their union.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import SonataFormatError


class _Population(Protocol):
    name: str

    def ids(self, query: Any = None) -> np.ndarray: ...


def read_node_sets(path: str | Path) -> dict[str, Any]:
    """Read a node sets JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SonataFormatError(f"{path}: node sets file not found") from None
    except json.JSONDecodeError as exc:
        raise SonataFormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SonataFormatError(f"{path}: node sets must be a JSON object of name -> rule")
    for name, rule in data.items():
        if not isinstance(rule, (dict, list)):
            raise SonataFormatError(f"{path}: node set {name!r} must be an object or a list of names")
    return data


def write_node_sets(path: str | Path, node_sets: Mapping[str, Any]) -> Path:
    """Write a node sets JSON file atomically."""
    path = Path(path)
    write_bytes(path, json.dumps(dict(node_sets), indent=2, default=_jsonable).encode())
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def resolve_node_set(
    node_sets: Mapping[str, Any],
    name_or_rule: str | Mapping[str, Any] | list,
    populations: Mapping[str, _Population],
    _seen: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """Resolve a node set (by name or as a rule) to ``{population: sorted ids}``."""
    if isinstance(name_or_rule, str):
        if name_or_rule in _seen:
            raise SonataFormatError(f"node set {name_or_rule!r} refers to itself ({' -> '.join(_seen)})")
        if name_or_rule not in node_sets:
            raise SonataFormatError(f"unknown node set {name_or_rule!r} (known: {sorted(node_sets)})")
        return resolve_node_set(node_sets, node_sets[name_or_rule], populations, (*_seen, name_or_rule))
    if isinstance(name_or_rule, list):
        out: dict[str, np.ndarray] = {}
        for part in name_or_rule:
            for pop, ids in resolve_node_set(node_sets, part, populations, _seen).items():
                out[pop] = np.union1d(out.get(pop, np.zeros(0, np.int64)), ids)
        return out
    rule = dict(name_or_rule)
    wanted = rule.pop("population", None)
    names = (
        [wanted] if isinstance(wanted, str) else (list(wanted) if wanted is not None else list(populations))
    )
    result: dict[str, np.ndarray] = {}
    for pop_name in names:
        if pop_name not in populations:
            raise SonataFormatError(f"node set names unknown population {pop_name!r}")
        population = populations[pop_name]
        chosen = rule
        if "node_ids" in rule and "node_ids" not in getattr(population, "property_names", ()):
            # bmtk's spelling (its configs write both): the ids, as "node_id"
            chosen = {("node_id" if k == "node_ids" else k): v for k, v in rule.items()}
        try:
            result[pop_name] = np.sort(population.ids(chosen))
        except SonataFormatError:
            if wanted is not None:
                raise
            result[pop_name] = np.zeros(0, dtype=np.int64)  # property absent: no match there
    return result
