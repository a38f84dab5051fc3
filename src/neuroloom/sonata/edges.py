"""SONATA edge files: read edge populations by id ranges, coalescing reads.

:func:`open_edges` maps population names to :class:`EdgePopulation`. Queries
(``afferent_edges``, ``efferent_edges``, ``pathway_edges``) return an
:class:`EdgeSelection`, a list of ``[start, stop)`` edge-id ranges, and
``get(selection, properties)`` reads each column with one HDF5 call per run of
neighbouring ranges. Writing lives in :mod:`neuroloom.sonata.edges_write`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import attr_text, dataset, np_ranges, ranges_of, read_all, read_ranges, read_rows
from neuroloom.sonata.columns import (
    check_column,
    column_names,
    combine_groups,
    dynamics_names,
    is_enum,
    read_column,
    wanted_names,
)
from neuroloom.sonata.index import IndexReader, merge_ranges
from neuroloom.sonata.storage import PopulationStorage, open_population_group
from neuroloom.sonata.types_csv import by_type, read_types

_INT = np.int64


class EdgeSelection:
    """A set of edge ids held as sorted, disjoint ``[start, stop)`` ranges."""

    def __init__(self, starts: np.ndarray, stops: np.ndarray) -> None:
        self.starts = np.asarray(starts, dtype=_INT)
        self.stops = np.asarray(stops, dtype=_INT)
        self._ids: np.ndarray | None = None

    @classmethod
    def from_ids(cls, ids: Sequence[int] | np.ndarray) -> EdgeSelection:
        uniq = np.unique(np.asarray(ids, dtype=_INT))
        return cls(*ranges_of(uniq))

    @property
    def ranges(self) -> np.ndarray:
        """``(n, 2)`` array of ranges."""
        return np.stack([self.starts, self.stops], axis=1)

    def flatten(self) -> np.ndarray:
        """The edge ids, sorted (computed once)."""
        if self._ids is None:
            self._ids = np_ranges(self.starts, self.stops)
            self._ids.flags.writeable = False
        return self._ids

    @property
    def size(self) -> int:
        return int((self.stops - self.starts).sum())

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"EdgeSelection({self.size} edges in {self.starts.size} ranges)"


class EdgePopulation:
    """One edge population of a SONATA edges file."""

    def __init__(
        self,
        path: str | Path,
        name: str,
        types_path: str | Path | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = name
        self.config = dict(config or {})
        self._file, self.group = open_population_group(self.path, "edges", name)
        rule = "every edge population has source_node_id, target_node_id and edge_type_id, one per edge"
        self._src = dataset(self.group, "source_node_id", rule)
        self._trg = dataset(self.group, "target_node_id", rule)
        self._type_ds = dataset(self.group, "edge_type_id", rule)
        self.size = int(self._src.shape[0])
        for ds_name in ("target_node_id", "edge_type_id"):
            if ds_name in self.group and self.group[ds_name].shape[0] != self.size:
                raise SonataFormatError(
                    f"{self.path}: {self.group.name}/{ds_name} has {self.group[ds_name].shape[0]} rows "
                    f"but source_node_id has {self.size}"
                )
        self.source = attr_text(self._src, "node_population", name) or name
        self.target = attr_text(self._trg, "node_population", name) or name
        self.types = read_types(types_path, "edge_type_id") if types_path else None
        self._groups = {k: v for k, v in self.group.items() if isinstance(v, h5py.Group) and k.isdigit()}
        # several groups, or one group addressed through edge_group_index (bmtk)
        self._multi = len(self._groups) > 1 or (
            len(self._groups) == 1
            and "edge_group_index" in self.group
            and not _is_identity(self.group["edge_group_index"], self.size)
        )
        self._columns: dict[str, str] = {}
        self._dynamics: dict[str, str] = {}
        for gname, grp in sorted(self._groups.items()):
            for col in column_names(grp):
                self._columns.setdefault(col, gname)
            for col in dynamics_names(grp):
                self._dynamics.setdefault(col, gname)
        self._index: dict[str, IndexReader | None] = {}
        self._plain: dict[str, tuple[h5py.Dataset, bool]] = {}

    # ------------------------------------------------------------------ info
    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return (
            f"EdgePopulation({self.name!r}, {self.source!r} -> {self.target!r}, size={self.size}, "
            f"file={str(self.path)!r})"
        )

    @property
    def property_names(self) -> list[str]:
        names = ["source_node_id", "target_node_id", "edge_type_id", *self._columns]
        if self.types is not None:
            names += [c for c in self.types.columns if c not in names]
        return [n for n in names if n != "edge_type_id" or self._type_ds is not None]

    @property
    def dynamics_property_names(self) -> list[str]:
        """Names of the per-edge dynamics parameters (datasets of ``0/dynamics_params``)."""
        return list(self._dynamics)

    def _reader(self, direction: str) -> IndexReader | None:
        if direction not in self._index:
            grp = self.group.get(f"indices/{direction}")
            self._index[direction] = (
                IndexReader(grp, direction, self.size) if isinstance(grp, h5py.Group) else None
            )
        return self._index[direction]

    # ------------------------------------------------------------------ selections
    def _by_node(self, direction: str, node_ids: Any) -> EdgeSelection:
        ids = np.atleast_1d(np.asarray(node_ids, dtype=_INT))
        reader = self._reader(direction)
        if reader is not None:
            return EdgeSelection(*reader.edge_ranges(ids))
        column = self._trg if direction == "target_to_source" else self._src
        values = read_all(column).astype(_INT)
        return EdgeSelection(*ranges_of(np.flatnonzero(np.isin(values, ids))))

    def afferent_edges(self, node_ids: Any) -> EdgeSelection:
        """Edges whose target is one of ``node_ids``."""
        return self._by_node("target_to_source", node_ids)

    def efferent_edges(self, node_ids: Any) -> EdgeSelection:
        """Edges whose source is one of ``node_ids``."""
        return self._by_node("source_to_target", node_ids)

    def pathway_edges(self, source_ids: Any = None, target_ids: Any = None) -> EdgeSelection:
        """Edges from any of ``source_ids`` to any of ``target_ids`` (``None``: any node)."""
        if source_ids is None and target_ids is None:
            return self.select_all()
        if target_ids is None:
            return self.efferent_edges(source_ids)
        sel = self.afferent_edges(target_ids)
        if source_ids is None:
            return sel
        src = read_ranges(self._src, sel.starts, sel.stops).astype(_INT)
        keep = np.isin(src, np.asarray(source_ids, dtype=_INT))
        return EdgeSelection(*ranges_of(sel.flatten()[keep]))

    def select_all(self) -> EdgeSelection:
        return (
            EdgeSelection(np.array([0]), np.array([self.size]))
            if self.size
            else EdgeSelection(np.zeros(0), np.zeros(0))
        )

    def _selection(self, edges: EdgeSelection | Sequence[int] | np.ndarray | None) -> EdgeSelection:
        if edges is None:
            return self.select_all()
        if isinstance(edges, EdgeSelection):
            sel = edges
        else:
            sel = EdgeSelection.from_ids(np.atleast_1d(np.asarray(edges)))
        if sel.starts.size and (sel.stops.max() > self.size or sel.starts.min() < 0):
            raise SonataFormatError(
                f"{self.path}: edge id {int(sel.stops.max()) - 1} is out of range for population "
                f"{self.name!r} ({self.size} edges)"
            )
        return sel

    # ------------------------------------------------------------------ reads
    def source_nodes(self, edges: EdgeSelection | Sequence[int] | np.ndarray | None) -> np.ndarray:
        sel = self._selection(edges)
        return read_ranges(self._src, sel.starts, sel.stops).astype(_INT)

    def target_nodes(self, edges: EdgeSelection | Sequence[int] | np.ndarray | None) -> np.ndarray:
        sel = self._selection(edges)
        return read_ranges(self._trg, sel.starts, sel.stops).astype(_INT)

    def _column(self, name: str, sel: EdgeSelection) -> Any:
        if name == "source_node_id":
            return read_ranges(self._src, sel.starts, sel.stops)
        if name == "target_node_id":
            return read_ranges(self._trg, sel.starts, sel.stops)
        if name == "edge_type_id":
            if not isinstance(self._type_ds, h5py.Dataset):
                dataset(self.group, "edge_type_id")  # raises the clear error
            return read_ranges(self._type_ds, sel.starts, sel.stops)
        if name in self._columns:
            if not self._multi:
                ds, enum = self._plain_dataset(name)
                if enum or ds.dtype.kind in ("S", "O"):
                    return read_column(self._groups[self._columns[name]], name, sel.flatten())
                return read_ranges(ds, sel.starts, sel.stops, sel.flatten())
            values = self._multi_column(name, sel)
            if self.types is not None and name in self.types.columns and values.dtype.kind == "f":
                missing = np.isnan(values)
                if missing.any():  # group value missing: the edge type's value applies (bmtk)
                    type_ids = self._column("edge_type_id", sel)[missing]
                    values[missing] = pd.to_numeric(self.types[name].reindex(type_ids), errors="coerce")
            return values
        if self.types is not None and name in self.types.columns:
            type_ids = self._column("edge_type_id", sel)
            return by_type(self.types[name], type_ids)
        raise SonataFormatError(
            f"{self.path}: edge population {self.name!r} has no property {name!r} "
            f"(available: {self.property_names})"
        )

    def _plain_dataset(self, name: str) -> tuple[h5py.Dataset, bool]:
        """The dataset of a single-group column (checked once, then cached)."""
        if name not in self._plain:
            grp = self._groups[self._columns[name]]
            if name in ("x", "y", "z") and name not in grp:
                raise SonataFormatError(f"{self.path}: edge property {name!r} must be a 1-D dataset")
            ds = grp[name]
            check_column(ds, self.size)
            self._plain[name] = (ds, is_enum(grp, name))
        return self._plain[name]

    def _multi_column(self, name: str, sel: EdgeSelection, dynamics: bool = False) -> np.ndarray:
        gids = read_ranges(dataset(self.group, "edge_group_id"), sel.starts, sel.stops).astype(_INT)
        gidx = read_ranges(dataset(self.group, "edge_group_index"), sel.starts, sel.stops).astype(_INT)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        missing = False
        for gname, grp in self._groups.items():
            where = np.flatnonzero(gids == int(gname))
            if where.size == 0:
                continue
            sub = grp.get("dynamics_params") if dynamics else grp
            if isinstance(sub, h5py.Group) and name in sub and isinstance(sub[name], h5py.Dataset):
                parts.append((where, np.asarray(read_column(sub, name, gidx[where], _rows_of(sub, name)))))
            else:
                missing = True  # edges of this group have no value: NaN (numbers) or None
        return combine_groups(parts, gids.size, missing)

    def get(
        self,
        edges: EdgeSelection | Sequence[int] | np.ndarray | None = None,
        properties: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Properties of the selected edges, as a DataFrame indexed by ``edge_ids``."""
        sel = self._selection(edges)
        names = wanted_names(properties, self.property_names)
        data = {name: self._column(name, sel) for name in names}
        if sel.starts.size == 1:
            index: pd.Index = pd.RangeIndex(int(sel.starts[0]), int(sel.stops[0]), name="edge_ids")
        else:
            index = pd.Index(sel.flatten(), name="edge_ids")
        return pd.DataFrame(data, index=index, copy=False)

    def get_dynamics(
        self,
        edges: EdgeSelection | Sequence[int] | np.ndarray | None = None,
        properties: str | Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Per-edge dynamics parameters (``dynamics_params`` datasets), indexed by ``edge_ids``."""
        sel = self._selection(edges)
        names = wanted_names(properties, self.dynamics_property_names)
        data: dict[str, Any] = {}
        for name in names:
            if name not in self._dynamics:
                raise SonataFormatError(
                    f"{self.path}: edge population {self.name!r} has no dynamics parameter {name!r} "
                    f"(available: {self.dynamics_property_names})"
                )
            if self._multi:
                data[name] = self._multi_column(name, sel, dynamics=True)
            else:
                sub = self._groups[self._dynamics[name]]["dynamics_params"]
                data[name] = read_column(sub, name, sel.flatten(), self.size)
        return pd.DataFrame(data, index=pd.Index(sel.flatten(), name="edge_ids"))

    def afferent_counts(self, node_ids: Any) -> pd.Series:
        """Number of edges onto each of ``node_ids`` (0 for nodes without edges)."""
        ids = np.atleast_1d(np.asarray(node_ids, dtype=_INT))
        reader = self._reader("target_to_source")
        if reader is not None and ids.size:
            uniq = np.unique(ids)
            counts = np.zeros(uniq.size, dtype=_INT)
            valid = uniq[(uniq >= 0) & (uniq < reader.n_nodes)]
            if valid.size:
                from neuroloom.sonata._h5 import read_rows

                n2r = read_rows(reader.node_to_ranges, valid).astype(_INT)
                ranges_all = _range_lengths(reader, n2r)
                counts[np.searchsorted(uniq, valid)] = ranges_all
            return pd.Series(
                counts[np.searchsorted(uniq, ids)], index=pd.Index(ids, name="node_ids"), name="count"
            )
        trg = read_all(self._trg).astype(_INT)
        binc = np.bincount(trg, minlength=int(ids.max()) + 1 if ids.size else 0)
        return pd.Series(binc[ids], index=pd.Index(ids, name="node_ids"), name="count")

    def connection_counts(self, node_ids: Any) -> dict[int, dict[int, int]]:
        """``{target: {source: n_edges}}`` for each of ``node_ids`` (as neurodamus ``get_conn_counts``)."""
        ids = np.atleast_1d(np.asarray(node_ids, dtype=_INT))
        sel = self.afferent_edges(ids)
        src = read_ranges(self._src, sel.starts, sel.stops).astype(_INT)
        trg = read_ranges(self._trg, sel.starts, sel.stops).astype(_INT)
        out: dict[int, dict[int, int]] = {int(t): {} for t in ids}
        if src.size:
            pairs, counts = np.unique(np.stack([trg, src], axis=1), axis=0, return_counts=True)
            splits = np.flatnonzero(np.diff(pairs[:, 0])) + 1
            for block, cnt in zip(np.split(pairs, splits), np.split(counts, splits)):
                out[int(block[0, 0])] = dict(zip(block[:, 1].tolist(), cnt.tolist()))
        return out

    def iter_connections(
        self,
        source_ids: Any = None,
        target_ids: Any = None,
        return_edge_count: bool = False,
        chunk_targets: int = 4096,
    ) -> Iterator[tuple[int, ...]]:
        """Yield unique ``(source, target)`` pairs (``(source, target, n_edges)`` if asked)."""
        if target_ids is None:
            target_ids = np.arange(
                self.target_size()
                if self._reader("target_to_source")
                else int(read_all(self._trg).max()) + 1
                if self.size
                else 0
            )
        targets = np.unique(np.asarray(target_ids, dtype=_INT))
        for i in range(0, targets.size, chunk_targets):
            sel = self.pathway_edges(source_ids, targets[i : i + chunk_targets])
            if sel.size == 0:
                continue
            src = read_ranges(self._src, sel.starts, sel.stops).astype(_INT)
            trg = read_ranges(self._trg, sel.starts, sel.stops).astype(_INT)
            pairs, counts = np.unique(np.stack([trg, src], axis=1), axis=0, return_counts=True)
            for (t, s), c in zip(pairs.tolist(), counts.tolist()):
                yield (s, t, c) if return_edge_count else (s, t)

    def target_size(self) -> int:
        reader = self._reader("target_to_source")
        return reader.n_nodes if reader is not None else int(read_all(self._trg).max()) + 1

    def close(self) -> None:
        self._file.close()


def _rows_of(group: h5py.Group, name: str) -> int | None:
    """Rows of ``group`` (taken from its first dataset, ``name`` excluded), or ``None`` if unknown."""
    for key, obj in group.items():
        if key != name and isinstance(obj, h5py.Dataset) and obj.shape is not None and obj.ndim == 1:
            return int(obj.shape[0])
    return None


#: edge_group_index files up to this many rows are checked in full; larger ones by a sample
IDENTITY_FULL_CHECK = 4_000_000
IDENTITY_SAMPLE = 65_536


def _is_identity(ds: h5py.Dataset, n: int) -> bool:
    """Whether ``ds`` (an edge_group_index) is 0..n-1, i.e. group rows are edge ids.

    Files up to :data:`IDENTITY_FULL_CHECK` edges are checked in full; larger
    ones on an evenly spaced sample plus the first and last rows, so opening a
    population never reads a whole large column.
    """
    if ds.shape != (n,):
        return False
    if n <= IDENTITY_FULL_CHECK:
        values = read_all(ds)
        return bool(np.array_equal(values, np.arange(n, dtype=values.dtype)))
    rows = np.unique(np.concatenate(([0, n - 1], np.linspace(0, n - 1, IDENTITY_SAMPLE).astype(np.int64))))
    return bool(np.array_equal(read_rows(ds, rows).astype(np.int64), rows))


def _range_lengths(reader: IndexReader, n2r: np.ndarray) -> np.ndarray:
    """Number of edges per node from its ``node_id_to_ranges`` rows (coalesced reads)."""
    lengths = np.zeros(n2r.shape[0], dtype=_INT)
    has = n2r[:, 1] > n2r[:, 0]
    if not has.any():
        return lengths
    rows = n2r[has]
    order = np.argsort(rows[:, 0], kind="stable")
    srt = rows[order]
    starts, stops = merge_ranges(srt[:, 0], srt[:, 1])
    block = read_ranges(reader.range_to_edges, starts, stops).astype(_INT)
    per_range = block[:, 1] - block[:, 0]
    # cumulative sums over the concatenated range rows, indexed by each node's rows
    offs = np.concatenate(([0], np.cumsum(stops - starts)))
    which = np.searchsorted(starts, srt[:, 0], side="right") - 1
    pos0 = offs[which] + (srt[:, 0] - starts[which])
    pos1 = pos0 + (srt[:, 1] - srt[:, 0])
    csum = np.concatenate(([0], np.cumsum(per_range)))
    sub = np.empty(rows.shape[0], dtype=_INT)
    sub[order] = csum[pos1] - csum[pos0]
    lengths[has] = sub
    return lengths


class EdgeStorage(PopulationStorage[EdgePopulation]):
    """All populations of one edges file (like libsonata's ``EdgeStorage``)."""

    def __init__(self, path: str | Path, types_path: str | Path | None = None) -> None:
        super().__init__(path, types_path, "edges", EdgePopulation)


def open_edges(path: str | Path, types_path: str | Path | None = None) -> EdgeStorage:
    """Open a SONATA edges file without a config: ``{population: EdgePopulation}``."""
    return EdgeStorage(path, types_path)
