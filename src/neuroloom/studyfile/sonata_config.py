"""Studies over a SONATA simulation config: ``[network] simulation_config`` + ``[simulation_config]``.

Each run applies its overrides (dotted paths, references already resolved)
to the config:

- ``run.<key>``, ``conditions.<key>``, ``inputs.<input>.<key>``: values of the
  simulation config itself (:func:`apply_config_overrides`), written with
  absolute paths into a per-run copy (:func:`write_run_config`);
- ``node_types.<population>.<param>`` and ``edge_types.<edge population>.<syn_weight | delay>``:
  dynamics values of the loaded point network (:func:`apply_dynamics_overrides`).

The simulation itself is a *config runner*: a function
``(config path, overrides, simulator) -> SimulationResult``
(:data:`ConfigRunner`); :func:`simulate_config` is the one the study job uses.
"""

from __future__ import annotations

import copy
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import StudyFileError

__all__ = [
    "ConfigRunner",
    "apply_config_overrides",
    "apply_dynamics_overrides",
    "config_runner",
    "simulate_config",
    "split_overrides",
    "write_run_config",
]

ConfigRunner = Callable[[Path, Mapping[str, Any], "str | None"], Any]
DYNAMICS = ("node_types", "edge_types")


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(config overrides, dynamics overrides)`` of one run."""
    config = {k: v for k, v in overrides.items() if k.split(".")[0] not in DYNAMICS}
    dynamics = {k: v for k, v in overrides.items() if k.split(".")[0] in DYNAMICS}
    return config, dynamics


def apply_config_overrides(
    config: Mapping[str, Any], overrides: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """A copy of a simulation config (as read) with ``run.*``, ``conditions.*`` and ``inputs.*`` set.

    An input must exist in the config (a misspelt name must not add a new, empty input).
    """
    out = copy.deepcopy(dict(config))
    for path, value in overrides.items():
        parts = path.split(".")
        root = parts[0]
        if root == "inputs":
            inputs = out.get("inputs") or {}
            if len(parts) != 3 or parts[1] not in inputs:
                raise StudyFileError(
                    f"{where} {path}: give inputs.<input>.<key> with an input of the config "
                    f"(inputs: {sorted(inputs)})"
                )
            inputs[parts[1]][parts[2]] = value
        elif root in ("run", "conditions") and len(parts) == 2:
            out.setdefault(root, {})[parts[1]] = value
        else:
            raise StudyFileError(f"{where} {path}: give run.<key>, conditions.<key> or inputs.<input>.<key>")
    return out


def _node_override(network: Any, parts: list[str], value: Any, where: str) -> None:
    pop = network.populations.get(parts[1])
    if pop is None or pop.virtual or pop.model is None:
        neurons = sorted(p.name for p in network.neurons)
        raise StudyFileError(
            f"{where} node_types.{parts[1]}: no population of neurons {parts[1]!r} ({neurons})"
        )
    if parts[2] not in pop.model.defaults:
        raise StudyFileError(
            f"{where} node_types.{parts[1]}.{parts[2]}: not a parameter of {pop.model.name} "
            f"(parameters: {sorted(pop.model.defaults)})"
        )
    pop.params = {**pop.params, parts[2]: np.full(pop.size, float(value))}


def apply_dynamics_overrides(network: Any, overrides: Mapping[str, Any], where: str) -> Any:
    """A copy of a :class:`~neuroloom.sim.point.PointNetwork` with node and edge dynamics values set.

    ``node_types.<population>.<param>`` sets a model parameter of every node of the
    population; ``edge_types.<edge population>.syn_weight`` / ``.delay`` every edge's.
    """
    from neuroloom.sim.point import PointNetwork

    populations = {name: replace(pop) for name, pop in network.populations.items()}
    projections = {p.name: p for p in network.projections}
    result = PointNetwork(populations, list(projections.values()))
    for path, value in overrides.items():
        parts = path.split(".")
        if len(parts) != 3:
            raise StudyFileError(f"{where} {path}: give {parts[0]}.<population>.<name>")
        if parts[0] == "node_types":
            _node_override(result, parts, value, where)
            continue
        proj = projections.get(parts[1])
        fields = {"syn_weight": "weights", "delay": "delays"}
        if proj is None or parts[2] not in fields:
            raise StudyFileError(
                f"{where} {path}: give edge_types.<edge population>.syn_weight or .delay "
                f"(edge populations: {sorted(projections)})"
            )
        array = np.full(len(proj.source_ids), float(value))
        projections[parts[1]] = replace(proj, **{fields[parts[2]]: array})
    result.projections = list(projections.values())
    return result


def write_run_config(path: Path, overrides: Mapping[str, Any], folder: Path) -> Path:
    """Write the config at ``path`` with a run's config overrides (absolute paths) into ``folder``."""
    from neuroloom.sonata.config import read_simulation_config

    config = read_simulation_config(path)
    config.pop("_path", None)
    config = apply_config_overrides(config, overrides, f"{path}: [simulation_config]")
    out = folder / "simulation_config.json"
    write_bytes(out, json.dumps(config, indent=2, default=str).encode())
    return out


def config_runner() -> Callable[..., Any] | None:
    """``neuroloom.sim.run_config`` when this neuroloom has it (None otherwise)."""
    return getattr(importlib.import_module("neuroloom.sim"), "run_config", None)


def simulate_config(path: Path, overrides: Mapping[str, Any], simulator: str | None, *, folder: Path) -> Any:
    """The :data:`ConfigRunner` of study jobs: simulate a run of a simulation-config study.

    ``folder`` receives the run's config copy.
    """
    run_config = config_runner()
    where = f"{path}: [simulation_config]"
    if run_config is None:
        raise StudyFileError(
            f"{where}: studies over a simulation config need neuroloom.sim.run_config, which this version "
            "does not have"
        )
    config, dynamics = split_overrides(overrides)
    if dynamics:
        # TODO(sim): node_types/edge_types overrides need run_config to accept a (modified) PointNetwork;
        # apply_dynamics_overrides does the modification.
        raise StudyFileError(
            f"{where} {sorted(dynamics)}: node and edge dynamics overrides need neuroloom.sim.run_config to "
            "take a network, which this version does not"
        )
    return run_config(write_run_config(path, config, folder), simulator, write=False).result
