"""Reading a SONATA ``simulation_config.json`` as bmtk pointnet reads it.

:func:`read_simulation_config` returns a :class:`SimulationConfig`:

- the manifest expanded (``$VAR`` and ``${configdir}``; relative paths taken
  from the config's folder);
- the circuit: ``network`` (a circuit config file) or inline ``networks``
  (the simulation config is its own circuit config); a bmtk ``config.json``
  that only names ``{"network": ..., "simulation": ...}`` is followed;
- ``run`` (``tstop`` or ``duration``, ``dt``), ``target_simulator``,
  ``conditions``, ``node_sets_file`` plus inline ``node_sets``, ``inputs``,
  ``output`` and ``reports`` as given.

This is the simulator's own small reader, kept here until the SONATA
package's config reader covers simulation configs (manifest expansion of
every key, composite ``config.json``); then it folds into
:mod:`neuroloom.sonata.config`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuroloom.errors import SimulationError, SonataFormatError
from neuroloom.sonata.config import SIM_PATH_KEYS, load_config
from neuroloom.sonata.node_sets import read_node_sets

__all__ = ["SimulationConfig", "is_simulation_config", "read_simulation_config"]

#: paths of a simulation config (SONATA's and bmtk's: ``simulation``/``file`` of config.json)
_PATH_KEYS = (*SIM_PATH_KEYS, "simulation", "file", "mechanisms_dir", "biophysical_neuron_models_dir")


class ConfigError(SimulationError, ValueError):
    """A simulation config that cannot be run as written (names the file and key)."""


@dataclass
class SimulationConfig:
    """A simulation config with its paths resolved."""

    path: Path
    raw: dict[str, Any]
    circuit_path: Path
    tstop: float
    dt: float
    target_simulator: str | None
    node_sets: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    components: dict[str, Any] = field(default_factory=dict)
    overwrite: bool = True

    def error(self, key: str, message: str) -> ConfigError:
        """A :class:`ConfigError` naming this file and ``key``."""
        return ConfigError(f"{self.path}: {key}: {message}")


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {what} must be a JSON object")
    return data


def is_simulation_config(path: str | Path) -> bool:
    """True if ``path`` is a JSON object with ``run``, ``network`` or ``networks`` at its top."""
    path = Path(path)
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, OSError):
        return False
    return isinstance(data, dict) and bool({"run", "network", "networks", "simulation"} & set(data))


def _read_expanded(path: Path) -> dict[str, Any]:
    try:
        return load_config(path, "simulation config", _PATH_KEYS)
    except SonataFormatError as exc:
        raise ConfigError(str(exc)) from None


def _composite(path: Path, data: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """bmtk's ``config.json``: ``{"network": circuit config, "simulation": simulation config}``."""
    sim_path = Path(str(data["simulation"]))
    if not sim_path.is_file():
        raise ConfigError(f"{path}: simulation: file {sim_path} not found")
    sim = _read_expanded(sim_path)
    if "network" not in sim and "networks" not in sim and "network" in data:
        sim["network"] = data["network"]
    return sim_path, sim


def _run_times(path: Path, data: Mapping[str, Any]) -> tuple[float, float]:
    run = data.get("run")
    if not isinstance(run, Mapping):
        raise ConfigError(f"{path}: run: missing; give run.tstop and run.dt (ms)")
    tstop = run.get("duration", run.get("tstop"))
    dt = run.get("dt", 0.1)
    try:
        tstop_f, dt_f = float(tstop), float(dt)
    except (TypeError, ValueError):
        raise ConfigError(f"{path}: run.tstop: must be a number of ms, got {tstop!r}") from None
    if not tstop_f > 0:
        raise ConfigError(f"{path}: run.tstop: must be > 0 ms, got {tstop_f}")
    if not dt_f > 0:
        raise ConfigError(f"{path}: run.dt: must be > 0 ms, got {dt_f}")
    return tstop_f, dt_f


def _circuit_path(path: Path, data: Mapping[str, Any]) -> Path:
    if "networks" in data:
        return path
    network = data.get("network")
    sibling = path.parent / "circuit_config.json"
    if not network and sibling.is_file():
        return sibling  # bmtk users pair the two files in config.json; the circuit config sits alongside
    if not network:
        raise ConfigError(
            f'{path}: network: missing; name the circuit config ("network": "circuit_config.json") '
            'or give "networks" inline'
        )
    circuit = Path(str(network))
    if not circuit.is_file():
        raise ConfigError(f"{path}: network: circuit config {circuit} not found")
    return circuit


def _node_sets(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    sets: dict[str, Any] = {}
    file = data.get("node_sets_file")
    if file:
        try:
            sets.update(read_node_sets(Path(str(file))))
        except SonataFormatError as exc:
            raise ConfigError(f"{path}: node_sets_file: {exc}") from None
    inline = data.get("node_sets") or {}
    if not isinstance(inline, Mapping):
        raise ConfigError(f"{path}: node_sets: must be an object of name -> rule")
    sets.update(inline)
    return sets


def read_simulation_config(path: str | Path) -> SimulationConfig:
    """Read a SONATA simulation config (or bmtk's composite ``config.json``)."""
    path = Path(path).resolve()
    data = _read_expanded(path)
    if "simulation" in data and "run" not in data:
        path, data = _composite(path, data)
    tstop, dt = _run_times(path, data)
    target = data.get("target_simulator")
    sections: dict[str, dict[str, Any]] = {}
    for key in ("inputs", "output", "reports", "conditions", "components"):
        value = data.get(key) or {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: {key}: must be a JSON object")
        sections[key] = dict(value)
    run = data["run"]
    return SimulationConfig(
        path=path,
        raw=data,
        circuit_path=_circuit_path(path, data),
        tstop=tstop,
        dt=dt,
        target_simulator=str(target) if target else None,
        node_sets=_node_sets(path, data),
        inputs=sections["inputs"],
        output=sections["output"],
        reports=sections["reports"],
        conditions=sections["conditions"],
        components=sections["components"],
        overwrite=bool(run.get("overwrite_output_dir", True)),
    )
