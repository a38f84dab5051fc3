"""Write SONATA edge files: streaming (:class:`EdgeFileWriter`) or at once (:func:`write_edges`).

The writer appends edges in chunks to a temporary file, then builds both
indices out of core (:func:`neuroloom.sonata.index.write_index`) and renames
the file into place, so a crash never leaves a complete-looking file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import MAGIC, VERSION
from neuroloom.sonata.columns import STR_DTYPE, as_column, write_column
from neuroloom.sonata.index import write_index
from neuroloom.store.atomic import tmp_name

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
        strings as dtype declares an ``@library`` enumeration with those values.
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
        kw: dict[str, Any] = {"compression": compression} if compression else {}
        self._datasets: dict[str, h5py.Dataset] = {}

        def make(g: h5py.Group, name: str, dtype: Any) -> h5py.Dataset:
            return g.create_dataset(
                name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(CHUNK_ROWS,), **kw
            )

        self._datasets["source_node_id"] = make(grp, "source_node_id", np.uint64)
        self._datasets["target_node_id"] = make(grp, "target_node_id", np.uint64)
        self._datasets["source_node_id"].attrs["node_population"] = source
        self._datasets["target_node_id"].attrs["node_population"] = target
        # bmtk's dtypes for the type and group columns (readers convert as needed)
        self._datasets["edge_type_id"] = make(grp, "edge_type_id", np.uint32)
        self._datasets["edge_group_id"] = make(grp, "edge_group_id", np.uint16)
        self._datasets["edge_group_index"] = make(grp, "edge_group_index", np.uint64)
        g0 = grp.create_group("0")
        self._libraries: dict[str, dict[str, int]] = {}
        for name, dtype in (properties or {}).items():
            if isinstance(dtype, (list, tuple)):
                values = [str(v) for v in dtype]
                g0.require_group("@library").create_dataset(
                    name, data=np.asarray(values, dtype=object), dtype=STR_DTYPE
                )
                self._libraries[name] = {v: i for i, v in enumerate(values)}
                self._datasets[name] = make(g0, name, np.uint32)
            else:
                self._datasets[name] = make(g0, name, np.dtype(dtype))
        self.size = 0
        self._closed = False

    def append(
        self,
        source_ids: np.ndarray,
        target_ids: np.ndarray,
        edge_type_id: Any = 0,
        properties: Mapping[str, Any] | None = None,
    ) -> None:
        """Append a chunk of edges (arrays of equal length; scalars are broadcast)."""
        src = np.asarray(source_ids)
        n = src.shape[0]
        types = as_column("edge_type_id", edge_type_id, n)
        if n and types.min() < 0:
            raise SonataFormatError(f"{self.path}: edge_type_id must not be negative")
        cols: dict[str, np.ndarray] = {
            "source_node_id": src.astype(np.uint64, copy=False),
            "target_node_id": as_column("target_node_id", target_ids, n).astype(np.uint64, copy=False),
            "edge_type_id": types.astype(np.uint32, copy=False),
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
        unknown = set(props) - set(self._datasets)
        if unknown:
            raise SonataFormatError(f"{self.path}: undeclared edge properties {sorted(unknown)}")
        for name in self._datasets:
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
            if build_indices:
                write_index(self.group, "source_to_target", self.source_size, max_rows=self.index_max_rows)
                write_index(self.group, "target_to_source", self.target_size, max_rows=self.index_max_rows)
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
    sort: str | None = "target",
    enumerate_strings: bool | str = "auto",
    compression: str | None = None,
) -> Path:
    """Write one edge population (in memory) with both indices.

    Edges are sorted by (target, source) unless ``sort`` is ``"source"`` or ``None``.
    """
    src = np.asarray(source_ids, dtype=np.int64)
    trg = np.asarray(target_ids, dtype=np.int64)
    n = src.size
    if trg.size != n:
        raise SonataFormatError(f"{path}: {n} source ids but {trg.size} target ids")
    types = as_column("edge_type_id", edge_type_id, n)
    props = {k: as_column(k, v, n) for k, v in (properties or {}).items()}
    if sort is not None:
        order = np.lexsort((src, trg) if sort == "target" else (trg, src))
        src, trg, types = src[order], trg[order], types[order]
        props = {k: v[order] for k, v in props.items()}
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
        writer.append(src, trg, types, {k: props[k] for k in numeric})
        g0 = writer.group["0"]
        for name, values in props.items():
            if name not in numeric:
                write_column(g0, name, values, enumerate_strings=enumerate_strings, compression=compression)
    except BaseException:
        writer.abort()
        raise
    return writer.close()
