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
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError
from neuroloom.network.callbacks import CallbackRule, list_rule
from neuroloom.network.connections import ConnectionMap
from neuroloom.network.generate import BuiltEdges, EdgeJob, generate_edge_files
from neuroloom.network.nodes import (
    POSITION_NAMES,
    Node,
    NodePool,
    NodeSet,
    is_per_node,
    node_table,
    per_node_array,
)
from neuroloom.network.rules import AllToAll, ConnectionRule
from neuroloom.network.save import built_edges, save_edges, save_network, save_node_sets, save_nodes
from neuroloom.sonata.nodes import match

FIRST_NODE_TYPE = 100
FIRST_EDGE_TYPE = 100


class IdGenerator:
    """bmtk's type-id numbering: from 100 up, skipping ids the user gave explicitly."""

    def __init__(self, first: int) -> None:
        self._next = first
        self._taken: set[int] = set()

    def take(self, value: Any, what: str) -> int:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise NetworkBuildError(f"{what} {value!r} must be one integer")
        if int(value) in self._taken:
            raise NetworkBuildError(f"{what} {value} already exists; give each call its own id")
        self._taken.add(int(value))
        return int(value)

    def next(self) -> int:
        while self._next in self._taken:
            self._next += 1
        self._taken.add(self._next)
        return self._next


def _seed_from_global_state() -> int:
    """A seed derived from numpy's global random state without drawing (bmtk's stream stays intact)."""
    _, keys, pos, *_ = np.random.get_state()
    return int(
        np.random.SeedSequence([int(pos), *np.asarray(keys[:8], dtype=np.uint64).tolist()]).generate_state(1)[
            0
        ]
    )


class Edge(Mapping[str, Any]):
    """One edge as bmtk's builder shows it: ``edge["syn_weight"]``, ``edge.source_node_id``."""

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        self.source_node_id = int(row["source_node_id"])
        self.target_node_id = int(row["target_node_id"])
        self.edge_type_id = int(row["edge_type_id"])

    @property
    def source_gid(self) -> int:
        """bmtk's older name of ``source_node_id``."""
        return self.source_node_id

    @property
    def target_gid(self) -> int:
        """bmtk's older name of ``target_node_id``."""
        return self.target_node_id

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


class Network:
    """A network of node populations and edge rules, written as SONATA.

    Parameters
    ----------
    name
        Network (and node population) name.
    seed
        Seed of every random draw of built-in and vectorised rules; ``None``
        derives one from numpy's global random state without drawing from it
        (so ``np.random.seed(...)`` in a bmtk script still makes it reproducible
        and the script's later draws are the ones bmtk makes).
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
    callback_workers
        Processes running bmtk-style callbacks (connection rules given as
        functions, per-edge ``add_properties`` functions). ``1`` (default): one
        process, calls in bmtk's order with numpy's global random state, so a
        script seeded with ``np.random.seed`` builds bmtk's network. ``k > 1``:
        targets are split into fixed blocks run by ``k`` forked processes, numpy's
        and :mod:`random`'s global generators seeded per block from ``(seed, map,
        block)``: the same network for every ``k > 1``, not bmtk's random stream
        (see :mod:`neuroloom.network.callbacks`).
    """

    def __init__(
        self,
        name: str,
        seed: int | None = None,
        chunk_edges: int = 4_000_000,
        work_dir: str | Path | None = None,
        threads: int | None = None,
        callback_workers: int = 1,
        **network_props: Any,
    ) -> None:
        if not name or any(c in name for c in "/ \\"):
            raise NetworkBuildError(f"network name {name!r} must be non-empty without '/', '\\' or spaces")
        self._name = name
        self.network_props = network_props
        self.seed = _seed_from_global_state() if seed is None else int(seed)
        self.chunk_edges = int(chunk_edges)
        self.callback_workers = max(int(callback_workers), 1)
        self._sets: list[NodeSet] = []
        self._table: pd.DataFrame | None = None
        self._objects: list[Node] | None = None
        self._n = 0
        self._node_type_ids = IdGenerator(FIRST_NODE_TYPE)
        self._edge_type_ids = IdGenerator(FIRST_EDGE_TYPE)
        self._connection_maps: list[ConnectionMap] = []
        self._node_set_rules: dict[str, Any] = {}
        self._built: BuiltEdges | None = None
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
        """Synapses built (bmtk counts a row with ``nsyns = k`` as k)."""
        return int(sum(self._built.synapses.values())) if self._built else 0

    @property
    def nodes_built(self) -> bool:
        return self._n > 0

    @property
    def edges_built(self) -> bool:
        return self._built is not None

    @property
    def node_sets(self) -> list[NodeSet]:
        """One :class:`NodeSet` per ``add_nodes`` call, in order."""
        return list(self._sets)

    def add_nodes(self, N: int = 1, **properties: Any) -> NodePool:  # noqa: N803 (bmtk's name)
        """Add ``N`` nodes (bmtk's rules).

        A list, array, range or generator of ``N`` values gives one value per node
        (HDF5 group); anything else (str, number, tuple, dict) is shared by the
        call's nodes and written in the node types table. ``node_type_id`` may be
        given (one int); otherwise types are numbered from 100 as bmtk does.
        """
        n = int(N)
        if n <= 0:
            raise NetworkBuildError(f"add_nodes: N must be positive, got {N}")
        params: dict[str, np.ndarray] = {}
        type_props: dict[str, Any] = {}
        for key, value in properties.items():
            if key == "node_id":
                raise NetworkBuildError(
                    "add_nodes: node ids are assigned by the network (0, 1, ... in order)"
                )
            if is_per_node(value):
                if key == "node_type_id":
                    raise NetworkBuildError(
                        'add_nodes: there can be only one "node_type_id" per add_nodes call'
                    )
                params[key] = per_node_array(key, value, n)
            else:
                type_props[key] = value
        if "node_type_id" in type_props:
            type_id = self._node_type_ids.take(type_props.pop("node_type_id"), "add_nodes: node_type_id")
        else:
            type_id = self._node_type_ids.next()
        for key, arr in params.items():
            if arr.ndim > 2 and key not in POSITION_NAMES:
                raise NetworkBuildError(
                    f"add_nodes: property {key!r} has shape {arr.shape}; use 1 or 2 dimensions"
                )
        self._sets.append(NodeSet(self._n, n, type_id, params, type_props))
        self._n += n
        self._table = None
        self._objects = None
        return NodePool(self, np.arange(self._n - n, self._n))

    def import_nodes(
        self, nodes_file_name: str | Path, node_types_file_name: str | Path, population: str | None = None
    ) -> None:
        """Add the nodes of a SONATA nodes file (bmtk's ``import_nodes``), keeping their ids and type ids.

        Values of the HDF5 group become per-node properties, the types table's
        columns shared ones; node ids must be ``0..N-1`` and this network empty.
        """
        from neuroloom.sonata.nodes import open_nodes

        if self._n:
            raise NetworkBuildError(f"import_nodes: network {self._name!r} already has nodes; import first")
        storage = open_nodes(nodes_file_name, node_types_file_name)
        if population is None and len(storage) != 1:
            raise NetworkBuildError(
                f"import_nodes: {nodes_file_name} holds {list(storage)}; pass population=..."
            )
        pop = storage[population or next(iter(storage))]
        try:
            types = pop.types if pop.types is not None else pd.DataFrame()
            names = [n for n in pop.property_names if n != "node_type_id" and n not in types.columns]
            frame = pop.get(None, ["node_type_id", *names])
        finally:
            pop.close()
        type_ids = frame["node_type_id"].to_numpy().astype(np.int64)
        starts = np.flatnonzero(np.diff(type_ids, prepend=type_ids[:1] - 1) != 0)
        seen: set[int] = set()
        for a, z in zip(starts, [*starts[1:], type_ids.size]):
            type_id = int(type_ids[a])
            if type_id not in seen:
                self._node_type_ids.take(type_id, "import_nodes: node_type_id")
                seen.add(type_id)
            shared: dict[str, Any] = {
                str(k): (v.item() if isinstance(v, np.generic) else v)
                for k, v in (types.loc[type_id].items() if type_id in types.index else [])
                if not (isinstance(v, float) and v != v)
            }
            params = {
                n: per_node_array(n, frame[n].iloc[a:z].astype(object).tolist(), int(z - a), "import_nodes")
                if isinstance(frame[n].dtype, pd.CategoricalDtype) or frame[n].dtype.kind == "O"
                else frame[n].to_numpy()[a:z]
                for n in names
            }
            self._sets.append(NodeSet(self._n, int(z - a), type_id, params, shared))
            self._n += int(z - a)
        self._table = None
        self._objects = None

    @property
    def node_table(self) -> pd.DataFrame:
        """All nodes' properties (row = node id), for vectorised rules."""
        if self._table is None:
            self._table = node_table(self._sets)
        return self._table

    def node_objects(self) -> list[Node]:
        """Every node as a bmtk-style :class:`Node` (index = node id), made once."""
        if self._objects is None:
            self._objects = [node for s in self._sets for node in s.node_objects(self._name)]
        return self._objects

    def nodes_iter(self, node_ids: Any = None) -> list[Node]:
        """bmtk's ``nodes_iter``: every node, or those whose id is in ``node_ids``, in id order."""
        nodes = self.node_objects()
        if node_ids is None:
            return list(nodes)
        wanted = set(np.atleast_1d(np.asarray(node_ids, dtype=np.int64)).tolist())
        return [n for n in nodes if n.node_id in wanted]

    def clear(self) -> None:
        """Forget the built edges (bmtk's ``clear``): the next :meth:`build` or save draws them again."""
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        self._work = None
        self._built = None

    @property
    def node_types(self) -> pd.DataFrame:
        rows = [{"node_type_id": s.node_type_id, **s.type_props} for s in self._sets]
        return pd.DataFrame(rows)

    def _set_mask(self, s: NodeSet, key: str, wanted: Any) -> np.ndarray | bool:
        if key == "node_id":
            return np.isin(s.ids, np.atleast_1d(wanted))
        if key == "node_type_id":
            value: Any = s.node_type_id
        elif key in s.type_props:
            value = s.type_props[key]
        elif key in s.params:
            column = s.params[key]
            if callable(wanted):
                return np.fromiter((bool(wanted(v)) for v in column), dtype=bool, count=s.n)
            if column.ndim > 1:
                return np.array([np.array_equal(v, wanted) for v in column], dtype=bool)
            return np.asarray(match(column, wanted), dtype=bool)
        else:
            return False
        if callable(wanted):
            return bool(wanted(value))
        if isinstance(wanted, (list, np.ndarray)):
            return value in list(wanted)
        return bool(np.all(value == wanted)) if isinstance(value, (tuple, list)) else bool(value == wanted)

    def nodes(self, **properties: Any) -> NodePool:
        """Nodes whose properties equal the given values (bmtk's filters).

        A list value means any of; a function is called on the value. A node
        without the property never matches. A name that is no property of any
        node is an error (a typo would otherwise select nothing).
        """
        known = {"node_id", "node_type_id"}
        for s in self._sets:
            known.update(s.params, s.type_props)
        unknown = sorted(set(properties) - known)
        if unknown:
            raise NetworkBuildError(
                f"{self._name}.nodes(): no node has the property {unknown} (properties: {sorted(known)})"
            )
        parts = []
        for s in self._sets:
            mask: np.ndarray | bool = True
            for key, wanted in properties.items():
                mask = mask & self._set_mask(s, key, wanted)
            if isinstance(mask, (bool, np.bool_)):
                parts.append(s.ids if mask else s.ids[:0])
            else:
                parts.append(s.ids[mask])
        ids = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return NodePool(self, ids, properties)

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
        props = dict(edge_type_properties)
        if props.get("is_gap_junction", False) and src.network is not trg.network:
            raise NetworkBuildError("add_edges: gap junctions must join two nodes of one network")
        if "nsyns" in props:  # bmtk: nsyns=k is connection_rule=k
            connection_rule = props.pop("nsyns")
        if "edge_type_id" in props:
            type_id = self._edge_type_ids.take(props.pop("edge_type_id"), "add_edges: edge_type_id")
        else:
            type_id = self._edge_type_ids.next()
        rule: ConnectionRule
        if isinstance(connection_rule, ConnectionRule):
            rule = connection_rule
        elif isinstance(connection_rule, (int, np.integer)) and not isinstance(connection_rule, bool):
            rule = AllToAll(int(connection_rule))
        elif isinstance(connection_rule, (float, np.floating)):  # bmtk scripts write nsyns=1e4
            rule = AllToAll(_whole_count(float(connection_rule)))
        elif callable(connection_rule):
            rule = CallbackRule(connection_rule, connection_params, iterator)
        elif isinstance(connection_rule, (list, np.ndarray)):
            rule = CallbackRule(list_rule(connection_rule, src, trg, iterator), None, iterator)
        else:
            raise NetworkBuildError(
                f"add_edges: connection_rule {connection_rule!r} is not an int, a rule or a function"
            )
        cm = ConnectionMap(src, trg, rule, type_id, props)
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
        """Add gap junctions (bmtk's): ``is_gap_junction=True`` and ``syn_weight`` = 1 / resistance.

        Both ends must be nodes of this network.
        """
        props = dict(edge_type_properties)
        props["syn_weight"] = 1.0 / resistance if conductance is None else conductance
        props["is_gap_junction"] = True
        props["distance_range"] = list(distance_range)
        props["target_sections"] = list(target_sections)
        return self.add_edges(source, target, connection_rule, None, iterator, **props)

    def get_connections(self) -> list[ConnectionMap]:
        return list(self._connection_maps)

    def build(self, force: bool = False, progress: bool = True, work_dir: str | Path | None = None) -> None:
        """Generate every edge, streaming them into indexed SONATA files in a work folder."""
        if self._built is not None and not force:
            return
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
        parent = Path(work_dir) if work_dir is not None else self.work_dir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self._work = Path(tempfile.mkdtemp(prefix=f".neuroloom-build-{self._name}-", dir=parent))
        jobs = [
            EdgeJob(
                cm,
                k,
                cm.source.network.node_table,
                cm.target.network.node_table,
                cm.source.network.node_objects,
                cm.target.network.node_objects,
            )
            for k, cm in enumerate(self._connection_maps)
        ]
        self._built = generate_edge_files(
            jobs,
            self._work,
            seed=self.seed,
            chunk_edges=self.chunk_edges,
            threads=self.threads,
            callback_workers=self.callback_workers,
            progress=progress,
        )

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
        node_sets: Mapping[str, Any] | None = None,
    ) -> None:
        """Write nodes, edges, types tables and ``circuit_config.json`` into ``output_dir``.

        Every file is written under a temporary name and renamed into place, nodes
        and types first, edges and the config last: a failed save leaves no file
        that looks complete. ``node_sets`` (name -> SONATA rule) and those given
        to :meth:`add_node_set` go to ``node_sets.json``, which the config
        references (sets already in the file are kept unless named again).
        """
        out = Path(output_dir)
        if self._built is None:  # on the output's file system: the edge files are linked, not copied
            self.build(work_dir=out if out.is_dir() else out.resolve().parent)
        assert self._built is not None
        moved = save_network(
            self._name,
            self._sets,
            self._built,
            Path(output_dir),
            force_overwrite=force_overwrite,
            compression=compression,
            config=config,
        )
        if moved and self._work is not None:  # the saved files are the built ones: drop the work folder
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None
        sets = {**self._node_set_rules, **(node_sets or {})}
        if sets:
            if not config:
                raise NetworkBuildError("save(config=False) writes no circuit_config.json to hold node sets")
            save_node_sets(out, sets)

    def add_node_set(self, name: str, rule: Mapping[str, Any] | list[str]) -> None:
        """Add a SONATA node set, written to ``node_sets.json`` by :meth:`save`.

        ``rule`` is a basic node set (``{"population": "v1", "ei": "i"}``, values
        may be lists, ``node_id`` a list of ids) or a list of node set names
        (compound).
        """
        self._node_set_rules[name] = rule if isinstance(rule, list) else dict(rule)

    def save_nodes(
        self,
        nodes_file_name: str | None = None,
        node_types_file_name: str | None = None,
        output_dir: str | Path = ".",
        force_overwrite: bool = True,
        compression: str | None = None,
    ) -> None:
        """Write ``<name>_nodes.h5`` and ``<name>_node_types.csv``."""
        save_nodes(
            self._name,
            self._sets,
            Path(output_dir),
            nodes_file_name,
            node_types_file_name,
            force_overwrite,
            compression,
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
        force_overwrite: bool = True,
        compression: str | None = None,
    ) -> None:
        """Write the edges of this network (optionally only one source/target network pair).

        Existing files are replaced, as bmtk replaces them (its ``force_overwrite=False``
        default is not acted on), so a build script runs again in the same folder;
        ``force_overwrite=False`` refuses to replace them.
        """
        if force_build or self._built is None:
            self.build()
        assert self._built is not None
        save_edges(
            self._built,
            Path(output_dir),
            edges_file_name,
            edge_types_file_name,
            src_network,
            trg_network,
            force_overwrite,
            compression,
        )
        del name

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
        if self._built is None:
            self.build()
        assert self._built is not None
        return EdgeList(
            built_edges(
                self._built,
                _ids(target_nodes),
                _ids(source_nodes),
                target_network,
                source_network,
                properties,
            )
        )

    def __repr__(self) -> str:
        return f"Network({self._name!r}, {self._n} nodes, {len(self._connection_maps)} connection maps)"


def _ids(selection: Any) -> np.ndarray | None:
    if selection is None:
        return None
    if isinstance(selection, NodePool):
        return selection.node_ids
    return np.atleast_1d(np.asarray(selection, dtype=np.int64))


def _whole_count(value: float) -> int:
    """A synapse count given as a float (``nsyns=1e4``): a whole number, or an error."""
    if not (np.isfinite(value) and value >= 0 and value.is_integer()):
        raise NetworkBuildError(
            f"add_edges: connection_rule/nsyns {value!r} is not a whole number of synapses per pair; "
            "give an int (e.g. nsyns=int(N / 4))"
        )
    return int(value)
