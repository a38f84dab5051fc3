"""The network job: one simulation per run, spikes recorded, statistics saved.

``NetworkJob(spec)`` is what the study's runner calls for each run (it is a
plain picklable object, so the ``processes`` and ``dask`` backends ship it to
workers). For run ``run`` it

1. resolves ``"$param"`` references of ``[simulation]`` / ``[[inputs]]``
   with the run's parameters;
2. loads the circuit once per worker process (cached by path) and scales
   weights as ``[simulation.weight_scale]`` says;
3. simulates with the chosen adapter (Brian2, NEST) seeded with ``run.seed``;
4. records spikes (and asked signals) into the run (SONATA reports);
5. saves per-population ``rate_<pop>``, ``cv_<pop>``, ``fano_<pop>`` (scalars in
   the catalog, so ``study.results("rate_exc")`` is a table across runs).

A simulation that raises fails only its own run; the study goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom.errors import InputSpecError, SimulationError, StudyFileError, with_context
from neuroloom.studyfile.spec import InputSpec, StudySpec, parse_spec, resolve

__all__ = ["NetworkJob", "make_inputs", "simulate_run"]

_NETWORKS: dict[str, Any] = {}


def _load(circuit: Path) -> Any:
    from neuroloom.sim.point import load_point_network

    key = str(circuit)
    if key not in _NETWORKS:
        _NETWORKS.clear()
        _NETWORKS[key] = load_point_network(circuit)
    return _NETWORKS[key]


def make_inputs(specs: tuple[InputSpec, ...], params: Mapping[str, Any], file: Path | str) -> list[Any]:
    """The simulator inputs of one run (parameter references resolved)."""
    from neuroloom.sim.inputs import CurrentClamp, PoissonInput, SpikeTrainInput

    out: list[Any] = []
    for pos, spec in enumerate(specs):
        where = f"{file}: [inputs #{pos + 1}]"
        values = {k: resolve(v, params, where) for k, v in spec.values.items()}
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
                raise InputSpecError(f"{where}: {exc}") from None
    return out


def _simulator(name: str, file: Path | str) -> Any:
    if name == "brian2":
        from neuroloom.sim import brian2

        return brian2.simulate
    if name == "nest":
        from neuroloom.sim import nest

        return nest.simulate
    raise StudyFileError(f"{file}: [simulation] simulator = {name!r}; use one of brian2, nest")


def simulate_run(spec: StudySpec, circuit: Path, params: Mapping[str, Any], seed: int) -> Any:
    """Simulate the study's circuit with one run's parameters; returns a SimulationResult."""
    from neuroloom.studyfile.network import scale_weights

    sim = spec.simulation
    file = spec.file
    where = f"{file}: [simulation]"
    simulator = str(resolve(sim.simulator, params, where))
    simulate = _simulator(simulator, file)
    scales = {k: float(resolve(v, params, f"{where} weight_scale")) for k, v in sim.weight_scale.items()}
    network = scale_weights(_load(circuit), scales, f"{file}: [simulation]")
    kwargs: dict[str, Any] = {
        "record": sim.record or None,
        "dt": float(resolve(sim.dt, params, where)),
        "seed": seed,
        "network": network,
    }
    if sim.record_dt is not None:
        kwargs["record_dt"] = float(resolve(sim.record_dt, params, where))
    if simulator == "brian2":
        kwargs["target"] = sim.target
    else:
        kwargs["threads"] = sim.threads
    inputs = make_inputs(spec.inputs, params, file)
    duration = float(resolve(sim.duration, params, where))
    return simulate(circuit, inputs, duration, **kwargs)


def analysis_window(spec: StudySpec, params: Mapping[str, Any], duration: float) -> tuple[float, float]:
    """``[t_start, t_stop)`` of the statistics (ms), checked against the simulated duration."""
    where = f"{spec.file}: [analysis]"
    start = float(resolve(spec.analysis.t_start, params, where))
    stop_value = resolve(spec.analysis.t_stop, params, where) if spec.analysis.t_stop is not None else None
    stop = duration if stop_value is None else min(float(stop_value), duration)
    if not 0 <= start < stop:
        raise StudyFileError(
            f"{where} t_start = {start} ms must lie in [0, t_stop = {stop} ms) "
            f"(the simulation lasts {duration} ms)"
        )
    return start, stop


@dataclass(frozen=True)
class NetworkJob:
    """The job of a study file: simulate, record, summarise (see the module docs)."""

    config: dict[str, Any]
    file: str
    circuit: str

    @property
    def spec(self) -> StudySpec:
        return parse_spec(self.config, self.file)

    def __call__(self, run: Any) -> dict[str, float]:
        from neuroloom.studyfile.stats import run_statistics

        spec = self.spec
        params = {name: run.params[name] for name in run.params}
        result = simulate_run(spec, Path(self.circuit), params, int(run.seed))
        result.record(run)
        start, stop = analysis_window(spec, params, result.duration)
        virtual = {p.name for p in _load(Path(self.circuit)).virtual}
        sizes = {p: n for p, n in result.sizes.items() if p not in virtual}
        spikes = result.spikes.assign(run=run.index)
        stats = run_statistics(
            spikes,
            start,
            stop,
            runs=[run.index],
            sizes=sizes,
            fano_window=float(resolve(spec.analysis.fano_window, params, f"{spec.file}: [analysis]")),
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
    except SimulationError as exc:
        raise with_context(exc, f"{file}: [simulation] simulator = {name!r}: {exc}") from exc
