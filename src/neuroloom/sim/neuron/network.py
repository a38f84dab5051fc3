"""NEURON adapter for point-process circuits: ``simulate(circuit, inputs, duration, dt=...)``.

Each node of a ``nrn:IntFire1`` population becomes one ``IntFire1`` artificial
cell (``tau`` and ``refrac`` from ``dynamics_params`` in seconds, as bmtk
writes them, converted to ms), registered under a global id; every edge is
one ``NetCon`` from its source id (weight = ``syn_weight`` x ``nsyns`` x the
synaptic model's ``sign``, delay in ms). Virtual populations are played by
one ``PatternStim`` (no per-spike Python), and spikes of every cell are
recorded by ``ParallelContext.spike_record``. NEURON creates its objects one
by one, so building is a loop over nodes and edges; the run itself is
NEURON's event-driven integration.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import (
    InputSpecError,
    SimulationError,
    SimulatorNotInstalledError,
    UnsupportedModelError,
)
from neuroloom.sim.inputs import Input, check_inputs, clamps_for, merged_spikes
from neuroloom.sim.neuron.stepping import advance_to
from neuroloom.sim.point import INTFIRE1, PointNetwork, check_input_targets, load_point_network, record_spec
from neuroloom.sim.result import Signal, SimulationResult, concat_spike_tables, spike_table

__all__ = ["check_models", "simulate"]


def _neuron() -> Any:
    try:
        from neuron import h
    except ImportError as exc:  # pragma: no cover - NEURON is a declared dependency of the sim extra
        raise SimulatorNotInstalledError(f"NEURON cannot be imported ({exc}); pip install neuron") from exc
    return h


def check_models(net: PointNetwork) -> None:
    """Every neuron population must be ``nrn:IntFire1`` (the point process this adapter builds)."""
    for pop in net.neurons:
        assert pop.model is not None
        if pop.model.name == INTFIRE1.name:
            continue
        raise UnsupportedModelError(
            f"population {pop.name!r}: the NEURON point adapter has no model {pop.model.name!r}; "
            f"it has nrn:IntFire1. NEST has {pop.model.name} (simulator='nest')"
            + (" and Brian2 too (simulator='brian2')" if not pop.model.generic else "")
        )


def _offsets(net: PointNetwork) -> dict[str, int]:
    offsets, start = {}, 0
    for name in sorted(net.populations):
        offsets[name] = start
        start += net.populations[name].size
    return offsets


def _cells(h: Any, pc: Any, net: PointNetwork, offsets: Mapping[str, int]) -> list[Any]:
    keep: list[Any] = []
    for pop in net.neurons:
        tau, refrac = pop.params["tau"], pop.params["refrac"]
        for k in range(pop.size):
            gid = offsets[pop.name] + k
            cell = h.IntFire1()
            cell.tau, cell.refrac = float(tau[k]), float(refrac[k])
            pc.set_gid2node(gid, pc.id())
            detector = h.NetCon(cell, None)
            pc.cell(gid, detector)
            keep += [cell, detector]
    return keep


def _connect(h: Any, pc: Any, net: PointNetwork, offsets: Mapping[str, int], cells: list[Any]) -> list[Any]:
    keep: list[Any] = []
    for proj in net.projections:
        src = (proj.source_ids + offsets[proj.source]).tolist()
        # cells holds (cell, detector) pairs in the order of the neuron populations
        base = _neuron_index(net, proj.target)
        rows = zip(src, proj.target_ids.tolist(), proj.weights.tolist(), proj.delays.tolist())
        for s, t, w, d in rows:
            nc = pc.gid_connect(s, cells[2 * (base + t)])
            nc.weight[0] = w
            nc.delay = d
            keep.append(nc)
    return keep


def _neuron_index(net: PointNetwork, population: str) -> int:
    """Position of ``population``'s first cell among the created cells."""
    index = 0
    for pop in net.neurons:
        if pop.name == population:
            return index
        index += pop.size
    raise SimulationError(f"population {population!r} has no NEURON cells")


def _record(
    h: Any, net: PointNetwork, cells: list[Any], record: Mapping[str, Any], dt: float
) -> dict[tuple[str, str], tuple[Any, list[Any]]]:
    """One NEURON vector per recorded variable and cell (``m`` of IntFire1: its state, updated at events)."""
    out: dict[tuple[str, str], tuple[Any, list[Any]]] = {}
    for population, variables in record_spec(record, net).items():
        base = _neuron_index(net, population)
        for variable, ids in variables.items():
            vecs = []
            for k in ids.tolist():
                cell = cells[2 * (base + k)]
                if not hasattr(cell, f"_ref_{variable}"):
                    raise SimulationError(
                        f"record: IntFire1 population {population!r} has no variable {variable!r}"
                    )
                vec = h.Vector()
                vec.record(getattr(cell, f"_ref_{variable}"), dt)
                vecs.append(vec)
            out[(population, variable)] = (ids, vecs)
    return out


def simulate(
    circuit: Any,
    inputs: Iterable[Input] | None = None,
    duration: float = 1000.0,
    *,
    dt: float = 0.1,
    seed: int | None = None,
    network: PointNetwork | None = None,
    record: Mapping[str, Any] | None = None,
) -> SimulationResult:
    """Simulate a circuit of ``nrn:IntFire1`` cells and virtual spike sources with NEURON."""
    h = _neuron()
    started = _time.perf_counter()
    inputs = check_inputs(inputs)
    net = network if network is not None else load_point_network(circuit)
    check_input_targets(inputs, net)
    check_models(net)
    for pop in net.neurons:
        if clamps_for(inputs, pop.name):
            raise InputSpecError(f"IntFire1 population {pop.name!r} cannot take a current clamp")
    rng = np.random.default_rng(seed)
    pc = h.ParallelContext()
    pc.gid_clear()
    offsets = _offsets(net)
    cells = _cells(h, pc, net, offsets)
    keep = cells + _connect(h, pc, net, offsets, cells)
    spike_parts: list[pd.DataFrame] = []
    event_gid, event_time = [], []
    for pop in net.virtual:
        ids, times = merged_spikes(inputs, pop.name, np.arange(pop.size, dtype=np.int64), duration, rng)
        spike_parts.append(spike_table(pop.name, ids, times))
        event_gid.append(ids + offsets[pop.name])
        event_time.append(times)
    all_gid = np.concatenate(event_gid) if event_gid else np.zeros(0, np.int64)
    all_time = np.concatenate(event_time) if event_time else np.zeros(0)
    order = np.argsort(all_time, kind="stable")
    tvec, gidvec = h.Vector(all_time[order]), h.Vector(all_gid[order].astype(np.float64))
    stim = h.PatternStim()
    stim.fake_output = 1
    stim.play(tvec, gidvec)
    spike_t, spike_gid = h.Vector(), h.Vector()
    pc.spike_record(-1, spike_t, spike_gid)
    keep += [stim, tvec, gidvec]
    vectors = _record(h, net, cells, record or {}, dt)
    h.dt = dt
    build_seconds = _time.perf_counter() - started
    started = _time.perf_counter()
    h.finitialize()
    advance_to(h, duration)  # one process: events go straight from sources to NetCons (zero delays allowed)
    run_seconds = _time.perf_counter() - started
    times = np.asarray(spike_t.as_numpy(), np.float64).copy()
    gids = np.asarray(spike_gid.as_numpy(), np.float64).astype(np.int64)
    for pop in net.neurons:
        mine = (gids >= offsets[pop.name]) & (gids < offsets[pop.name] + pop.size)
        spike_parts.append(spike_table(pop.name, gids[mine] - offsets[pop.name], times[mine]))
    signals = {}
    for (population, variable), (ids, vecs) in vectors.items():
        values = np.stack([np.asarray(v.as_numpy(), np.float64) for v in vecs], axis=1)
        signals[(population, variable)] = Signal(
            ids, np.arange(values.shape[0], dtype=np.float64) * float(dt), values, ""
        )
    pc.gid_clear()
    del keep
    spikes = concat_spike_tables(spike_parts)
    return SimulationResult(
        spikes=spikes,
        signals=signals,
        sizes={p.name: p.size for p in net.populations.values()},
        duration=float(duration),
        dt=float(dt),
        simulator="neuron",
        build_seconds=build_seconds,
        run_seconds=run_seconds,
    )
