"""``Circuit(config)``: every node and edge population named in a circuit config."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom.errors import UnknownPopulationError
from neuroloom.sonata._h5 import open_h5
from neuroloom.sonata.config import read_circuit_config
from neuroloom.sonata.edges import EdgePopulation
from neuroloom.sonata.node_sets import read_node_sets, resolve_node_set
from neuroloom.sonata.nodes import NodePopulation


class _Populations(Mapping[str, Any]):
    def __init__(
        self,
        kind: str,
        entries: dict[str, tuple[str, str | None, dict[str, Any]]],
        factory: type,
        config_path: str,
    ) -> None:
        self.kind = kind
        self._entries = entries
        self._factory = factory
        self._open: dict[str, Any] = {}
        self._config_path = config_path

    def __getitem__(self, name: str) -> Any:
        if name not in self._entries:
            raise UnknownPopulationError(
                f"{self._config_path}: no {self.kind} population {name!r} (found {sorted(self._entries)})"
            )
        if name not in self._open:
            path, types, conf = self._entries[name]
            self._open[name] = self._factory(path, name, types, conf)
        return self._open[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def population_names(self) -> list[str]:
        return sorted(self._entries)


class Circuit:
    """A SONATA circuit: ``circuit.nodes[pop]``, ``circuit.edges[pop]``, node sets.

    Parameters
    ----------
    config
        Path to ``circuit_config.json``.
    """

    def __init__(self, config: str | Path) -> None:
        self.config_path = Path(config)
        self.config = read_circuit_config(self.config_path)
        networks = self.config["networks"]
        self.nodes = _Populations(
            "node", self._entries(networks.get("nodes", []), "nodes"), NodePopulation, str(self.config_path)
        )
        self.edges = _Populations(
            "edge", self._entries(networks.get("edges", []), "edges"), EdgePopulation, str(self.config_path)
        )
        self._node_sets: dict[str, Any] | None = None

    @property
    def node_sets(self) -> dict[str, Any]:
        """The config's node sets (read on first use, so a missing file fails only when needed)."""
        if self._node_sets is None:
            sets_file = self.config.get("node_sets_file")
            self._node_sets = read_node_sets(sets_file) if sets_file else {}
        return self._node_sets

    @staticmethod
    def _entries(
        entries: list[dict[str, Any]], kind: str
    ) -> dict[str, tuple[str, str | None, dict[str, Any]]]:
        out: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
        for entry in entries:
            path = entry[f"{kind}_file"]
            types = entry.get(f"{kind[:-1]}_types_file")
            pops = entry.get("populations")
            if not pops:
                with open_h5(path) as fh:
                    root = fh.get(kind)
                    pops = {k: {} for k in root} if isinstance(root, h5py.Group) else {}
            for name, conf in pops.items():
                out[name] = (path, types, dict(conf or {}))
        return out

    def node_ids(self, node_set: str | Mapping[str, Any] | list) -> dict[str, np.ndarray]:
        """Resolve a node set name (or rule) to ``{population: ids}``."""
        return resolve_node_set(self.node_sets, node_set, self.nodes)

    def __repr__(self) -> str:
        return (
            f"Circuit({str(self.config_path)!r}, nodes={self.nodes.population_names}, "
            f"edges={self.edges.population_names})"
        )
