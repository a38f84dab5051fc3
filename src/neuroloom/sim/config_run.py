"""``run_config(path, simulator=None)``: run a SONATA simulation config as bmtk pointnet does.

The circuit, node sets and inputs come from the config (see
:mod:`neuroloom.sim.sonata_config` and :mod:`neuroloom.sim.config_inputs`);
the simulator is ``simulator`` or the config's ``target_simulator`` (NEST ->
``nest``, NEURON -> ``neuron``; ``brian2`` on request). Outputs go to
``output.output_dir`` (or ``output_dir=``):

- ``spikes_file`` (default ``spikes.h5``): a SONATA spike report of every
  simulated (non-virtual) population, sorted as ``spikes_sort_order`` says
  (``time``, ``id``/``node_id``/``gid`` or ``none``); ``spikes_file_csv`` if
  given, in bmtk's CSV layout;
- one SONATA frame report per ``reports`` entry with module
  ``membrane_report`` or ``multimeter_report`` (``variable_name`` in NEST's
  names, ``V_m`` for the membrane potential), file ``file_name`` or
  ``<report name>.h5``;
- bmtk's ``weight_recorder`` reports are not written (a warning says so);
- ``log_file`` (if named): the warnings of the run (e.g. edges that got the
  default delay) and a summary per population.

``run.overwrite_output_dir`` false refuses to replace existing outputs.
``conditions`` (celsius, v_init) do not apply to point neurons, as in pointnet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom._io.atomic import write_bytes
from neuroloom.sim.config_inputs import config_inputs, node_set_ids
from neuroloom.sim.inputs import CurrentClamp
from neuroloom.sim.point import NEST_ALIASES, PointNetwork, load_point_network
from neuroloom.sim.result import SimulationResult
from neuroloom.sim.sonata_config import ConfigError, SimulationConfig, read_simulation_config

__all__ = ["SIMULATORS", "ConfigRun", "choose_simulator", "run_config"]

SIMULATORS = ("nest", "brian2", "neuron")
_TARGETS = {"nest": "nest", "pointnet": "nest", "neuron": "neuron", "bionet": "neuron", "brian2": "brian2"}
_SORTING = {
    "time": "by_time",
    "by_time": "by_time",
    "id": "by_id",
    "node_id": "by_id",
    "gid": "by_id",
    "by_id": "by_id",
    "none": "none",
    "unsorted": "none",
}


@dataclass
class ConfigRun:
    """The result of :func:`run_config`: the simulation, where its files went, and its warnings."""

    config: SimulationConfig
    simulator: str
    result: SimulationResult
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    neurons: list[str] = field(default_factory=list)  # the simulated (non-virtual) populations


def choose_simulator(config: SimulationConfig, simulator: str | None = None) -> str:
    """The simulator that runs ``config``: ``simulator`` if given, else its ``target_simulator``."""
    if simulator is not None:
        name = simulator.lower()
        if name not in SIMULATORS:
            raise ConfigError(f"simulator {simulator!r} is not one of {list(SIMULATORS)}")
        return name
    target = (config.target_simulator or "NEST").lower()
    if target not in _TARGETS:
        raise config.error(
            "target_simulator", f"unknown simulator {config.target_simulator!r}; use NEST or NEURON"
        )
    return _TARGETS[target]


def _circuit(config: SimulationConfig) -> Any:
    from neuroloom.sonata import Circuit

    circuit = Circuit(config.circuit_path)
    components = dict(circuit.config.get("components") or {})
    for key, value in config.components.items():
        components.setdefault(key, value)
    circuit.config["components"] = components
    return circuit


def _record(config: SimulationConfig, circuit: Any, net: PointNetwork) -> dict[str, dict[str, Any]]:
    """``reports`` -> ``{population: {variable: ids}}`` (membrane / multimeter reports)."""
    spec: dict[str, dict[str, Any]] = {}
    for name, report in _frame_reports(config).items():
        variable = str(report.get("variable_name", "V_m"))
        for pop, ids in node_set_ids(
            config, circuit, report.get("cells", "all"), f"reports.{name}.cells"
        ).items():
            if net.populations[pop].model is None:
                continue  # virtual nodes have no membrane
            spec.setdefault(pop, {})[variable] = ids  # NEST names become ours in record_spec
    return spec


_SKIPPED_REPORTS = ("weight_recorder",)  # bmtk pointnet's; neuroloom runs without writing them


def _skipped_reports(config: SimulationConfig) -> list[str]:
    """Warnings for the enabled reports neuroloom does not write (the run goes on without them)."""
    return [
        f"{config.path}: reports.{name}: module {report.get('module')!r} (bmtk's NEST weight recorder) is "
        "not written by neuroloom; the run goes on without it"
        for name, report in config.reports.items()
        if isinstance(report, Mapping)
        and report.get("enabled", True)
        and report.get("module") in _SKIPPED_REPORTS
    ]


def _early_clamps(config: SimulationConfig, inputs: list[Any]) -> list[str]:
    """A warning for clamp steps from t <= dt: neuroloom applies them, bmtk pointnet drops them."""
    early = sorted({i.population for i in inputs if isinstance(i, CurrentClamp) and i.delay <= config.dt})
    if not early:
        return []
    return [
        f"{config.path}: inputs: current-clamp steps on {early} start at t <= dt ({config.dt} ms); "
        "neuroloom applies them from the first step, bmtk pointnet skips them (give a delay > dt for "
        "the same run in both)"
    ]


def _frame_reports(config: SimulationConfig) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for name, report in config.reports.items():
        if not isinstance(report, Mapping) or not report.get("enabled", True):
            continue
        module = str(report.get("module", ""))
        if module in ("membrane_report", "multimeter_report"):
            out[name] = report
        elif module not in ("spikes_report", *_SKIPPED_REPORTS):
            raise config.error(
                f"reports.{name}.module",
                f"unknown report module {module!r}; use membrane_report or multimeter_report",
            )
    return out


def _output_dir(config: SimulationConfig, output_dir: str | Path | None) -> Path:
    if output_dir is not None:  # the caller's path: relative to the working directory
        folder = Path(output_dir).resolve()
    else:  # the config's own: relative to the config's folder
        folder = Path(str(config.output.get("output_dir", "output")))
        if not folder.is_absolute():
            folder = config.path.parent / folder
    spikes = folder / str(config.output.get("spikes_file", "spikes.h5"))
    if spikes.exists() and not config.overwrite:
        raise config.error(
            "run.overwrite_output_dir", f"is false and {spikes} exists; remove it or allow overwriting"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _simulate(
    simulator: str,
    net: PointNetwork,
    config: SimulationConfig,
    inputs: list[Any],
    record: Mapping[str, Any],
    target: str,
    seed: int | None,
) -> SimulationResult:
    common: dict[str, Any] = {"network": net, "dt": config.dt, "seed": seed}
    if simulator == "nest":
        from neuroloom.sim.nest import simulate as nest_simulate

        return nest_simulate(None, inputs, config.tstop, record=record, **common)
    if simulator == "brian2":
        from neuroloom.sim.brian2 import simulate as brian2_simulate

        return brian2_simulate(None, inputs, config.tstop, record=record, target=target, **common)
    from neuroloom.sim.neuron.network import simulate as neuron_simulate

    return neuron_simulate(None, inputs, config.tstop, record=record or None, **common)


def _write_outputs(run: ConfigRun, net: PointNetwork, folder: Path) -> None:
    from neuroloom.sonata import FrameReport, write_frame_report, write_spikes

    config, result = run.config, run.result
    order = str(config.output.get("spikes_sort_order", "time"))
    if order not in _SORTING:
        raise config.error("output.spikes_sort_order", f"unknown order {order!r}; use time, id or none")
    spikes = {p.name: result.spikes_of(p.name) for p in net.neurons}
    path = folder / str(config.output.get("spikes_file", "spikes.h5"))
    run.outputs["spikes"] = write_spikes(path, spikes, sorting=_SORTING[order])
    if config.output.get("spikes_file_csv"):
        frame = result.spikes[result.spikes["population"].isin(list(spikes))]
        table = pd.DataFrame(
            {"timestamps": frame["time"], "population": frame["population"], "node_ids": frame["node_id"]}
        )
        csv_path = folder / str(config.output["spikes_file_csv"])
        write_bytes(csv_path, table.to_csv(sep=" ", index=False).encode())
        run.outputs["spikes_csv"] = csv_path
    for name, report in _frame_reports(config).items():
        variable = str(report.get("variable_name", "V_m"))
        parts = {}
        for (pop, var), signal in result.signals.items():
            model = net.populations[pop].model
            if model is not None and (var == variable or NEST_ALIASES.get(variable) == var):
                step = float(np.diff(signal.times[:2])[0]) if signal.times.size > 1 else config.dt
                start = float(signal.times[0]) if signal.times.size else 0.0
                stop = start + step * signal.times.size  # SONATA: frames = (tstop - tstart) / dt
                parts[pop] = FrameReport(
                    signal.node_ids, signal.values, (start, stop, step), units=signal.unit or "mV"
                )
        target = folder / str(report.get("file_name", f"{name}.h5"))
        run.outputs[name] = write_frame_report(target, parts)


def _write_log(run: ConfigRun, folder: Path) -> None:
    log = run.config.output.get("log_file")
    if not log:
        return
    lines = [f"neuroloom run_config {run.config.path} on {run.simulator}"]
    lines += [f"WARNING {w}" for w in run.warnings]
    lines += [
        f"{row.population}: {row.size} nodes, {row.spikes} spikes, {row.rate_hz:.3f} Hz"
        for row in run.result.summary().itertuples()
    ]
    path = folder / str(log)
    write_bytes(path, ("\n".join(lines) + "\n").encode())
    run.outputs["log"] = path


def run_config(
    path: str | Path,
    simulator: str | None = None,
    *,
    output_dir: str | Path | None = None,
    target: str = "auto",
    write: bool = True,
    seed: int | None = None,
    adjust: Callable[[PointNetwork], PointNetwork] | None = None,
) -> ConfigRun:
    """Run a SONATA simulation config (``simulation_config.json`` or bmtk's ``config.json``).

    Parameters
    ----------
    path
        The config file.
    simulator
        ``"nest"``, ``"brian2"`` or ``"neuron"``; default: the config's ``target_simulator``.
    output_dir
        Where outputs go instead of the config's ``output.output_dir`` (a relative
        path is taken from the working directory, as ``neuroloom run --output-dir``).
    target
        Brian2's code generation target (``auto``, ``cython``, ``numpy``).
    write
        False: simulate only, write no files.
    seed
        Seed of the simulator's random numbers (Poisson inputs, NEST's kernel).
    adjust
        Applied to the circuit's point network before the simulation (e.g. a
        study's node and edge dynamics overrides); returns the network to simulate.

    Returns
    -------
    ConfigRun
        The simulation result, the files written and the warnings of the run.

    Raises
    ------
    ConfigError
        A config error, naming the file and key.
    """
    config = read_simulation_config(path)
    name = choose_simulator(config, simulator)
    circuit = _circuit(config)
    net = load_point_network(circuit)
    if adjust is not None:
        net = adjust(net)
    inputs = config_inputs(config, circuit, grid=name != "neuron")
    record = _record(config, circuit, net)
    folder = _output_dir(config, output_dir) if write else None
    result = _simulate(name, net, config, inputs, record, target, seed)
    warnings = [*net.warnings, *_skipped_reports(config), *_early_clamps(config, inputs)]
    run = ConfigRun(config, name, result, warnings=warnings, neurons=[p.name for p in net.neurons])
    if folder is not None:
        _write_outputs(run, net, folder)
        _write_log(run, folder)
    return run
