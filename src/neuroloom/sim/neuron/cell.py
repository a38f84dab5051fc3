"""Simulate one detailed NEURON cell driven by presynaptic spike trains per cell type.

This is in_silico_framework's single-cell experiment: a morphology with
biophysics per section type, synapses of several presynaptic cell types on
its dendrites, each type driven by ongoing Poisson activity and/or evoked
activity from a PSTH (see :mod:`neuroloom.sim.inputs`), with a release
probability. Soma and dendritic voltages and the cell's spike times come
back as a :class:`~neuroloom.sim.result.SimulationResult`, together with the
synapse placement and activation tables.

All presynaptic events are delivered by one NEURON ``PatternStim`` (one call,
no per-event Python); synapse objects are created per synapse, as NEURON
requires.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import InputSpecError, SimulationError
from neuroloom.sim.inputs import Input, check_inputs, clamps_for, merged_spikes, release_prob_for
from neuroloom.sim.neuron.biophysics import apply_biophysics
from neuroloom.sim.neuron.mechanisms import load_mechanisms
from neuroloom.sim.neuron.morphology import Morphology, load_morphology
from neuroloom.sim.neuron.stepping import advance_to
from neuroloom.sim.neuron.synapses import SynapseGroup, activations, make_synapse, place_synapses
from neuroloom.sim.result import Signal, SimulationResult, concat_spike_tables, spike_table

__all__ = ["CellModel", "RecordSite", "simulate_cell"]


@dataclass(frozen=True)
class CellModel:
    """A detailed cell: morphology, biophysics, mechanisms and simulation settings.

    Parameters
    ----------
    morphology
        An SWC or hoc file.
    biophysics
        A mapping or JSON/YAML file (see :mod:`neuroloom.sim.neuron.biophysics`).
    mechanisms
        Extra .mod files or folders, compiled into the cache and loaded;
        neuroloom's own set (``nlhh``, ``NlSyn``) is always loaded.
    name
        The population name of the cell in results (node id 0).
    max_segment_length
        Longest segment in µm (``nseg`` is odd and at least 1).
    v_init, celsius, spike_threshold
        Initial voltage (mV), temperature (°C), somatic spike threshold (mV).
    """

    morphology: str | Path
    biophysics: Mapping[str, Any] | str | Path
    mechanisms: Sequence[str | Path] = ()
    name: str = "cell"
    max_segment_length: float = 20.0
    v_init: float = -70.0
    celsius: float = 34.0
    spike_threshold: float = -20.0

    def __post_init__(self) -> None:
        """Refuse files that do not exist now, not later in :func:`simulate_cell`."""
        named = [("morphology", self.morphology)]
        if isinstance(self.biophysics, (str, Path)):
            named.append(("biophysics", self.biophysics))
        named += [("mechanisms", m) for m in self.mechanisms]
        for what, path in named:
            if not Path(path).exists():
                raise SimulationError(
                    f"CellModel: {what} file {str(path)!r} does not exist (relative to {Path.cwd()}); "
                    "give an existing path (the demo cell: neuroloom.sim.neuron.demo_cell())"
                )


@dataclass(frozen=True)
class RecordSite:
    """A dendritic voltage recording: at ``distance`` µm from the soma on a section type,
    or at ``section_index``/``x`` of that type. Recorded as variable ``v_<label>``."""

    label: str
    section_type: str = "apic"
    distance: float | None = None
    section_index: int | None = None
    x: float = 0.5

    def resolve(self, morph: Morphology) -> tuple[Any, float]:
        if self.distance is not None:
            return morph.section_at(self.section_type, float(self.distance))
        sections = morph.sections.get(self.section_type, [])
        i = 0 if self.section_index is None else int(self.section_index)
        if not 0 <= i < len(sections):
            raise SimulationError(
                f"record site {self.label!r}: {morph.path} has {len(sections)} {self.section_type!r} "
                f"sections, index {i} asked"
            )
        return sections[i], float(self.x)


@dataclass
class _Built:
    """NEURON objects that must stay referenced while the simulation runs."""

    morph: Morphology
    objects: list[Any] = field(default_factory=list)


def _sections_of(morph: Morphology, table: pd.DataFrame) -> list[Any]:
    return [morph.sections[t][i] for t, i in zip(table["section_type"], table["section_index"])]


def _check_groups(model: CellModel, groups: list[SynapseGroup], inputs: list[Input]) -> None:
    """Synapse groups have distinct names, other than the cell's; every input drives one of them."""
    names = [g.population for g in groups]
    if len(set(names)) != len(names):
        raise InputSpecError(f"two synapse groups share a population name: {names}")
    if model.name in names:
        raise InputSpecError(f"the cell's name {model.name!r} is also a presynaptic population name")
    known = {*names, model.name}
    for item in inputs:
        if item.population not in known:
            raise InputSpecError(
                f"input {type(item).__name__} drives population {item.population!r}, which is neither the "
                f"cell ({model.name!r}) nor a synapse group ({sorted(names)})"
            )


def _build_cell(h: Any, model: CellModel) -> _Built:
    """Mechanisms loaded, morphology with biophysics, discretised; distances from the soma."""
    load_mechanisms(None)
    if model.mechanisms:
        load_mechanisms(model.mechanisms)
    h.load_file("stdrun.hoc")
    built = _Built(load_morphology(model.morphology))
    morph = built.morph
    apply_biophysics(morph, model.biophysics)
    morph.discretize(model.max_segment_length)
    h.celsius = model.celsius
    h.distance(0, morph.soma(0.5))
    return built


def _placement(h: Any, morph: Morphology, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """All synapses (placement tables of every group) with their path distance from the soma."""
    placement = (
        pd.concat(tables, ignore_index=True)
        if tables
        else pd.DataFrame(columns=["population", "section_type", "section_index", "x", "node_id"])
    )
    placement["distance"] = [
        float(h.distance(morph.soma(0.5), sec(x)))
        for sec, x in zip(_sections_of(morph, placement), placement["x"])
    ]
    return placement


@dataclass
class _Events:
    """Synapse activations (sorted by time) and presynaptic spike tables."""

    synapses: np.ndarray
    times: np.ndarray
    spikes: list[pd.DataFrame]


def _connect(
    pc: Any,
    built: _Built,
    groups: list[SynapseGroup],
    tables: list[pd.DataFrame],
    inputs: list[Input],
    duration: float,
    rng: np.random.Generator,
) -> _Events:
    """One point process + NetCon per synapse; presynaptic spikes and synapse activations per group."""
    event_syn, event_time, spike_parts = [], [], []
    offset = 0
    for group, table in zip(groups, tables):
        where = f"synapse group {group.population!r}"
        for k, (sec, x) in enumerate(zip(_sections_of(built.morph, table), table["x"])):
            syn = make_synapse(group.mechanism, sec, float(x), group.params, where)
            netcon = pc.gid_connect(offset + k, syn)
            netcon.weight[0] = float(group.weight)
            netcon.delay = float(group.delay)
            built.objects += [syn, netcon]
        cells = np.arange(group.n_cells, dtype=np.int64)
        pre_ids, pre_times = merged_spikes(inputs, group.population, cells, duration, rng)
        spike_parts.append(spike_table(group.population, pre_ids, pre_times))
        syn_idx, syn_times = activations(
            table["node_id"].to_numpy(np.int64),
            pre_ids,
            pre_times,
            release_prob_for(inputs, group.population),
            rng,
        )
        event_syn.append(syn_idx + offset)
        event_time.append(syn_times)
        offset += len(table)
    all_syn = np.concatenate(event_syn) if event_syn else np.zeros(0, np.int64)
    all_time = np.concatenate(event_time) if event_time else np.zeros(0)
    order = np.argsort(all_time, kind="stable")
    return _Events(all_syn[order], all_time[order], spike_parts)


def _play(h: Any, built: _Built, events: _Events) -> None:
    """Every synapse activation through one PatternStim."""
    tvec, gidvec = h.Vector(events.times), h.Vector(events.synapses.astype(np.float64))
    stim = h.PatternStim()
    stim.fake_output = 1
    stim.play(tvec, gidvec)
    built.objects += [stim, tvec, gidvec]


def _clamps(h: Any, built: _Built, model: CellModel, inputs: list[Input]) -> None:
    for clamp in clamps_for(inputs, model.name):
        clamp.targets(np.zeros(1, np.int64))
        secs = built.morph.sections.get(clamp.section)
        if not secs:
            raise InputSpecError(
                f"CurrentClamp on {model.name!r}: {built.morph.path} has no {clamp.section!r} section"
            )
        ic = h.IClamp(secs[0](clamp.x))
        ic.amp, ic.delay, ic.dur = clamp.amplitude, clamp.delay, clamp.duration
        built.objects.append(ic)


def _recorders(
    h: Any, built: _Built, model: CellModel, record: Iterable[RecordSite], step: float
) -> tuple[list[tuple[str, Any]], Any]:
    """Voltage vectors (soma ``v`` and every site) and the somatic spike times vector."""
    morph = built.morph
    sites = [("v", morph.soma, 0.5), *[(f"v_{s.label}", *s.resolve(morph)) for s in record]]
    vectors = []
    for variable, sec, x in sites:
        vec = h.Vector()
        vec.record(sec(x)._ref_v, step)
        vectors.append((variable, vec))
    spikes_vec = h.Vector()
    detector = h.NetCon(morph.soma(0.5)._ref_v, None, sec=morph.soma)
    detector.threshold = model.spike_threshold
    detector.record(spikes_vec)
    built.objects += [detector, spikes_vec]
    return vectors, spikes_vec


def _run(h: Any, v_init: float, dt: float, duration: float) -> float:
    """Initialise and run with a fixed step ``dt``; the wall-clock seconds of the run."""
    h.dt = dt
    h.steps_per_ms = 1.0 / dt
    started = _time.perf_counter()
    h.finitialize(v_init)
    advance_to(h, duration)
    return _time.perf_counter() - started


def _cell_spikes(name: str, spikes_vec: Any) -> pd.DataFrame:
    times = np.asarray(spikes_vec.as_numpy(), dtype=np.float64).copy()
    return spike_table(name, np.zeros(times.size, np.int64), times)


def _activations(placement: pd.DataFrame, events: _Events) -> pd.DataFrame:
    """The synapse activations table: synapse id, presynaptic population, time."""
    pop_of_syn = placement["population"].to_numpy()
    syn = events.synapses
    return pd.DataFrame(
        {"synapse_id": syn, "population": pop_of_syn[syn] if syn.size else [], "time": events.times}
    )


def _signals(name: str, vectors: list[tuple[str, Any]], step: float) -> dict[tuple[str, str], Signal]:
    signals: dict[tuple[str, str], Signal] = {}
    for variable, vec in vectors:
        values = np.asarray(vec.as_numpy(), dtype=np.float64).copy()
        times = np.arange(values.size, dtype=np.float64) * step
        signals[(name, variable)] = Signal(np.zeros(1, np.int64), times, values[:, None], "mV")
    return signals


def simulate_cell(
    model: CellModel,
    synapses: Iterable[SynapseGroup] = (),
    inputs: Iterable[Input] | None = None,
    duration: float = 1000.0,
    *,
    dt: float = 0.025,
    record: Iterable[RecordSite] = (),
    record_dt: float | None = None,
    seed: int | None = None,
) -> SimulationResult:
    """Run one single-cell simulation and return spikes, voltages and synapse tables.

    Parameters
    ----------
    model
        The cell.
    synapses
        One :class:`SynapseGroup` per presynaptic cell type.
    inputs
        Spike sources whose ``population`` names a synapse group (ongoing:
        :meth:`PoissonInput.from_interval`, evoked: :class:`PSTHInput`,
        given: :class:`SpikeTrainInput`), and :class:`CurrentClamp` on
        ``model.name`` (``section`` is a section type, ``x`` the position on
        its first section).
    duration, dt
        Simulated time and fixed time step (ms).
    record
        Dendritic recording sites; the soma voltage is always recorded as ``v``.
    record_dt
        Sampling step of recorded voltages (default ``dt``).
    seed
        Seed for synapse placement, spike trains and release.

    Returns
    -------
    SimulationResult
        ``spikes`` of the cell (population ``model.name``) and of every
        presynaptic cell type; ``signals[(model.name, "v")]`` and
        ``signals[(model.name, "v_<label>")]`` in mV; ``tables["synapses"]``
        (placement, soma distance) and ``tables["synapse_activations"]``.
    """
    from neuron import h

    started = _time.perf_counter()
    inputs = check_inputs(inputs)
    groups = list(synapses)
    _check_groups(model, groups, inputs)
    rng = np.random.default_rng(seed)
    built = _build_cell(h, model)

    # synapses: placement (vectorised), then one point process + NetCon per synapse
    pc = h.ParallelContext()
    pc.gid_clear()
    tables = [place_synapses(built.morph, g, rng) for g in groups]
    placement = _placement(h, built.morph, tables)
    events = _connect(pc, built, groups, tables, inputs, duration, rng)
    _play(h, built, events)
    _clamps(h, built, model, inputs)
    step = float(record_dt or dt)
    vectors, spikes_vec = _recorders(h, built, model, record, step)

    build_seconds = _time.perf_counter() - started
    run_seconds = _run(h, model.v_init, dt, duration)
    spike_parts = [*events.spikes, _cell_spikes(model.name, spikes_vec)]
    pc.gid_clear()
    placement.index.name = "synapse_id"
    return SimulationResult(
        spikes=concat_spike_tables(spike_parts),
        signals=_signals(model.name, vectors, step),
        sizes={model.name: 1, **{g.population: int(g.n_cells) for g in groups}},
        duration=float(duration),
        dt=float(dt),
        simulator="neuron",
        tables={"synapses": placement.reset_index(), "synapse_activations": _activations(placement, events)},
        build_seconds=build_seconds,
        run_seconds=run_seconds,
    )
