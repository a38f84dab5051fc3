"""``Network``: bmtk's ``NetworkBuilder`` calls, vectorised and streamed to disk.

A bmtk script switches by changing its import::

    from neuroloom.network import Network as NetworkBuilder

``add_nodes`` / ``add_edges`` / ``add_properties`` / ``build`` / ``save``
behave as in bmtk; built-in rules from :mod:`neuroloom.network.rules`
(``GaussianDistance``, ``FixedProbability``, ...) and ``vectorized=True``
property rules are the fast path. Edges are generated block by block of
target ids and written to disk as they come (see :mod:`neuroloom.network.generate`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError
from neuroloom.network.properties import CallbackRule, Node, PropertyRule, as_dtypes
from neuroloom.network.rules import AllToAll, ArrayRule, ConnectionRule

FIRST_NODE_TYPE = 100
FIRST_EDGE_TYPE = 100


class NodePool(Sequence[Node]):
    """Nodes of one network selected by property filters (bmtk's ``NodePool``)."""

    def __init__(self, network: Network, ids: np.ndarray, filters: Mapping[str, Any] | None = None) -> None:
        self.network = network
        self.node_ids = np.asarray(ids, dtype=np.int64)
        self.filters = dict(filters or {})

    def __len__(self) -> int:
        return int(self.node_ids.size)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [Node(self.network.node_table, n, self.network.name) for n in self.node_ids[i].tolist()]
        return Node(self.network.node_table, int(self.node_ids[i]), self.network.name)

    def __iter__(self) -> Iterator[Node]:
        table = self.network.node_table
        return (Node(table, n, self.network.name) for n in self.node_ids.tolist())

    def to_frame(self) -> pd.DataFrame:
        """The selected nodes' properties, indexed by node id."""
        return self.network.node_table.iloc[self.node_ids].rename_axis("node_id")

    @property
    def filter_str(self) -> str:
        if not self.filters:
            return "*"
        return "&".join(f"{k}=={v!r}" for k, v in self.filters.items())

    def __repr__(self) -> str:
        return f"NodePool({self.network.name!r}, {self.filter_str}, {len(self)} nodes)"


class Edge(Mapping[str, Any]):
    """One edge as bmtk's builder shows it: ``edge["syn_weight"]``, ``edge.source_node_id``."""

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        self.source_node_id = int(row["source_node_id"])
        self.target_node_id = int(row["target_node_id"])
        self.edge_type_id = int(row["edge_type_id"])

    def __getitem__(self, name: str) -> Any:
        return self._row[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)

    def __repr__(self) -> str:
        return f"Edge({self.source_node_id} -> {self.target_node_id}, type {self.edge_type_id})"


class EdgeList(Sequence[Edge]):
    """Edges returned by :meth:`Network.edges`: a sequence of :class:`Edge`, or ``.to_frame()``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame.reset_index(drop=True) if len(frame) else frame

    def to_frame(self) -> pd.DataFrame:
        """All edges as a DataFrame (one row per edge)."""
        return self._frame

    def __len__(self) -> int:
        return len(self._frame)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        row = self._frame.iloc[int(i)]
        return Edge({str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})

    def __iter__(self) -> Iterator[Edge]:
        for row in self._frame.to_dict("records"):
            yield Edge({str(k): v for k, v in row.items()})

    def __repr__(self) -> str:
        return f"EdgeList({len(self)} edges)"


class ConnectionMap:
    """One ``add_edges`` call: source/target selections, a rule, edge-type properties."""

    def __init__(
        self,
        source: NodePool,
        target: NodePool,
        rule: ConnectionRule,
        edge_type_id: int,
        edge_type_properties: dict[str, Any],
    ) -> None:
        self.source = source
        self.target = target
        self.rule = rule
        self.edge_type_id = edge_type_id
        self.edge_type_properties = edge_type_properties
        self.property_rules: list[PropertyRule] = []

    def add_properties(
        self,
        names: str | Sequence[str],
        rule: Callable[..., Any] | Any,
        rule_params: Mapping[str, Any] | None = None,
        dtypes: Any = None,
        vectorized: bool = False,
    ) -> None:
        """Give each edge its own value of ``names``.

        Parameters
        ----------
        names
            One property name or several (then ``rule`` returns one value per name).
        rule
            A constant, a bmtk-style ``rule(source_node, target_node, **rule_params)``
            called per edge, or (``vectorized=True``) ``rule(sources, targets,
            **rule_params)`` called on arrays with one row per edge (add an ``rng``
            parameter to get the block's reproducible generator).
        dtypes
            One dtype or one per name (default float64).
        """
        name_list = [names] if isinstance(names, str) else list(names)
        taken = {n for r in self.property_rules for n in r.names}
        if taken & set(name_list):
            raise NetworkBuildError(f"add_properties: {sorted(taken & set(name_list))} already added")
        self.property_rules.append(
            PropertyRule(name_list, rule, dict(rule_params or {}), as_dtypes(name_list, dtypes), vectorized)
        )

    @property
    def property_names(self) -> list[str]:
        return [n for r in self.property_rules for n in r.names]

    @property
    def source_network_name(self) -> str:
        return self.source.network.name

    @property
    def target_network_name(self) -> str:
        return self.target.network.name

    @property
    def may_repeat(self) -> bool:
        """Whether the rule can give several synapses per pair (then ``nsyns`` is written)."""
        return isinstance(self.rule, (CallbackRule, ArrayRule)) or (
            isinstance(self.rule, AllToAll) and self.rule.n_synapses > 1
        )

    def __repr__(self) -> str:
        return (
            f"ConnectionMap({self.source_network_name}:{self.source.filter_str} -> "
            f"{self.target_network_name}:{self.target.filter_str}, {self.rule!r})"
        )


class Network:
    """A network of node populations and edge rules, written as SONATA.

    Parameters
    ----------
    name
        Network (and node population) name.
    seed
        Seed of every random draw of built-in and vectorised rules; ``None``
        takes one from numpy's global random state (so ``np.random.seed(...)``
        in a bmtk script still makes it reproducible).
    chunk_edges
        Edges held in memory before they are written out (memory bound).
    work_dir
        Folder for the edge files written by :meth:`build` (default: the system's
        temporary folder; :meth:`save` on an unbuilt network builds in its output
        folder). Choose a disk, not a RAM-backed ``/tmp``, for large networks.
    threads
        Threads generating blocks of edges (default: up to 2). Used only when
        every rule is built in or draws from the ``rng`` it is given, so the
        network is the same for any number of threads.
    """

    def __init__(
        self,
        name: str,
        seed: int | None = None,
        chunk_edges: int = 4_000_000,
        work_dir: str | Path | None = None,
        threads: int | None = None,
        **network_props: Any,
    ) -> None:
        if not name or any(c in name for c in "/ \\"):
            raise NetworkBuildError(f"network name {name!r} must be non-empty without '/', '\\' or spaces")
        self._name = name
        self.network_props = network_props
        self.seed = int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)
        self.chunk_edges = int(chunk_edges)
        self._groups: list[pd.DataFrame] = []
        self._type_rows: list[dict[str, Any]] = []
        self._table: pd.DataFrame | None = None
        self._n = 0
        self._connection_maps: list[ConnectionMap] = []
        self._built: dict[str, Any] | None = None
        self._work: Path | None = None
        self.work_dir = Path(work_dir) if work_dir is not None else None
        self.threads = int(threads) if threads is not None else min(2, os.cpu_count() or 1)

    # ------------------------------------------------------------------ nodes
    @property
    def name(self) -> str:
        return self._name

    @property
    def nnodes(self) -> int:
        return self._n

    @property
    def nedges(self) -> int:
        return int(sum(self._built["counts"].values())) if self._built else 0

    @property
    def nodes_built(self) -> bool:
        return self._n > 0

    @property
    def edges_built(self) -> bool:
        return self._built is not None

    def add_nodes(self, N: int = 1, **properties: Any) -> NodePool:  # noqa: N803 (bmtk's name)
        """Add ``N`` nodes. Scalars are shared (one node type); arrays/lists give one value per node.

        ``positions`` given as ``(N, 3)`` becomes ``x``, ``y``, ``z``.
        """
        n = int(N)
        if n <= 0:
            raise NetworkBuildError(f"add_nodes: N must be positive, got {N}")
        type_id = FIRST_NODE_TYPE + len(self._type_rows)
        cols: dict[str, Any] = {"node_type_id": np.full(n, type_id, dtype=np.int64)}
        type_row: dict[str, Any] = {"node_type_id": type_id}
        for key, value in properties.items():
            if key in ("node_id", "node_type_id"):
                raise NetworkBuildError(f"add_nodes: {key!r} is assigned by the network")
            if isinstance(value, str) or np.ndim(value) == 0:
                cols[key] = value
                type_row[key] = value
                continue
            arr = np.asarray(value)
            if arr.shape[0] != n:
                raise NetworkBuildError(f"add_nodes: property {key!r} has {arr.shape[0]} values for N={n}")
            if arr.ndim == 2 and arr.shape[1] == 3 and key in ("positions", "position"):
                cols["x"], cols["y"], cols["z"] = (arr[:, i].astype(np.float64) for i in range(3))
            elif arr.ndim != 1:
                raise NetworkBuildError(
                    f"add_nodes: property {key!r} has shape {arr.shape}; SONATA node "
                    "properties are 1-D (positions (N, 3) is split into x, y, z)"
                )
            else:
                cols[key] = arr
        frame = pd.DataFrame(cols, index=pd.RangeIndex(self._n, self._n + n))
        self._groups.append(frame)
        self._type_rows.append(type_row)
        self._n += n
        self._table = None
        return NodePool(self, np.arange(self._n - n, self._n))

    @property
    def node_table(self) -> pd.DataFrame:
        """All nodes' properties (row = node id)."""
        if self._table is None:
            if not self._groups:
                return pd.DataFrame(index=pd.RangeIndex(0))
            self._table = pd.concat(self._groups, ignore_index=True, sort=False)
        return self._table

    @property
    def node_types(self) -> pd.DataFrame:
        return pd.DataFrame(self._type_rows)

    def nodes(self, **properties: Any) -> NodePool:
        """Nodes whose properties equal the given values (a list value means any of)."""
        from neuroloom.sonata.nodes import match

        table = self.node_table
        mask = np.ones(self._n, dtype=bool)
        for key, wanted in properties.items():
            if key == "node_id":
                mask &= np.isin(np.arange(self._n), np.atleast_1d(wanted))
                continue
            if key not in table.columns:
                mask[:] = False
                continue
            column = table[key]
            present = column.notna().to_numpy()
            mask &= present & match(column.to_numpy(), wanted)
        return NodePool(self, np.flatnonzero(mask), properties)

    def _pool(self, selection: Any, role: str) -> NodePool:
        if selection is None:
            return NodePool(self, np.arange(self._n))
        if isinstance(selection, NodePool):
            return selection
        if isinstance(selection, Mapping):
            return self.nodes(**selection)
        if isinstance(selection, Network):
            return NodePool(selection, np.arange(selection.nnodes))
        if isinstance(selection, Sequence) and selection and isinstance(selection[0], Node):
            raise NetworkBuildError(
                f"add_edges: pass {role} as net.nodes(...) (a NodePool), not a list of nodes"
            )
        ids = np.asarray(selection, dtype=np.int64)
        return NodePool(self, np.unique(ids))

    # ------------------------------------------------------------------ edges
    def add_edges(
        self,
        source: Any = None,
        target: Any = None,
        connection_rule: Any = 1,
        connection_params: Mapping[str, Any] | None = None,
        iterator: str = "one_to_one",
        **edge_type_properties: Any,
    ) -> ConnectionMap:
        """Add a connection rule between two node selections (see bmtk's ``add_edges``).

        ``connection_rule`` is an int (synapses per pair, all pairs), a
        :class:`~neuroloom.network.rules.ConnectionRule` (vectorised fast path) or
        a bmtk-style callable used with ``iterator``.
        """
        src = self._pool(source, "source")
        trg = self._pool(target, "target")
        if src.network is not self and trg.network is not self:
            raise NetworkBuildError("add_edges: the source or the target must be nodes of this network")
        rule: ConnectionRule
        if isinstance(connection_rule, ConnectionRule):
            rule = connection_rule
        elif isinstance(connection_rule, (int, np.integer)):
            rule = AllToAll(int(connection_rule))
        elif callable(connection_rule):
            rule = CallbackRule(connection_rule, connection_params, iterator)
        else:
            raise NetworkBuildError(
                f"add_edges: connection_rule {connection_rule!r} is not an int, a rule or a function"
            )
        cm = ConnectionMap(
            src, trg, rule, FIRST_EDGE_TYPE + len(self._connection_maps), dict(edge_type_properties)
        )
        self._connection_maps.append(cm)
        self._built = None
        return cm

    def add_gap_junctions(
        self,
        source: Any = None,
        target: Any = None,
        resistance: float = 1.0,
        conductance: float | None = None,
        distance_range: Sequence[float] = (0.0, 300.0),
        target_sections: Sequence[str] = ("somatic",),
        connection_rule: Any = 1,
        iterator: str = "one_to_one",
        **edge_type_properties: Any,
    ) -> ConnectionMap:
        """Add gap junctions: edges marked ``is_gap_junction`` with a resistance (or conductance)."""
        props = dict(edge_type_properties)
        props["is_gap_junction"] = True
        if conductance is not None:
            props["gap_junction_conductance"] = conductance
        else:
            props["gap_junction_resistance"] = resistance
        props.setdefault("distance_range", list(distance_range))
        props.setdefault("target_sections", list(target_sections))
        return self.add_edges(source, target, connection_rule, None, iterator, **props)

    def get_connections(self) -> list[ConnectionMap]:
        return list(self._connection_maps)

    def build(self, force: bool = False, progress: bool = True, work_dir: str | Path | None = None) -> None:
        """Generate every edge, streaming them into indexed SONATA files in a work folder."""
        if self._built is not None and not force:
            return
        from neuroloom.network.generate import generate_edge_files

        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        parent = Path(work_dir) if work_dir is not None else self.work_dir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(prefix=f".neuroloom-build-{self._name}-", dir=parent))
        self._built = generate_edge_files(self, self._work, progress=progress)

    def __del__(self) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    # ------------------------------------------------------------------ saving
    def save(
        self,
        output_dir: str | Path = ".",
        force_overwrite: bool = True,
        compression: str | None = None,
        config: bool = True,
    ) -> None:
        """Write nodes, edges, types tables and ``circuit_config.json`` into ``output_dir``."""
        from neuroloom.network.save import save_network

        save_network(
            self, Path(output_dir), force_overwrite=force_overwrite, compression=compression, config=config
        )

    def save_nodes(
        self,
        nodes_file_name: str | None = None,
        node_types_file_name: str | None = None,
        output_dir: str | Path = ".",
        force_overwrite: bool = True,
        compression: str | None = None,
    ) -> None:
        """Write ``<name>_nodes.h5`` and ``<name>_node_types.csv``."""
        from neuroloom.network.save import save_nodes

        save_nodes(
            self, Path(output_dir), nodes_file_name, node_types_file_name, force_overwrite, compression
        )

    def save_edges(
        self,
        edges_file_name: str | None = None,
        edge_types_file_name: str | None = None,
        output_dir: str | Path = ".",
        src_network: str | None = None,
        trg_network: str | None = None,
        name: str | None = None,
        force_build: bool = True,
        force_overwrite: bool = False,
        compression: str | None = None,
    ) -> None:
        """Write the edges of this network (optionally only one source/target network pair)."""
        from neuroloom.network.save import save_edges

        if force_build or self._built is None:
            self.build()
        save_edges(
            self,
            Path(output_dir),
            edges_file_name,
            edge_types_file_name,
            src_network,
            trg_network,
            name,
            force_overwrite,
            compression,
        )

    def edges(
        self,
        target_nodes: Any = None,
        source_nodes: Any = None,
        target_network: str | None = None,
        source_network: str | None = None,
        **properties: Any,
    ) -> EdgeList:
        """Built edges, filtered like bmtk's ``edges()``.

        Iterating gives dict-like :class:`Edge` objects as in bmtk;
        ``.to_frame()`` gives them all as one DataFrame (the fast way).
        """
        from neuroloom.network.save import built_edges

        if self._built is None:
            self.build()
        return EdgeList(
            built_edges(self, target_nodes, source_nodes, target_network, source_network, properties)
        )

    def __repr__(self) -> str:
        return f"Network({self._name!r}, {self._n} nodes, {len(self._connection_maps)} connection maps)"
