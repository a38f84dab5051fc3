"""The network job: one simulation per run, spikes recorded, statistics saved.

``NetworkJob`` is what the study's runner calls for each run (a plain
picklable object, so the ``processes`` and ``dask`` backends ship it to
workers). For run ``run`` it

1. resolves the study file's ``"$param"`` references with the run's
   parameters, once (:func:`neuroloom.studyfile.spec.spec_for_run`);
2. finds the run's network (the external circuit, the study's network, or
   the network of the run's network point, built before any run) and loads
   it once per worker process (cached by path), scaling weights as
   ``[simulation.weight_scale]`` says;
3. simulates with the chosen adapter (Brian2, NEST, NEURON) seeded with ``run.seed``;
4. records spikes (and asked signals) into the run (SONATA reports);
5. saves per-population ``rate_<pop>``, ``cv_<pop>``, ``fano_<pop>`` (scalars in
   the catalog, so ``study.results("rate_exc")`` is a table across runs).

A simulation that raises fails only its own run; the study goes on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom.errors import InputSpecError, SimulationError, StudyFileError, with_context
from neuroloom.studyfile.spec import InputSpec, StudySpec, spec_for_run

__all__ = ["NetworkJob", "check_models", "check_simulator", "make_inputs", "run_circuit", "simulate_run"]

_NETWORKS: dict[str, Any] = {}
_ADAPTERS = {
    "brian2": "neuroloom.sim.brian2",
    "nest": "neuroloom.sim.nest",
    "neuron": "neuroloom.sim.neuron.network",
}


def load_network(circuit: Path) -> Any:
    """The point network of ``circuit``, cached (one network per worker process)."""
    from neuroloom.sim.point import load_point_network

    key = str(circuit)
    if key not in _NETWORKS:
        _NETWORKS.clear()
        _NETWORKS[key] = load_point_network(circuit)
    return _NETWORKS[key]


def make_inputs(specs: tuple[InputSpec, ...], file: Path | str) -> list[Any]:
    """The simulator inputs of one run (from a resolved spec)."""
    from neuroloom.sim.inputs import CurrentClamp, PoissonInput, SpikeTrainInput

    out: list[Any] = []
    for pos, spec in enumerate(specs):
        values = dict(spec.values)
        if spec.kind == "poisson":
            out.append(PoissonInput(spec.population, **values))
        elif spec.kind == "current_clamp":
            out.append(CurrentClamp(spec.population, **values))
        else:
            path = values.pop("path")
            source = values.pop("source_population", None)
            try:
                out.append(
                    SpikeTrainInput.from_sonata(path, spec.population, source_population=source, **values)
                )
            except TypeError as exc:
                raise InputSpecError(f"{file}: [inputs #{pos + 1}]: {exc}") from None
    return out


def _adapter(name: str, file: Path | str) -> Any:
    try:
        return importlib.import_module(_ADAPTERS[name])
    except ModuleNotFoundError:
        raise StudyFileError(
            f"{file}: [simulation] simulator = {name!r}: this neuroloom has no adapter for point circuits on "
            f"{name} ({_ADAPTERS[name]}); use brian2 or nest"
        ) from None


def _simulator(name: str, file: Path | str) -> Callable[..., Any]:
    return _adapter(name, file).simulate  # type: ignore[no-any-return]


def run_circuit(spec: StudySpec, study_path: Path, per_point: bool) -> Path:
    """The circuit config a run of (resolved) ``spec`` simulates."""
    from neuroloom.studyfile.network import network_folder

    network = spec.network
    if network is None:
        raise StudyFileError(f"{spec.file}: no [network] section")
    if network.circuit is not None:
        return network.circuit
    if network.simulation_config is not None:
        from neuroloom.sim.sonata_config import read_simulation_config

        return read_simulation_config(network.simulation_config).circuit_path
    return network_folder(study_path, network, per_point) / "circuit_config.json"


def simulate_run(spec: StudySpec, circuit: Path, seed: int) -> Any:
    """Simulate ``circuit`` with one run's (resolved) spec; returns a SimulationResult."""
    from neuroloom.studyfile.network import scale_weights

    sim = spec.simulation
    simulate = _simulator(sim.simulator, spec.file)
    network = scale_weights(load_network(circuit), sim.weight_scale, f"{spec.file}: [simulation]")
    kwargs: dict[str, Any] = {"record": sim.record or None, "dt": sim.dt, "seed": seed, "network": network}
    if sim.record_dt is not None and sim.simulator != "neuron":
        kwargs["record_dt"] = sim.record_dt
    if sim.simulator == "brian2":
        kwargs["target"] = sim.target
    elif sim.simulator == "nest":
        kwargs["threads"] = sim.threads
    return simulate(circuit, make_inputs(spec.inputs, spec.file), sim.duration, **kwargs)


def analysis_window(spec: StudySpec, duration: float) -> tuple[float, float]:
    """``[t_start, t_stop)`` of the statistics (ms), checked against the simulated duration."""
    start = float(spec.analysis.t_start)
    stop = duration if spec.analysis.t_stop is None else min(float(spec.analysis.t_stop), duration)
    if not 0 <= start < stop:
        raise StudyFileError(
            f"{spec.file}: [analysis] t_start = {start} ms must lie in [0, t_stop = {stop} ms) "
            f"(the simulation lasts {duration} ms)"
        )
    return start, stop


@dataclass(frozen=True)
class NetworkJob:
    """The job of a study file: simulate, record, summarise (see the module docs).

    ``per_point``: the study's ``[network]`` references run parameters, so each
    run's network is the one of its network point.
    """

    config: dict[str, Any]
    file: str
    study_path: str
    per_point: bool = False

    def run_spec(self, params: dict[str, Any]) -> StudySpec:
        """The spec of a run with ``params`` (references resolved)."""
        return spec_for_run(self.config, self.file, params)

    def simulate(
        self, spec: StudySpec, circuit: Path, seed: int, folder: Path
    ) -> tuple[Any, dict[str, int], list[str]]:
        """The run's simulation, the sizes of its simulated (non-virtual) populations and its warnings.

        Of the study's circuit, or of its simulation config with the run's
        overrides (config copy and outputs in ``folder``, the run's folder).
        Warnings are the network's (e.g. edges that got the default delay).
        """
        network = spec.network
        if network is None or network.simulation_config is None:
            result = simulate_run(spec, circuit, seed)
            loaded = load_network(circuit)
            virtual = {p.name for p in loaded.virtual}
            sizes = {p: n for p, n in result.sizes.items() if p not in virtual}
            return result, sizes, list(loaded.warnings)
        from neuroloom.studyfile.sonata_config import simulate_config

        given = "simulator" in (self.config.get("simulation") or {})
        simulator = spec.simulation.simulator if given else None
        run = simulate_config(
            network.simulation_config, network.overrides, simulator, folder=folder, seed=seed
        )
        return run.result, {p: run.result.sizes[p] for p in run.neurons}, list(run.warnings)

    def __call__(self, run: Any) -> dict[str, float]:
        from neuroloom.studyfile.stats import run_statistics

        spec = self.run_spec({name: run.params[name] for name in run.params})
        circuit = run_circuit(spec, Path(self.study_path), self.per_point)
        result, sizes, warnings = self.simulate(spec, circuit, int(run.seed), run.folder)
        result.record(run)
        if warnings:
            run.save("warnings", warnings)
        start, stop = analysis_window(spec, result.duration)
        spikes = result.spikes.assign(run=run.index)
        stats = run_statistics(
            spikes, start, stop, runs=[run.index], sizes=sizes, fano_window=float(spec.analysis.fano_window)
        )
        summary: dict[str, float] = {}
        for row in stats.itertuples(index=False):
            for name in ("rate", "cv", "fano"):
                value = float(getattr(row, name))
                summary[f"{name}_{row.population}"] = value if np.isfinite(value) else float("nan")
        for name, value in summary.items():
            run.save(name, value)
        run.save("sim_seconds", float(result.run_seconds))
        return summary


def check_simulator(name: str, file: Path | str) -> None:
    """Fail early (before any run) when the simulator cannot be imported."""
    try:
        if name == "brian2":
            from neuroloom.sim.brian2 import import_brian2

            import_brian2()
        elif name == "nest":
            from neuroloom.sim.nest import import_nest

            import_nest()
        else:
            _adapter(name, file)
    except SimulationError as exc:
        raise with_context(exc, f"{file}: [simulation] simulator = {name!r}: {exc}") from exc


def check_models(name: str, network: Any, file: Path | str) -> None:
    """Fail early (before any run) when simulator ``name`` lacks a neuron model of ``network``.

    Asks the simulator's adapter (its ``check_models``): NEST has every model it
    lists, Brian2 the ones it mirrors, NEURON ``nrn:IntFire1``.
    """
    try:
        _adapter(name, file).check_models(network)
    except SimulationError as exc:
        raise with_context(exc, f"{file}: [simulation] simulator = {name!r}: {exc}") from exc
