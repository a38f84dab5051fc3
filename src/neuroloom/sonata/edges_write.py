"""Write SONATA edge files: streaming (:class:`EdgeFileWriter`) or at once (:func:`write_edges`).

The writer appends edges in chunks to a temporary file, then builds both
indices out of core (:func:`neuroloom.sonata.index.write_index`) and renames
the file into place, so a crash never leaves a complete-looking file. When
the first chunk is also the last (``append(..., last=True)``), the columns are
written contiguously and the indices are built from the ids in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import MAGIC, VERSION
from neuroloom.sonata.columns import STR_DTYPE, as_column, write_column, write_dynamics
from neuroloom.sonata.index import write_index, write_index_arrays

CHUNK_ROWS = 1 << 18


class EdgeFileWriter:
    """Append edges of one population chunk by chunk, then index and publish the file.

    Parameters
    ----------
    path
        Destination edges file.
    population
        Edge population name (e.g. ``"v1_to_v1"``).
    source, target
        Source and target node population names.
    source_size, target_size
        Sizes of those populations (rows of ``node_id_to_ranges``).
    properties
        ``{name: dtype}`` of the per-edge properties (group ``"0"``). A list of
        strings as dtype declares an ``@library`` enumeration with those values;
        ``object`` a column of variable-length strings.
    compression
        ``None`` (default) or ``"gzip"`` (libsonata's wheel cannot read gzip).
    """

    def __init__(
        self,
        path: str | Path,
        population: str,
        *,
        source: str,
        target: str,
        source_size: int,
        target_size: int,
        properties: Mapping[str, Any] | None = None,
        compression: str | None = None,
        index_max_rows: int = 20_000_000,
    ) -> None:
        self.path = Path(path)
        self.population = population
        self.source_size = int(source_size)
        self.target_size = int(target_size)
        self.index_max_rows = index_max_rows
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(tmp_name(".h5"))
        self._fh = h5py.File(self._tmp, "w")
        self._fh.attrs["magic"] = np.uint32(MAGIC)
        self._fh.attrs["version"] = np.asarray(VERSION, dtype=np.uint32)
        grp = self._fh.create_group("edges").create_group(population)
        self.group = grp
        self._compression = compression
        self._node_populations = {"source_node_id": source, "target_node_id": target}
        # (group, dtype) of every column; the datasets are made by the first append (or close):
        # contiguous if that append is the last one, chunked and resizable otherwise
        # bmtk's dtypes for the type and group columns (readers convert as needed)
        self._columns: dict[str, tuple[h5py.Group, np.dtype[Any]]] = {
            "source_node_id": (grp, np.dtype(np.uint64)),
            "target_node_id": (grp, np.dtype(np.uint64)),
            "edge_type_id": (grp, np.dtype(np.int64)),  # signed, as node_type_id (-1: no type)
            "edge_group_id": (grp, np.dtype(np.uint16)),
            "edge_group_index": (grp, np.dtype(np.uint64)),
        }
        self._datasets: dict[str, h5py.Dataset] = {}
        g0 = grp.create_group("0")
        self._libraries: dict[str, dict[str, int]] = {}
        for name, dtype in (properties or {}).items():
            if isinstance(dtype, (list, tuple)):
                values = [str(v) for v in dtype]
                g0.require_group("@library").create_dataset(
                    name, data=np.asarray(values, dtype=object), dtype=STR_DTYPE
                )
                self._libraries[name] = {v: i for i, v in enumerate(values)}
                self._columns[name] = (g0, np.dtype(np.uint32))
            else:
                self._columns[name] = (g0, np.dtype(dtype))
        self.size = 0
        self._closed = False
        self._all_ids: tuple[np.ndarray, np.ndarray] | None = None  # when one append held every edge
        self._final = False

    def _make_datasets(self, data: Mapping[str, np.ndarray] | None) -> None:
        """Create every column: from ``data`` (contiguous, final) or empty and resizable."""
        kw: dict[str, Any] = {"compression": self._compression} if self._compression else {}
        for name, (grp, dtype) in self._columns.items():
            h5_dtype = STR_DTYPE if dtype.kind == "O" else dtype  # per-edge strings: variable length
            if data is not None and not kw:
                ds = grp.create_dataset(name, data=data[name], dtype=h5_dtype)
            elif data is not None:
                values = data[name]
                ds = grp.create_dataset(
                    name,
                    data=values,
                    dtype=h5_dtype,
                    chunks=(max(1, min(values.shape[0], CHUNK_ROWS)),),
                    **kw,
                )
            else:
                ds = grp.create_dataset(
                    name, shape=(0,), maxshape=(None,), dtype=h5_dtype, chunks=(CHUNK_ROWS,), **kw
                )
            if name in self._node_populations:
                ds.attrs["node_population"] = self._node_populations[name]
            self._datasets[name] = ds

    def append(
        self,
        source_ids: np.ndarray,
        target_ids: np.ndarray,
        edge_type_id: Any = 0,
        properties: Mapping[str, Any] | None = None,
        *,
        last: bool = False,
    ) -> None:
        """Append a chunk of edges (arrays of equal length; scalars are broadcast).

        ``last=True`` promises no further appends: if it is also the first, the
        columns are written contiguously and the indices are built in memory.
        """
        if self._final:
            raise SonataFormatError(f"{self.path}: append after the chunk given with last=True")
        src = np.asarray(source_ids)
        n = src.shape[0]
        types = as_column("edge_type_id", edge_type_id, n)
        cols: dict[str, np.ndarray] = {
            "source_node_id": src.astype(np.uint64, copy=False),
            "target_node_id": as_column("target_node_id", target_ids, n).astype(np.uint64, copy=False),
            "edge_type_id": types.astype(np.int64, copy=False),
            "edge_group_id": np.zeros(n, dtype=np.uint16),
            "edge_group_index": np.arange(self.size, self.size + n, dtype=np.uint64),
        }
        if n and (
            cols["source_node_id"].max() >= self.source_size
            or cols["target_node_id"].max() >= self.target_size
        ):
            raise SonataFormatError(
                f"{self.path}: an edge refers to a node id past the population size "
                f"({self.source_size} sources, {self.target_size} targets)"
            )
        props = dict(properties or {})
        unknown = set(props) - set(self._columns)
        if unknown:
            raise SonataFormatError(f"{self.path}: undeclared edge properties {sorted(unknown)}")
        for name in self._columns:
            if name in cols:
                continue
            if name not in props:
                raise SonataFormatError(f"{self.path}: edge chunk lacks property {name!r}")
            value = props[name]
            if name in self._libraries:
                lib = self._libraries[name]
                arr = np.asarray(value)
                texts = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
                try:
                    uniq, inv = np.unique(texts.astype(str), return_inverse=True)
                    codes = np.asarray([lib[u] for u in uniq], dtype=np.uint32)[inv]
                except KeyError as exc:
                    raise SonataFormatError(f"{self.path}: value {exc} of {name!r} is not declared") from None
                cols[name] = codes
            else:
                cols[name] = as_column(name, value, n)
        if not self._datasets and last:
            data = {name: np.asarray(cols[name], dtype=dtype) for name, (_, dtype) in self._columns.items()}
            self._make_datasets(data)
            self._all_ids = (data["source_node_id"], data["target_node_id"])
            self.size = n
            self._final = True
            return
        if not self._datasets:
            self._make_datasets(None)
        for name, values in cols.items():
            ds = self._datasets[name]
            ds.resize((self.size + n,))
            ds[self.size :] = values
        self.size += n

    def close(self, build_indices: bool = True) -> Path:
        """Build indices, write the file's attributes and rename it into place."""
        if self._closed:
            return self.path
        try:
            if not self._datasets:
                self._make_datasets(None)
            if build_indices and self._all_ids is not None:
                src, trg = self._all_ids
                write_index_arrays(self.group, "source_to_target", src.astype(np.int64), self.source_size)
                write_index_arrays(self.group, "target_to_source", trg.astype(np.int64), self.target_size)
            elif build_indices:
                write_index(self.group, "source_to_target", self.source_size, max_rows=self.index_max_rows)
                write_index(self.group, "target_to_source", self.target_size, max_rows=self.index_max_rows)
            self._all_ids = None
            self._fh.close()
            self._tmp.replace(self.path)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Drop the temporary file."""
        try:
            self._fh.close()
        except Exception:
            pass
        self._tmp.unlink(missing_ok=True)
        self._closed = True

    def __enter__(self) -> EdgeFileWriter:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_edges(
    path: str | Path,
    population: str,
    source_ids: Sequence[int] | np.ndarray,
    target_ids: Sequence[int] | np.ndarray,
    *,
    source: str,
    target: str,
    source_size: int,
    target_size: int,
    edge_type_id: Any = 0,
    properties: Mapping[str, Any] | None = None,
    dynamics: Mapping[str, Any] | None = None,
    sort: str | None = "target",
    enumerate_strings: bool | str = "auto",
    compression: str | None = None,
) -> Path:
    """Write one edge population (in memory) with both indices.

    Edges are sorted by (target, source) unless ``sort`` is ``"source"`` or ``None``.
    ``dynamics`` (per-edge values) is written as the ``0/dynamics_params`` subgroup.
    """
    src = np.asarray(source_ids, dtype=np.int64)
    trg = np.asarray(target_ids, dtype=np.int64)
    n = src.size
    if trg.size != n:
        raise SonataFormatError(f"{path}: {n} source ids but {trg.size} target ids")
    types = as_column("edge_type_id", edge_type_id, n)
    props = {k: as_column(k, v, n) for k, v in (properties or {}).items()}
    dyn = {k: as_column(k, v, n) for k, v in (dynamics or {}).items()}
    if sort is not None:
        order = np.lexsort((src, trg) if sort == "target" else (trg, src))
        src, trg, types = src[order], trg[order], types[order]
        props = {k: v[order] for k, v in props.items()}
        dyn = {k: v[order] for k, v in dyn.items()}
    numeric = {k: v.dtype for k, v in props.items() if v.dtype.kind in "iuf"}
    writer = EdgeFileWriter(
        path,
        population,
        source=source,
        target=target,
        source_size=source_size,
        target_size=target_size,
        properties=numeric,
        compression=compression,
    )
    try:
        writer.append(src, trg, types, {k: props[k] for k in numeric}, last=True)
        g0 = writer.group["0"]
        for name, values in props.items():
            if name not in numeric:
                write_column(g0, name, values, enumerate_strings=enumerate_strings, compression=compression)
        if dyn:
            write_dynamics(g0, dyn, compression)
    except BaseException:
        writer.abort()
        raise
    return writer.close()
