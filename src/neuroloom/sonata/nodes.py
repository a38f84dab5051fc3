"""SONATA node files: write strictly, read tolerantly.

``open_nodes(path)`` maps population names to :class:`NodePopulation`;
``write_nodes(path, {pop: {"node_type_id": ..., prop: values}})`` writes a file
every SONATA reader accepts (one group ``"0"``, 1-D ``x``/``y``/``z``, no
compression unless asked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import MAGIC, VERSION, dataset, read_all, read_rows
from neuroloom.sonata.columns import (
    broadcast_props,
    column_names,
    combine_groups,
    dynamics_names,
    read_column,
    wanted_names,
    write_column,
    write_dynamics,
)
from neuroloom.sonata.storage import PopulationStorage, open_population_group
from neuroloom.sonata.types_csv import by_type, read_types

Ids = int | Sequence[int] | np.ndarray | None
Query = Mapping[str, Any]


def _as_ids(ids: Ids, size: int, where: str) -> np.ndarray:
    if ids is None:
        return np.arange(size, dtype=np.int64)
    arr = np.atleast_1d(np.asarray(ids)).astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        bad = int(arr.max()) if arr.max() >= size else int(arr.min())
        raise SonataFormatError(f"{where}: node id {bad} is out of range (population size {size})")
    return arr


#: node set comparison operators (SONATA node sets spec) and their numpy form
_OPERATORS = {
    "$gt": np.greater,
    "$lt": np.less,
    "$gte": np.greater_equal,
    "$lte": np.less_equal,
}


def _match_operators(col: np.ndarray, wanted: Mapping[str, Any]) -> np.ndarray:
    """``{"$gt": 3, "$lte": 5}`` / ``{"$regex": "^L5"}`` (and neuroloom's ``min``/``max``)."""
    mask = np.ones(col.shape[0], dtype=bool)
    for op, bound in wanted.items():
        if op in _OPERATORS:
            mask &= _OPERATORS[op](col.astype(np.float64), float(bound))
        elif op == "$regex":  # the whole value must match, as libsonata's std::regex_match
            mask &= pd.Series(col.astype(str)).str.fullmatch(str(bound)).to_numpy(dtype=bool)
        elif op == "min":
            mask &= col >= bound
        elif op == "max":
            mask &= col <= bound
        else:
            raise SonataFormatError(f"unknown node set operator {op!r}; use $gt, $lt, $gte, $lte or $regex")
    return mask


def match(values: Any, wanted: Any) -> np.ndarray:
    """Boolean mask of ``values`` equal to ``wanted``.

    ``wanted`` is a scalar, a list (any of) or a mapping of operators
    (``$gt``, ``$lt``, ``$gte``, ``$lte``, ``$regex``, as in SONATA node sets).
    """
    if isinstance(values, pd.Categorical):
        values = np.asarray(values.astype(str), dtype=object)
    col = np.asarray(values)
    if isinstance(wanted, Mapping):
        return _match_operators(col, wanted)
    if isinstance(wanted, (list, tuple, set, np.ndarray)):
        if col.dtype.kind == "O":
            return np.isin(col.astype(str), [str(w) for w in wanted])
        return np.isin(col, list(wanted))
    if col.dtype.kind == "O":
        return np.asarray(col.astype(str) == str(wanted))
    return np.asarray(col == wanted)


class NodePopulation:
    """One node population of a SONATA nodes file.

    Node ids are row numbers (implicit ids); files with an explicit ``node_id``
    dataset that is not ``0..N-1`` are rejected with a clear message.
    """

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
        self._file, self.group = open_population_group(self.path, "nodes", name)
        self._type_ids = dataset(
            self.group, "node_type_id", "every node population has a node_type_id dataset, one per node"
        )
        self.size = int(self._type_ids.shape[0])
        self.types = read_types(types_path, "node_type_id") if types_path else None
        self._groups = {k: v for k, v in self.group.items() if isinstance(v, h5py.Group) and k.isdigit()}
        self._group_ids: np.ndarray | None = None
        self._group_index: np.ndarray | None = None
        if len(self._groups) > 1 or "node_group_index" in self.group:
            gid = (
                read_all(dataset(self.group, "node_group_id")).astype(np.int64)
                if "node_group_id" in self.group
                else np.zeros(self.size, np.int64)
            )
            gidx = read_all(dataset(self.group, "node_group_index")).astype(np.int64)
            if gid.size != self.size or gidx.size != self.size:
                raise SonataFormatError(
                    f"{self.path}: {self.group.name}/node_group_id/_index have {gid.size}/{gidx.size} rows "
                    f"but node_type_id has {self.size}"
                )
            if not (len(self._groups) == 1 and np.array_equal(gidx, np.arange(self.size))):
                self._group_ids, self._group_index = gid, gidx
        if "node_id" in self.group:
            node_id = read_all(self.group["node_id"])
            if node_id.size != self.size or not np.array_equal(node_id, np.arange(self.size)):
                raise SonataFormatError(
                    f"{self.path}: {self.group.name}/node_id is not 0..{self.size - 1}; rule: node ids are "
                    "implicit (row numbers), an explicit node_id must be 0..N-1"
                )
        self._columns: dict[str, str] = {}
        self._dynamics: dict[str, str] = {}
        for gname, grp in sorted(self._groups.items()):
            for col in column_names(grp):
                self._columns.setdefault(col, gname)
            for col in dynamics_names(grp):
                self._dynamics.setdefault(col, gname)

    def _group_rows(self, gname: str) -> int:
        """Number of rows group ``gname`` must have (every attribute dataset is checked against it)."""
        if self._group_ids is None:
            return self.size
        return int((self._group_ids == int(gname)).sum())

    # ------------------------------------------------------------------ info
    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"NodePopulation({self.name!r}, size={self.size}, file={str(self.path)!r})"

    @property
    def property_names(self) -> list[str]:
        """Every property: HDF5 columns, ``node_type_id`` and the types table's columns."""
        names = ["node_type_id", *self._columns]
        if self.types is not None:
            names += [c for c in self.types.columns if c not in names]
        return names

    @property
    def dynamics_property_names(self) -> list[str]:
        """Names of the per-node dynamics parameters (datasets of ``0/dynamics_params``)."""
        return list(self._dynamics)

    @property
    def type(self) -> str | None:
        """The population's ``type`` from the circuit config (``biophysical``, ``point_neuron``...)."""
        value = self.config.get("type")
        return str(value) if value is not None else None

    # ------------------------------------------------------------------ reads
    def _read_property(self, name: str, rows: np.ndarray | None) -> Any:
        n = self.size if rows is None else rows.size
        if name == "node_type_id":
            return read_all(self._type_ids) if rows is None else read_rows(self._type_ids, rows)
        if name in self._columns:
            if self._group_ids is None:
                return self._read_group_column(self._columns[name], name, rows)
            return self._read_multi_group(name, rows)
        if self.types is not None and name in self.types.columns:
            type_ids = self._read_property("node_type_id", rows)
            col = self.types[name]
            try:
                return by_type(col, type_ids)
            except (KeyError, ValueError):
                raise SonataFormatError(f"{self.path}: node_type_id missing from the types table") from None
        raise SonataFormatError(
            f"{self.path}: population {self.name!r} has no property {name!r} "
            f"(available: {self.property_names}); n={n}"
        )

    def _read_group_column(
        self, gname: str, name: str, rows: np.ndarray | None, dynamics: bool = False
    ) -> Any:
        grp = self._groups[gname]
        if dynamics:
            return read_column(grp["dynamics_params"], name, rows, self._group_rows(gname))
        if name in ("x", "y", "z") and name not in grp and "positions" in grp:
            pos = read_all(grp["positions"]) if rows is None else read_rows(grp["positions"], rows)
            return pos[:, "xyz".index(name)]
        return read_column(grp, name, rows, self._group_rows(gname))

    def _read_multi_group(self, name: str, rows: np.ndarray | None, dynamics: bool = False) -> Any:
        """A property across node groups; rows of a group without it take the types
        table's value (as bmtk merges them), else NaN."""
        assert self._group_ids is not None and self._group_index is not None
        rows = np.arange(self.size) if rows is None else rows
        gids = self._group_ids[rows]
        gidx = self._group_index[rows]
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        missing = False
        for gname, grp in self._groups.items():
            sel = np.flatnonzero(gids == int(gname))
            if sel.size == 0:
                continue
            names = dynamics_names(grp) if dynamics else column_names(grp)
            if name in names:
                parts.append((sel, np.asarray(self._read_group_column(gname, name, gidx[sel], dynamics))))
            elif not dynamics and self.types is not None and name in self.types.columns:
                type_ids = self._read_property("node_type_id", rows[sel])
                parts.append((sel, by_type(self.types[name], type_ids)))
            else:
                missing = True
        return combine_groups(parts, rows.size, missing)

    def get_dynamics(
        self, ids_or_query: Query | Ids = None, properties: str | Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Per-node dynamics parameters (``dynamics_params`` datasets) indexed by ``node_ids``."""
        ids = self.ids(ids_or_query)
        names = wanted_names(properties, self.dynamics_property_names)
        rows = None if ids.size == self.size and np.array_equal(ids, np.arange(self.size)) else ids
        data: dict[str, Any] = {}
        for name in names:
            if name not in self._dynamics:
                raise SonataFormatError(
                    f"{self.path}: population {self.name!r} has no dynamics parameter {name!r} "
                    f"(available: {self.dynamics_property_names})"
                )
            data[name] = (
                self._read_group_column(self._dynamics[name], name, rows, dynamics=True)
                if self._group_ids is None
                else self._read_multi_group(name, rows, dynamics=True)
            )
        return pd.DataFrame(data, index=pd.Index(ids, name="node_ids"))

    def ids(self, query: Query | Ids = None) -> np.ndarray:
        """Node ids matching ``query`` (a dict of property -> value/list), or the ids given."""
        if query is None:
            return np.arange(self.size, dtype=np.int64)
        if not isinstance(query, Mapping):
            return _as_ids(query, self.size, f"{self.path}:{self.group.name}")
        mask = np.ones(self.size, dtype=bool)
        for key, wanted in query.items():
            if key == "population":
                names = [wanted] if isinstance(wanted, str) else list(wanted)
                if self.name not in names:
                    mask[:] = False
                continue
            if key == "node_id":
                mask &= np.isin(np.arange(self.size), np.atleast_1d(wanted))
                continue
            mask &= match(self._read_property(key, None), wanted)
        return np.flatnonzero(mask)

    def get(
        self, ids_or_query: Query | Ids = None, properties: str | Sequence[str] | None = None
    ) -> pd.DataFrame:
        """Properties of the selected nodes as a DataFrame indexed by ``node_ids``.

        Parameters
        ----------
        ids_or_query
            ``None`` (all nodes), an id, ids, or a query dict such as ``{"ei": "e"}``.
        properties
            One name, a list of names, or ``None`` for all properties.
        """
        ids = self.ids(ids_or_query)
        names = wanted_names(properties, self.property_names)
        rows = None if ids.size == self.size and np.array_equal(ids, np.arange(self.size)) else ids
        data = {name: self._read_property(name, rows) for name in names}
        frame = pd.DataFrame(data, index=pd.Index(ids, name="node_ids"))
        return frame

    def positions(self, ids: Ids = None) -> np.ndarray:
        """``(n, 3)`` array of x, y, z."""
        frame = self.get(ids, ["x", "y", "z"])
        return frame.to_numpy(dtype=np.float64)

    def close(self) -> None:
        self._file.close()


class NodeStorage(PopulationStorage[NodePopulation]):
    """All populations of one nodes file (like libsonata's ``NodeStorage``)."""

    def __init__(self, path: str | Path, types_path: str | Path | None = None) -> None:
        super().__init__(path, types_path, "nodes", NodePopulation)


def open_nodes(path: str | Path, types_path: str | Path | None = None) -> NodeStorage:
    """Open a SONATA nodes file without a config: ``{population: NodePopulation}``."""
    return NodeStorage(path, types_path)


def write_nodes(
    path: str | Path,
    populations: Mapping[str, Mapping[str, Any]],
    *,
    enumerate_strings: bool | str = "auto",
    compression: str | None = None,
) -> Path:
    """Write a SONATA nodes file atomically.

    Parameters
    ----------
    path
        Destination ``.h5`` file (replaced if it exists).
    populations
        ``{population: {"node_type_id": ids_or_scalar, prop: values, ...}}``. Each
        mapping may hold ``"N"`` (number of nodes) when every value is a scalar.
        ``positions`` given as ``(N, 3)`` is written as 1-D ``x``, ``y``, ``z``;
        ``"dynamics_params"`` given as a mapping of per-node values is written as
        the ``0/dynamics_params`` subgroup.
    enumerate_strings
        ``True``: every string column as an ``@library`` enumeration; ``"auto"``:
        when values repeat; ``False``: plain variable-length strings.
    compression
        ``None`` (default, readable by every SONATA reader) or ``"gzip"``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name(".h5"))
    try:
        with h5py.File(tmp, "w") as fh:
            fh.attrs["magic"] = np.uint32(MAGIC)
            fh.attrs["version"] = np.asarray(VERSION, dtype=np.uint32)
            root = fh.create_group("nodes")
            for name, props in populations.items():
                props = dict(props)
                dynamics = (
                    props.pop("dynamics_params")
                    if isinstance(props.get("dynamics_params"), Mapping)
                    else None
                )
                n = _population_size(name, props)
                props.pop("N", None)
                type_ids = np.asarray(props.pop("node_type_id", 0))
                cols = broadcast_props(props, n)
                grp = root.create_group(name)
                kw: dict[str, Any] = {"compression": compression} if compression else {}
                grp.create_dataset(
                    "node_type_id", data=np.broadcast_to(type_ids, (n,)).astype(np.int64), **kw
                )
                grp.create_dataset("node_id", data=np.arange(n, dtype=np.uint64), **kw)
                grp.create_dataset("node_group_id", data=np.zeros(n, dtype=np.uint32), **kw)
                grp.create_dataset("node_group_index", data=np.arange(n, dtype=np.uint64), **kw)
                g0 = grp.create_group("0")
                for col, values in cols.items():
                    write_column(
                        g0, col, values, enumerate_strings=enumerate_strings, compression=compression
                    )
                if dynamics:
                    write_dynamics(g0, broadcast_props(dynamics, n), compression)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _population_size(name: str, props: Mapping[str, Any]) -> int:
    if "N" in props:
        return int(props["N"])
    for key, value in props.items():
        arr = np.asarray(value)
        if arr.ndim >= 1:
            return int(arr.shape[0])
        del key
    raise SonataFormatError(f"population {name!r}: give N or at least one per-node array")
