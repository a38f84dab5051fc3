"""Synapses on a NEURON cell: placement per presynaptic cell type, and their activations.

A :class:`SynapseGroup` describes the synapses one presynaptic cell type
makes: how many presynaptic cells there are, where the synapses sit (a
density in synapses per µm per section type, or a table with section type,
section index, position ``x`` and optionally the presynaptic ``node_id``, as
in_silico_framework's .syn/.con files), the synapse mechanism and its
parameters, weight (µS for conductance synapses) and delay (ms).

Placement and activation are vectorised: positions are drawn along the
concatenated section lengths with one ``searchsorted``; every synapse gets the
spikes of its presynaptic cell, each kept with the release probability.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom.errors import InputSpecError, SimulationError
from neuroloom.sim.neuron.morphology import Morphology

__all__ = ["SynapseGroup", "activations", "place_synapses"]

TABLE_COLUMNS = ("section_type", "section_index", "x")


@dataclass(frozen=True)
class SynapseGroup:
    """The synapses of one presynaptic cell type onto the cell.

    Parameters
    ----------
    population
        The presynaptic cell type; inputs with this population drive it.
    n_cells
        Number of presynaptic cells (node ids ``0..n_cells-1``).
    density
        Synapses per µm of section, per section type (``{"dend": 0.05}``).
    table
        Alternatively, explicit synapses: columns ``section_type``,
        ``section_index``, ``x`` (0..1) and optionally ``node_id``.
    mechanism
        A NEURON point process taking a NetCon weight (default ``NlSyn``).
    params
        Its parameters (``tau_rise``, ``tau_decay``, ``e`` for ``NlSyn``).
    weight, delay
        NetCon weight (µS for conductance synapses) and delay (ms).
    """

    population: str
    n_cells: int
    density: Mapping[str, float] | None = None
    table: pd.DataFrame | None = None
    mechanism: str = "NlSyn"
    params: Mapping[str, float] = field(default_factory=lambda: {"tau_rise": 0.2, "tau_decay": 2.0, "e": 0.0})
    weight: float = 0.001
    delay: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.population, str) or not self.population:
            raise InputSpecError("SynapseGroup: population must be a non-empty string")
        if int(self.n_cells) < 1:
            raise InputSpecError(f"SynapseGroup {self.population!r}: n_cells must be >= 1")
        if (self.density is None) == (self.table is None):
            raise InputSpecError(f"SynapseGroup {self.population!r}: give exactly one of density= or table=")
        if self.density is not None and any(float(v) < 0 for v in self.density.values()):
            raise InputSpecError(f"SynapseGroup {self.population!r}: densities must be >= 0 per µm")
        if self.table is not None:
            missing = [c for c in TABLE_COLUMNS if c not in self.table.columns]
            if missing:
                raise InputSpecError(
                    f"SynapseGroup {self.population!r}: the synapse table lacks columns {missing} "
                    f"(needs {list(TABLE_COLUMNS)}, optional node_id)"
                )
        if self.delay < 0:
            raise InputSpecError(f"SynapseGroup {self.population!r}: delay must be >= 0 ms")


def place_synapses(morph: Morphology, group: SynapseGroup, rng: np.random.Generator) -> pd.DataFrame:
    """Synapse positions of one group: ``section_type, section_index, x, node_id`` (+ ``population``)."""
    if group.table is not None:
        table = group.table.reset_index(drop=True)
        types = table["section_type"].astype(str).to_numpy()
        index = table["section_index"].to_numpy(np.int64)
        x = table["x"].to_numpy(np.float64)
        for kind in np.unique(types):
            count = len(morph.sections.get(str(kind), []))
            bad = (types == kind) & ((index < 0) | (index >= count))
            if bad.any():
                raise SimulationError(
                    f"synapse table of {group.population!r} names {kind}[{int(index[bad][0])}] but "
                    f"{morph.path} has {count} {kind!r} sections"
                )
        if np.any((x < 0) | (x > 1)):
            raise SimulationError(f"synapse table of {group.population!r}: x must lie in [0, 1]")
        if "node_id" in table.columns:
            node = table["node_id"].to_numpy(np.int64)
            if node.size and (node.min() < 0 or node.max() >= group.n_cells):
                raise SimulationError(
                    f"synapse table of {group.population!r}: node_id outside 0..{group.n_cells - 1}"
                )
        else:
            node = rng.integers(0, group.n_cells, size=len(table))
    else:
        assert group.density is not None
        parts_t, parts_i, parts_x = [], [], []
        for kind, density in group.density.items():
            if kind not in morph.sections:
                raise SimulationError(
                    f"SynapseGroup {group.population!r} places synapses on {kind!r} but {morph.path} "
                    f"has section types {sorted(morph.sections)}"
                )
            lengths = morph.lengths(kind)
            ends = np.cumsum(lengths)
            n = int(rng.poisson(float(density) * float(ends[-1])))
            u = np.sort(rng.random(n)) * ends[-1]
            idx = np.minimum(np.searchsorted(ends, u, side="right"), lengths.size - 1)
            starts = ends - lengths
            parts_t.append(np.full(n, kind, dtype=object))
            parts_i.append(idx.astype(np.int64))
            parts_x.append(np.clip((u - starts[idx]) / lengths[idx], 0.0, 1.0))
        types = np.concatenate(parts_t) if parts_t else np.zeros(0, dtype=object)
        index = np.concatenate(parts_i) if parts_i else np.zeros(0, np.int64)
        x = np.concatenate(parts_x) if parts_x else np.zeros(0)
        node = rng.integers(0, group.n_cells, size=index.size)
    return pd.DataFrame(
        {
            "population": group.population,
            "section_type": types.astype(str),
            "section_index": index,
            "x": x,
            "node_id": node.astype(np.int64),
        }
    )


def activations(
    synapse_node: npt.NDArray[np.int64],
    spike_nodes: npt.NDArray[np.int64],
    spike_times: npt.NDArray[np.float64],
    release_prob: float,
    rng: np.random.Generator,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Which synapse is activated when: ``(synapse_index, time)``.

    Every synapse receives each spike of its presynaptic node and transmits it
    with probability ``release_prob`` (independently per synapse and spike).
    """
    if synapse_node.size == 0 or spike_nodes.size == 0:
        return np.zeros(0, np.int64), np.zeros(0)
    order = np.argsort(spike_nodes, kind="stable")
    nodes_sorted, times_sorted = spike_nodes[order], spike_times[order]
    n_nodes = int(max(synapse_node.max(), nodes_sorted.max())) + 1
    counts = np.bincount(nodes_sorted, minlength=n_nodes)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    per_syn = counts[synapse_node]
    syn = np.repeat(np.arange(synapse_node.size, dtype=np.int64), per_syn)
    offsets = np.arange(syn.size) - np.repeat(np.cumsum(per_syn) - per_syn, per_syn)
    times = times_sorted[first[synapse_node][syn] + offsets]
    if release_prob < 1.0:
        keep = rng.random(syn.size) < release_prob
        syn, times = syn[keep], times[keep]
    return syn, times


def make_synapse(mechanism: str, section: Any, x: float, params: Mapping[str, float], where: str) -> Any:
    """Create one point process and set its parameters (errors name the group)."""
    from neuron import h

    try:
        syn = getattr(h, mechanism)(section(x))
    except (AttributeError, TypeError) as exc:
        raise SimulationError(
            f"{where}: NEURON has no point process {mechanism!r}; load its .mod file (mechanisms=...)"
        ) from exc
    for name, value in params.items():
        if not hasattr(syn, name):
            raise SimulationError(f"{where}: point process {mechanism!r} has no parameter {name!r}")
        setattr(syn, name, float(value))
    return syn
