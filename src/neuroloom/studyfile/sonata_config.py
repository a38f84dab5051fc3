"""Studies over a SONATA simulation config: ``[network] simulation_config`` + ``[simulation_config]``.

Each run applies its overrides (dotted paths, references already resolved)
to the config:

- ``run.<key>``, ``conditions.<key>``, ``inputs.<input>.<key>``: values of the
  simulation config itself (:func:`apply_config_overrides`), written with
  absolute paths into a per-run copy (:func:`write_run_config`);
- ``node_types.<population>.<param>`` and ``edge_types.<edge population>.<syn_weight | delay>``:
  dynamics values of the loaded point network (:func:`apply_dynamics_overrides`).

:func:`simulate_config` runs one study run with :func:`neuroloom.sim.run_config`:
outputs in the run's folder, spikes recorded as the run's recordings.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom._io.atomic import write_bytes
from neuroloom.errors import StudyFileError

__all__ = [
    "apply_config_overrides",
    "apply_dynamics_overrides",
    "check_overrides",
    "simulate_config",
    "split_overrides",
    "write_run_config",
]

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
    result = PointNetwork(populations, list(projections.values()), list(network.warnings))
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


def check_overrides(path: Path, overrides: Mapping[str, Any], network: Any, where: str) -> None:
    """Fail before any run when an override names no input, population or parameter of the config."""
    from neuroloom.sonata.config import read_simulation_config

    config, dynamics = split_overrides(overrides)
    apply_config_overrides(read_simulation_config(path), config, where)
    apply_dynamics_overrides(network, dynamics, where)


def config_simulator(path: Path, simulator: str | None) -> str:
    """The simulator of a study's runs of the config at ``path`` (its ``target_simulator`` by default)."""
    from neuroloom.sim.config_run import choose_simulator
    from neuroloom.sim.sonata_config import read_simulation_config

    return choose_simulator(read_simulation_config(path), simulator)


def _moved(value: Any, old: Path, new: Path) -> str:
    path = Path(str(value))
    return str(new / (path.relative_to(old) if path.is_relative_to(old) else path.name))


def _move_outputs(config: dict[str, Any], output_dir: Path) -> None:
    """Every output of ``config`` (read, so paths are absolute) into ``output_dir``, overwritten."""
    output = dict(config.get("output") or {})
    old = Path(str(output.get("output_dir", output_dir)))
    for key in ("spikes_file", "log_file"):
        if output.get(key):
            output[key] = _moved(output[key], old, output_dir)
    output["output_dir"] = str(output_dir)
    config["output"] = output
    for report in (config.get("reports") or {}).values():
        if isinstance(report, dict) and report.get("file_name"):
            report["file_name"] = _moved(report["file_name"], old, output_dir)
    config["run"] = {**(config.get("run") or {}), "overwrite_output_dir": True}


def write_run_config(
    path: Path, overrides: Mapping[str, Any], folder: Path, *, output_dir: Path | None = None
) -> Path:
    """Write the config at ``path`` with a run's config overrides (absolute paths) into ``folder``.

    ``output_dir``: where the run's outputs go instead of the config's
    ``output.output_dir`` (and outputs there are overwritten).
    """
    from neuroloom.sonata.config import read_simulation_config

    config = read_simulation_config(path)
    config.pop("_path", None)
    if "network" not in config and "networks" not in config:  # bmtk: the circuit config alongside
        from neuroloom.sim.sonata_config import read_simulation_config as read_for_run

        config["network"] = str(read_for_run(path).circuit_path)
    config = apply_config_overrides(config, overrides, f"{path}: [simulation_config]")
    if output_dir is not None:
        _move_outputs(config, output_dir)
    out = folder / "simulation_config.json"
    write_bytes(out, json.dumps(config, indent=2, default=str).encode())
    return out


def simulate_config(
    path: Path,
    overrides: Mapping[str, Any],
    simulator: str | None,
    *,
    folder: Path,
    seed: int | None = None,
) -> Any:
    """Simulate one run of a simulation-config study with :func:`neuroloom.sim.run_config`.

    ``folder`` (the run's folder) receives the run's config copy
    (``simulation_config.json``) and its outputs (``output/``: spikes,
    reports, log, as the config names them). Node and edge dynamics
    overrides are applied to the loaded network. Returns the
    :class:`~neuroloom.sim.ConfigRun`.
    """
    from neuroloom.sim import run_config

    config, dynamics = split_overrides(overrides)
    copy_path = write_run_config(path, config, folder, output_dir=folder / "output")
    where = f"{path}: [simulation_config]"

    def adjust(network: Any) -> Any:
        return apply_dynamics_overrides(network, dynamics, where)

    return run_config(copy_path, simulator, seed=seed, adjust=adjust if dynamics else None)
