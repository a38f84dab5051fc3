"""NEST adapter: the same ``simulate(circuit, inputs, duration, record=..., dt=...)`` as Brian2.

Populations become NEST nodes of the model named in ``model_template``
(parameters set per node from arrays in one call), edge populations become
one ``nest.Connect`` of id arrays with ``one_to_one`` and per-edge weights and
delays (``static_synapse``, or ``bernoulli_synapse`` with ``p_transmit`` for
a release probability below 1); virtual populations become
``spike_generator`` nodes fed the same grid-aligned trains Brian2 gets;
current clamps are ``dc_generator``; spikes go to one ``spike_recorder`` per
population and signals to ``multimeter`` devices.

Why not ``nest.SonataNetwork``: it needs NEST's own simulation config and
input files and rebuilds the circuit from the files in C++; reading the
circuit once with :mod:`neuroloom.sonata` keeps one inputs description for
every simulator, and ``Connect`` from arrays is already a single vectorised
call per edge population. NEST is imported only when ``simulate`` runs
(``PYNEST_QUIET`` is set so it does not print its banner).
"""

from __future__ import annotations

import os
import time as _time
from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import SimulationError, SimulatorNotInstalledError, UnsupportedModelError
from neuroloom.sim.inputs import Input, check_inputs, clamps_for, merged_spikes, release_prob_for
from neuroloom.sim.point import (
    NEST_ALIASES,
    PointNetwork,
    check_input_targets,
    grid_spikes,
    load_point_network,
    record_spec,
)
from neuroloom.sim.result import Signal, SimulationResult, concat_spike_tables, spike_table

__all__ = ["check_models", "simulate"]

_NEST_NAMES = {ours: nest for nest, ours in NEST_ALIASES.items()}  # ours -> NEST's recordable


def _nest() -> Any:
    os.environ.setdefault("PYNEST_QUIET", "1")
    try:
        import nest
    except ImportError as exc:
        raise SimulatorNotInstalledError(
            f"NEST cannot be imported ({exc}); install it with pip install nest-simulator "
            "(or pip install 'neuroloom[sim]')"
        ) from exc
    return nest


def _nest_name(variable: str) -> str:
    return _NEST_NAMES.get(variable, variable)


def check_models(net: PointNetwork, nest: Any = None) -> None:
    """Every neuron model of ``net`` must be one NEST has (``nest.node_models``).

    Raises
    ------
    UnsupportedModelError
        Naming the population and model, and listing NEST's neuron models.
    """
    available = set((nest if nest is not None else _nest()).node_models)
    for pop in net.neurons:
        assert pop.model is not None
        missing = [m for m in pop.model_names if m not in available]
        if not missing:
            continue
        other = " NEURON has it (simulator='neuron')." if pop.model.synapse == "nrn" else ""
        raise UnsupportedModelError(
            f"population {pop.name!r}: NEST has no model {missing[0]!r}.{other} NEST's neuron models: "
            f"{', '.join(sorted(m for m in available if not m.endswith(('_generator', '_recorder'))))}"
        )


def _reset(nest: Any, dt: float, seed: int | None, threads: int) -> None:
    nest.ResetKernel()
    levels = getattr(nest, "VerbosityLevel", None)
    if levels is not None:
        nest.verbosity = levels.ERROR
    else:  # pragma: no cover - NEST < 3.9
        nest.set_verbosity("M_ERROR")
    nest.SetKernelStatus({"resolution": float(dt), "local_num_threads": int(threads), "print_time": False})
    if seed is not None:
        nest.SetKernelStatus({"rng_seed": int(seed) % (2**31 - 1) + 1})


def simulate(
    circuit: Any,
    inputs: Iterable[Input] | None = None,
    duration: float = 1000.0,
    *,
    record: Mapping[str, Any] | None = None,
    dt: float = 0.1,
    record_dt: float | None = None,
    seed: int | None = None,
    threads: int = 1,
    network: PointNetwork | None = None,
) -> SimulationResult:
    """Simulate a SONATA point-neuron circuit with NEST (contract of :func:`neuroloom.sim.brian2.simulate`).

    ``threads`` sets NEST's ``local_num_threads``. Signals are sampled by NEST
    multimeters at ``record_dt, 2·record_dt, ...`` (NEST does not sample t = 0).
    """
    nest = _nest()
    started = _time.perf_counter()
    inputs = check_inputs(inputs)
    net = network if network is not None else load_point_network(circuit)
    signals_spec = record_spec(record, net)
    check_input_targets(inputs, net)
    rng = np.random.default_rng(seed)
    _reset(nest, dt, seed, threads)

    nodes: dict[str, Any] = {}
    spike_parts: list[pd.DataFrame] = []
    for pop in net.virtual:
        nodes[pop.name], table = _spike_source(nest, pop, inputs, duration, dt, rng)
        spike_parts.append(table)
    check_models(net, nest)
    for pop in net.neurons:
        nodes[pop.name] = _neuron_group(nest, pop)
        _clamps(nest, nodes[pop.name], pop, inputs, dt)
    # the first id of each collection (tolist() would read every id)
    first = {name: int(c[0].global_id) if len(c) else 0 for name, c in nodes.items()}
    for proj in net.projections:
        _connect(nest, proj, first, release_prob_for(inputs, proj.source), dt)
    recorders = {}
    for pop in net.neurons:
        rec = nest.Create("spike_recorder")
        nest.Connect(nodes[pop.name], rec)
        recorders[pop.name] = rec
    meters = {}
    for population, variables in signals_spec.items():
        for variable, ids in variables.items():
            meter = nest.Create(
                "multimeter",
                params={"record_from": [_nest_name(variable)], "interval": float(record_dt or dt)},
            )
            nest.Connect(meter, nodes[population][ids.tolist()])
            meters[(population, variable)] = (ids, meter)
    build_seconds = _time.perf_counter() - started
    started = _time.perf_counter()
    try:
        nest.Simulate(float(duration))
    except Exception as exc:
        raise SimulationError(f"NEST failed while running the circuit: {exc}") from exc
    run_seconds = _time.perf_counter() - started

    for name, rec in recorders.items():
        events = rec.get("events")
        senders = np.asarray(events["senders"], np.int64) - first[name]
        spike_parts.append(spike_table(name, senders, np.asarray(events["times"], np.float64)))
    signals = {key: _signal(net, key, ids, meter, first[key[0]]) for key, (ids, meter) in meters.items()}
    spikes = concat_spike_tables(spike_parts)
    return SimulationResult(
        spikes=spikes,
        signals=signals,
        sizes={p.name: p.size for p in net.populations.values()},
        duration=float(duration),
        dt=float(dt),
        simulator="nest",
        build_seconds=build_seconds,
        run_seconds=run_seconds,
    )


def _positions(ids: np.ndarray, senders: np.ndarray) -> np.ndarray:
    order = np.argsort(ids, kind="stable")
    return order[np.searchsorted(ids[order], senders)]


def _spike_source(
    nest: Any, pop: Any, inputs: list[Input], duration: float, dt: float, rng: np.random.Generator
) -> tuple[Any, pd.DataFrame]:
    """``spike_generator`` nodes fed the population's grid-aligned trains (and their spike table)."""
    gens = nest.Create("spike_generator", pop.size)
    ids, times = merged_spikes(inputs, pop.name, np.arange(pop.size, dtype=np.int64), duration, rng)
    ids, times = grid_spikes(ids, times, dt, unique=False)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(pop.size + 1))
    per_node = np.split(np.round(times[order], 10), bounds[1:-1])
    table = spike_table(pop.name, ids, times)
    if release_prob_for(inputs, pop.name) >= 1.0:
        gens.set([{"spike_times": t} for t in per_node])
        return gens, table
    # NEST devices only make static connections: relay through parrots (one step
    # earlier, so the parrots spike at the requested times)
    per_node = [np.maximum(t - dt, dt) for t in per_node]
    parrots = nest.Create("parrot_neuron", pop.size)
    gens.set([{"spike_times": np.round(t, 10)} for t in per_node])
    nest.Connect(gens, parrots, "one_to_one", syn_spec={"delay": float(dt)})
    return parrots, table


def _neuron_group(nest: Any, pop: Any) -> Any:
    """The population's NEST nodes; parameters equal for every neuron go in once.

    With per-node values in a few runs (nodes sorted by type), each run gets one
    ``set`` of scalars, shared values included, as a script sets a slice per
    type; otherwise shared values go in at ``Create`` and the rest as lists.
    """
    if pop.node_models is not None:
        return _mixed_group(nest, pop)
    uniform = {k: float(v[0]) for k, v in pop.params.items() if v.size and np.all(v == v[0])}
    uniform.update({k: v[0] for k, v in pop.extra.items() if all(x == v[0] for x in v)})
    varying = {k: v for k, v in pop.params.items() if k not in uniform and not np.all(np.isnan(v))}
    extra = {k: v for k, v in pop.extra.items() if k not in uniform}
    bounds = _runs(varying) if varying and not extra else None
    try:
        group = nest.Create(pop.model.name, pop.size, params=uniform if bounds is None else None)
    except Exception as exc:
        raise SimulationError(
            f"NEST cannot create {pop.model.name} for population {pop.name!r}: {exc}"
        ) from exc
    try:
        if bounds is not None:
            for start, stop in pairwise(bounds):
                group[start:stop].set({**uniform, **{k: float(v[start]) for k, v in varying.items()}})
        elif varying or extra:
            group.set({**{k: v.tolist() for k, v in varying.items()}, **extra})
    except Exception as exc:
        raise SimulationError(
            f"NEST refuses the parameters of population {pop.name!r} ({pop.model.name}): {exc}"
        ) from exc
    return group


def _mixed_group(nest: Any, pop: Any) -> Any:
    """A population of several models: one ``Create`` per run of equal model, in node order.

    NEST numbers nodes in creation order, so node ``i`` of the population is
    still the ``i``-th node created; each node gets the values its own
    ``dynamics_params`` file gives (the rest are the model's defaults).
    """
    models = np.asarray(pop.node_models, dtype=str)
    bounds = [0, *(np.flatnonzero(models[1:] != models[:-1]) + 1).tolist(), models.size]
    group = None
    for start, stop in pairwise(bounds):
        try:
            part = nest.Create(str(models[start]), stop - start)
            values: dict[str, Any] = {
                k: v[start:stop].tolist()
                for k, v in pop.params.items()
                if not np.any(np.isnan(v[start:stop]))
            }
            values.update(
                {k: v[start:stop] for k, v in pop.extra.items() if all(x is not None for x in v[start:stop])}
            )
            if values:
                part.set(values)
        except Exception as exc:
            raise SimulationError(
                f"NEST refuses nodes {start}..{stop - 1} of population {pop.name!r} ({models[start]}): {exc}"
            ) from exc
        group = part if group is None else group + part
    return group


_MAX_RUNS = 64  # more runs of equal parameters than this: one set() of per-node lists


def _runs(varying: Mapping[str, np.ndarray]) -> list[int] | None:
    """Bounds of the runs of nodes whose ``varying`` values are all equal; ``None`` if too many."""
    changes = np.unique(np.concatenate([np.flatnonzero(v[1:] != v[:-1]) + 1 for v in varying.values()]))
    if changes.size >= _MAX_RUNS:
        return None
    return [0, *changes.tolist(), next(iter(varying.values())).size]


def _clamps(nest: Any, group: Any, pop: Any, inputs: list[Input], dt: float) -> None:
    """One ``dc_generator`` per current clamp (nA -> pA)."""
    for clamp in clamps_for(inputs, pop.name):
        targets = clamp.targets(np.arange(pop.size, dtype=np.int64))
        dc = nest.Create(
            "dc_generator",
            params={
                "amplitude": clamp.amplitude * 1000.0,
                "start": clamp.delay,
                "stop": clamp.delay + clamp.duration,
            },
        )
        # delay dt (NEST's default is 1 ms): the current starts when the clamp says, as in Brian2
        chosen = group[targets.tolist()] if targets.size != pop.size else group
        nest.Connect(dc, chosen, syn_spec={"delay": float(dt)})


def _connect(nest: Any, proj: Any, first: dict[str, int], p: float, dt: float) -> None:
    """One ``nest.Connect`` of id arrays per synapse model of an edge population (as bmtk pointnet)."""
    if proj.source_ids.size == 0:
        return
    sources, targets = proj.source_ids + first[proj.source], proj.target_ids + first[proj.target]
    delays = np.maximum(proj.delays, dt)
    if proj.plain():
        syn: dict[str, Any] = {
            "synapse_model": "static_synapse" if p >= 1.0 else "bernoulli_synapse",
            "weight": proj.weights,
            "delay": delays,
        }
        if p < 1.0:
            syn["p_transmit"] = float(p)
        nest.Connect(sources, targets, conn_spec="one_to_one", syn_spec=syn)
        return
    if p < 1.0:
        raise SimulationError(
            f"edge population {proj.name!r}: a release probability below 1 needs static synapses, and these "
            f"edges name {sorted({m for m, _ in proj.synapses})}"
        )
    for k, (model, params) in enumerate(proj.synapses):
        rows = np.flatnonzero(proj.synapse_index == k)
        if not rows.size:
            continue
        syn = {**params, "synapse_model": model, "weight": proj.weights[rows], "delay": delays[rows]}
        try:
            nest.Connect(sources[rows], targets[rows], conn_spec="one_to_one", syn_spec=syn)
        except Exception as exc:
            raise SimulationError(
                f"NEST refuses the synapses of edge population {proj.name!r} ({model} with {params}): {exc}; "
                "check model_template and dynamics_params of its edge types"
            ) from exc


def _signal(net: PointNetwork, key: tuple[str, str], ids: np.ndarray, meter: Any, first: int) -> Signal:
    """A multimeter's events as a (time, node) table."""
    population, variable = key
    events = meter.get("events")
    senders = np.asarray(events["senders"], np.int64) - first
    times = np.asarray(events["times"], np.float64)
    values = np.asarray(events[_nest_name(variable)], np.float64)
    grid = np.unique(times)
    column = np.searchsorted(ids, senders) if np.all(np.diff(ids) > 0) else _positions(ids, senders)
    table = np.full((grid.size, ids.size), np.nan)
    table[np.searchsorted(grid, times), column] = values
    model = net.populations[population].model
    assert model is not None
    return Signal(ids, grid, table, model.recordables.get(variable, ""))


import_nest = _nest  # public name for callers outside sim (studyfile checks the simulator early)
