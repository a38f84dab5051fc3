"""NEURON single-cell simulations (in_silico_framework style).

``simulate_cell(CellModel(...), [SynapseGroup(...)], inputs, duration)`` runs
one detailed cell driven by presynaptic cell types; ``load_mechanisms`` compiles
.mod files once into the user cache. Importing this package does not import
NEURON; the first simulation does.
"""

from __future__ import annotations

from neuroloom.sim.neuron.cell import CellModel, RecordSite, simulate_cell
from neuroloom.sim.neuron.demo import demo_cell, demo_files
from neuroloom.sim.neuron.mechanisms import builtin_mechanisms_dir, compile_mechanisms, load_mechanisms
from neuroloom.sim.neuron.synapses import SynapseGroup

__all__ = [
    "CellModel",
    "RecordSite",
    "SynapseGroup",
    "builtin_mechanisms_dir",
    "compile_mechanisms",
    "demo_cell",
    "demo_files",
    "load_mechanisms",
    "simulate_cell",
]
