"""SONATA file formats: nodes, edges, indices, types tables, configs, node sets, reports.

Writers are strict (what libsonata and bluepysnap accept); readers are tolerant
(bmtk's output as bmtk writes it). Main entry points::

    from neuroloom.sonata import Circuit, open_nodes, open_edges, write_spikes, read_spikes
"""

from __future__ import annotations

from neuroloom.sonata.circuit import Circuit
from neuroloom.sonata.config import (
    population_properties,
    read_circuit_config,
    read_simulation_config,
    write_circuit_config,
)
from neuroloom.sonata.edges import EdgePopulation, EdgeSelection, EdgeStorage, open_edges
from neuroloom.sonata.edges_write import EdgeFileWriter, write_edges
from neuroloom.sonata.node_sets import read_node_sets, resolve_node_set, write_node_sets
from neuroloom.sonata.nodes import NodePopulation, NodeStorage, open_nodes, write_nodes
from neuroloom.sonata.reports import (
    FrameReport,
    read_frame_report,
    read_spikes,
    spike_sorting,
    write_frame_report,
    write_spikes,
)
from neuroloom.sonata.types_csv import read_types, write_types
from neuroloom.sonata.validate import Violation, validate

__all__ = [
    "Circuit",
    "EdgeFileWriter",
    "EdgePopulation",
    "EdgeSelection",
    "EdgeStorage",
    "FrameReport",
    "NodePopulation",
    "NodeStorage",
    "Violation",
    "open_edges",
    "open_nodes",
    "population_properties",
    "read_circuit_config",
    "read_frame_report",
    "read_node_sets",
    "read_simulation_config",
    "read_spikes",
    "read_types",
    "resolve_node_set",
    "spike_sorting",
    "validate",
    "write_circuit_config",
    "write_edges",
    "write_frame_report",
    "write_node_sets",
    "write_nodes",
    "write_spikes",
    "write_types",
]
