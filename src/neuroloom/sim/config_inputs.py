"""The ``inputs`` of a simulation config as neuroloom inputs, read as bmtk pointnet reads them.

- ``"input_type": "spikes"`` with ``"module"`` ``h5``/``hdf5``/``sonata``
  (SONATA spike files, new layout ``/spikes/<population>/{node_ids,timestamps}``
  or the old ``/spikes/{gids,timestamps}``), ``csv`` (bmtk's space-separated
  ``timestamps population node_ids``) or ``nwb``
  (``/processing/<trial>/spike_train/<node_id>/data``): the trains of the
  node set's population. A file with one population (or the old layout,
  which has none) feeds whatever node set it is given to, as NEST and bmtk do.
  For NEST and Brian2, times are moved up to the next step of the time grid,
  where NEST's ``spike_generator`` with ``precise_times`` (bmtk's setting)
  delivers them to grid-based neurons; NEURON gets the exact times.
- ``"module": "poisson"`` (``rate`` Hz, optional ``start``/``stop`` ms):
  independent Poisson trains for the node set (a neuroloom extension; bmtk
  writes Poisson trains to a spike file with its ``PoissonSpikeGenerator``).
- ``"module": "IClamp"`` with ``"input_type": "current_clamp"``: ``amp`` (pA, as
  pointnet hands it to NEST's ``step_current_generator``), ``delay`` and
  ``duration`` (ms), scalars or lists of steps; with ``"input_type": "csv"``
  (or ``"file"``): ``file``, a table of ``timestamps`` (ms) and ``amps`` (column
  names ``timestamps_column``/``amplitudes_column``, ``separator``), each
  amplitude held until the next row (the last until ``tstop``); with
  ``"input_type": "nwb"`` (or ``"allen"``): ``file``, an Allen Cell Types NWB
  file, and ``sweep_id`` (``downsample``, ``sweep_window``, ``delay`` as bmtk;
  the file's amperes times 1e9 go to NEST as pA, as pointnet hands them on).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom.errors import SonataFormatError
from neuroloom.sim.inputs import CurrentClamp, Input, PoissonInput, SpikeTrainInput
from neuroloom.sim.sonata_config import ConfigError, SimulationConfig
from neuroloom.sonata.reports import read_spikes

__all__ = ["config_inputs", "node_set_ids", "read_spike_file"]

SPIKE_MODULES = ("h5", "hdf5", "sonata", "csv", "nwb")
_OLD = ""  # the population key of an old-layout file (no population)


def _h5_spikes(path: Path) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    try:
        frame = read_spikes(path)
    except SonataFormatError as exc:
        raise ConfigError(f"{exc}; not a SONATA spike file") from None
    return {
        str(pop): (part["node_id"].to_numpy(np.int64), part["timestamp"].to_numpy(np.float64))
        for pop, part in frame.groupby("population", observed=True)
    }


def _csv_spikes(path: Path) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    frame = pd.read_csv(path, sep=r"\s+|,", engine="python")
    if not {"timestamps", "node_ids"} <= set(frame.columns):
        raise ConfigError(
            f"{path}: a spike CSV needs the columns timestamps and node_ids (got {list(frame.columns)})"
        )
    if "population" not in frame.columns:
        frame["population"] = _OLD
    return {
        str(pop): (part["node_ids"].to_numpy(np.int64), part["timestamps"].to_numpy(np.float64))
        for pop, part in frame.groupby("population", sort=True)
    }


def _nwb_spikes(
    path: Path, trial: str | None
) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    with h5py.File(path, "r") as fh:
        processing = fh.get("processing")
        if not isinstance(processing, h5py.Group) or not len(processing):
            raise ConfigError(f"{path}: no /processing/<trial>/spike_train group (bmtk's NWB spike layout)")
        if trial is None:
            if len(processing) != 1:
                raise ConfigError(f'{path}: several trials {sorted(processing)}; name one with "trial"')
            trial = next(iter(processing))
        if trial not in processing:
            raise ConfigError(f"{path}: no trial {trial!r} (trials: {sorted(processing)})")
        trains = processing[trial]["spike_train"]
        ids, times = [], []
        for key, grp in trains.items():
            data = np.asarray(grp["data"][()], np.float64).reshape(-1)
            ids.append(np.full(data.size, int(key), np.int64))
            times.append(data)
    if not ids:
        return {_OLD: (np.zeros(0, np.int64), np.zeros(0))}
    return {_OLD: (np.concatenate(ids), np.concatenate(times))}


def read_spike_file(
    path: Path, module: str, trial: str | None = None
) -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """``{population: (node_ids, times)}`` of a spike file (``""`` = no population given)."""
    if not path.is_file():
        raise ConfigError(f"spike file {path} not found")
    if module == "csv":
        return _csv_spikes(path)
    if module == "nwb":
        return _nwb_spikes(path, trial)
    return _h5_spikes(path)


def node_set_ids(
    config: SimulationConfig, circuit: Any, node_set: Any, key: str
) -> dict[str, npt.NDArray[np.int64]]:
    """Resolve a node set (name, rule or list) to ``{population: ids}``; populations are node sets too."""
    from neuroloom.sonata import resolve_node_set

    sets: dict[str, Any] = {name: {"population": name} for name in circuit.nodes}
    sets["all"] = sorted(circuit.nodes)  # bmtk's node set of every node (a clamp's default)
    sets.update(circuit.node_sets)
    sets.update(config.node_sets)
    if isinstance(node_set, str) and node_set not in sets:
        raise config.error(key, f"unknown node set {node_set!r} (node sets: {sorted(sets)})")
    try:
        resolved = resolve_node_set(sets, node_set, circuit.nodes)
    except Exception as exc:  # SonataFormatError & co: say where it came from
        raise config.error(key, str(exc)) from exc
    return {pop: np.asarray(ids, np.int64) for pop, ids in resolved.items() if len(ids)}


def _pick(
    trains: Mapping[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]], population: str, where: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    if population in trains:
        return trains[population]
    if len(trains) == 1:
        return next(iter(trains.values()))
    named = sorted(k or "<no population>" for k in trains)
    raise ConfigError(f"{where}: the spike file has populations {named}, none named {population!r}")


def _spike_inputs(
    config: SimulationConfig, circuit: Any, name: str, spec: Mapping[str, Any], grid: bool
) -> list[Input]:
    module = str(spec.get("module", "")).lower()
    targets = node_set_ids(config, circuit, spec.get("node_set"), f"inputs.{name}.node_set")
    if module == "poisson":
        rate = spec.get("rate")
        if rate is None:
            raise config.error(f"inputs.{name}.rate", "a poisson input needs a rate (Hz)")
        return [
            PoissonInput(
                pop,
                rate=float(rate),
                node_ids=ids,
                start=float(spec.get("start", 0.0)),
                stop=None if spec.get("stop") is None else float(spec["stop"]),
            )
            for pop, ids in targets.items()
        ]
    file = spec.get("input_file")
    if not file:
        raise config.error(f"inputs.{name}.input_file", "missing; name the spike file")
    path = Path(str(file))
    if not path.is_file():
        raise config.error(f"inputs.{name}.input_file", f"spike file {path} not found")
    trains = read_spike_file(path, module, spec.get("trial"))
    out: list[Input] = []
    for pop, wanted in targets.items():
        ids, times = _pick(trains, pop, f"{config.path}: inputs.{name} ({path})")
        keep = np.isin(ids, wanted)
        chosen = times[keep]
        if grid:
            chosen = np.maximum(np.ceil(chosen / config.dt - 1e-6), 1.0) * config.dt
        out.append(SpikeTrainInput(pop, node_ids=ids[keep], times=chosen))
    return out


_CLAMP_FILES = ("csv", "file", "nwb", "allen")
_MAX_STEPS = 5000  # steps of a clamp waveform read from a file (one current source each)


def _csv_steps(config: SimulationConfig, name: str, spec: Mapping[str, Any], path: Path) -> tuple[Any, Any]:
    """bmtk's current-clamp CSV: rows of ``timestamps`` (ms) and ``amps``, each held until the next row."""
    sep = str(spec.get("separator", " "))
    columns = (str(spec.get("timestamps_column", "timestamps")), str(spec.get("amplitudes_column", "amps")))
    try:
        frame = pd.read_csv(path, sep=r"\s+" if sep == " " else sep, engine="python")
    except (ValueError, OSError) as exc:
        raise config.error(f"inputs.{name}.file", f"{path} is not a readable CSV file ({exc})") from None
    for key, column in zip(("timestamps_column", "amplitudes_column"), columns):
        if column not in frame.columns:
            raise config.error(
                f"inputs.{name}.file",
                f"{path} has no column {column!r} (columns: {list(frame.columns)}); name it with {key!r}",
            )
    if len(frame) < 2:
        raise config.error(f"inputs.{name}.file", f"{path} must hold two or more rows (time, amplitude)")
    return frame[columns[0]].to_numpy(np.float64), frame[columns[1]].to_numpy(np.float64)


def _nwb_steps(config: SimulationConfig, name: str, spec: Mapping[str, Any], path: Path) -> tuple[Any, Any]:
    """A sweep of an Allen Cell Types NWB file: ``epochs/Sweep_<id>/stimulus/timeseries``."""
    if "sweep_id" not in spec:
        raise config.error(f"inputs.{name}.sweep_id", "missing; name the sweep of the NWB file")
    sweep = str(spec["sweep_id"])
    sweep = f"Sweep_{int(float(sweep))}" if sweep.replace(".", "", 1).isdigit() else sweep
    try:
        with h5py.File(path, "r") as fh:
            group = fh.get(f"epochs/{sweep}/stimulus/timeseries")
            if not isinstance(group, h5py.Group) or "data" not in group or "starting_time" not in group:
                raise config.error(
                    f"inputs.{name}.sweep_id", f"{path} has no epochs/{sweep}/stimulus/timeseries with data"
                )
            step = 1000.0 / float(group["starting_time"].attrs["rate"])
            amps = np.asarray(group["data"][()], np.float64).reshape(-1) * 1.0e9
    except OSError as exc:
        raise config.error(f"inputs.{name}.file", f"{path} is not an HDF5 (NWB 1) file ({exc})") from None
    times = np.arange(amps.size) * step
    down = spec.get("downsample")
    if down is not None and float(down) > step:
        stride = int(np.round(float(down) / step))
        times, amps = times[::stride], amps[::stride]
    window = spec.get("sweep_window")
    if window is not None:
        if len(window) != 2 or not 0 <= float(window[0]) < float(window[1]):
            raise config.error(
                f"inputs.{name}.sweep_window", "must be [start, stop] ms with 0 <= start < stop"
            )
        keep = (times >= float(window[0])) & (times <= float(window[1]))
        times, amps = times[keep], amps[keep]
    return times + float(spec.get("delay", 0.0)), amps


def _file_clamps(config: SimulationConfig, name: str, spec: Mapping[str, Any], kind: str) -> Any:
    """(amps, delays, durations) of a clamp waveform in a file: each value held until the next one."""
    file = spec.get("file", spec.get("input_file"))
    if not file:
        raise config.error(
            f"inputs.{name}.file", f"missing; a current clamp of input_type {kind!r} reads a file"
        )
    path = Path(str(file))
    if not path.is_absolute():
        path = config.path.parent / path  # bmtk takes it from the working directory: the config's folder
    if not path.is_file():
        raise config.error(f"inputs.{name}.file", f"current-clamp file {path} not found")
    times, amps = (_csv_steps if kind in ("csv", "file") else _nwb_steps)(config, name, spec, path)
    order = np.argsort(times, kind="stable")
    times, amps = times[order], amps[order]
    ends = np.append(times[1:], max(config.tstop, float(times[-1])))
    change = np.flatnonzero(np.append(True, amps[1:] != amps[:-1]))  # merge runs of equal amplitude
    stops = np.append(change[1:], times.size) - 1
    times, amps, ends = times[change], amps[change], ends[stops]
    on = amps != 0
    if int(on.sum()) > _MAX_STEPS:
        raise config.error(
            f"inputs.{name}",
            f"{path} gives {int(on.sum())} current steps; neuroloom takes at most {_MAX_STEPS} "
            '(downsample the waveform, e.g. with "downsample" for an NWB sweep)',
        )
    return amps[on], times[on], (ends - times)[on]


def _virtual(circuit: Any, population: str) -> bool:
    nodes = circuit.nodes[population]
    if nodes.type == "virtual":
        return True
    if "model_type" not in nodes.property_names:
        return False
    return bool(np.all(nodes.get(None, ["model_type"])["model_type"].to_numpy() == "virtual"))


def _clamp_inputs(config: SimulationConfig, circuit: Any, name: str, spec: Mapping[str, Any]) -> list[Input]:
    targets = node_set_ids(config, circuit, spec.get("node_set", "all"), f"inputs.{name}.node_set")
    if spec.get("node_set", "all") == "all" and "all" not in config.node_sets:
        targets = {pop: ids for pop, ids in targets.items() if not _virtual(circuit, pop)}
    kind = str(spec.get("input_type", "current_clamp")).lower()
    if kind in _CLAMP_FILES:
        amps, delays, durations = _file_clamps(config, name, spec, kind)
    elif kind in ("current_clamp", ""):
        amps = np.atleast_1d(np.asarray(spec.get("amp", 0.0), np.float64))
        delays = np.atleast_1d(np.asarray(spec.get("delay", 0.0), np.float64))
        durations = np.atleast_1d(np.asarray(spec.get("duration", config.tstop), np.float64))
    else:
        raise config.error(
            f"inputs.{name}.input_type",
            f"unknown current-clamp input_type {kind!r}; use current_clamp (amp, delay, duration), "
            "csv (file of timestamps and amps) or nwb (file, sweep_id)",
        )
    if not amps.size == delays.size == durations.size:
        raise config.error(f"inputs.{name}", "amp, delay and duration must have the same number of steps")
    return [
        CurrentClamp(pop, amplitude=float(a) / 1000.0, delay=float(d), duration=float(t), node_ids=ids)
        for pop, ids in targets.items()
        for a, d, t in zip(amps, delays, durations)
    ]


def config_inputs(config: SimulationConfig, circuit: Any, *, grid: bool = True) -> list[Input]:
    """Every enabled input of ``config`` as neuroloom inputs.

    ``grid``: move spike times up onto the time grid (NEST, Brian2); NEURON
    delivers events at their exact times, as bmtk's bionet does.
    """
    out: list[Input] = []
    for name, spec in config.inputs.items():
        if not isinstance(spec, Mapping):
            raise config.error(f"inputs.{name}", "must be a JSON object")
        if not spec.get("enabled", True):
            continue
        module = str(spec.get("module", "")).lower()
        kind = str(spec.get("input_type", "")).lower()
        if module in SPIKE_MODULES or module == "poisson":
            out += _spike_inputs(config, circuit, name, spec, grid)
        elif module == "iclamp" or kind == "current_clamp":
            out += _clamp_inputs(config, circuit, name, spec)
        elif module in _BMTK_ONLY:
            raise config.error(f"inputs.{name}.module", f"{spec.get('module')!r}: {_BMTK_ONLY[module]}")
        else:
            raise config.error(
                f"inputs.{name}.module",
                f"unknown module {spec.get('module')!r} (input_type {spec.get('input_type')!r}); "
                f"use one of {list(SPIKE_MODULES)}, poisson or IClamp",
            )
    return out


_BMTK_ONLY = {  # bmtk pointnet inputs neuroloom does not read, and what to give instead
    "ecephys_probe": "bmtk's sampling of Allen Neuropixels (NWB) units is not read by neuroloom; "
    "write the trains bmtk samples to a SONATA spike file and give it with module sonata",
    "function": "a bmtk Python spike-train function cannot be called by neuroloom; write its trains "
    "to a SONATA spike file and give it with module sonata",
}
