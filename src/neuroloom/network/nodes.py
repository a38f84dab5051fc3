"""Nodes as bmtk's builder holds them: one :class:`NodeSet` per ``add_nodes`` call.

A property given as a scalar (or tuple, dict) is shared by the set's nodes and
belongs to its node type (types CSV); a list/array of length ``N`` gives one
value per node (HDF5 group). A :class:`Node` handed to callbacks "has" exactly
the properties its own ``add_nodes`` call gave it, as in bmtk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError


class NodeSource(Protocol):
    """What a :class:`NodePool` needs from its network."""

    @property
    def name(self) -> str: ...

    @property
    def nnodes(self) -> int: ...

    @property
    def node_table(self) -> pd.DataFrame: ...

    def node_objects(self) -> list[Node]: ...


POSITION_NAMES = ("positions", "position")


class Node(dict[str, Any]):
    """One node as bmtk passes it to rules: a dict of its own properties plus ``node_id``.

    ``'prop' in node`` is true only for properties its ``add_nodes`` call gave
    it; ``node['missing']`` raises ``KeyError``.
    """

    __slots__ = ("_type_keys", "network", "node_id", "node_type_id")

    def __init__(
        self,
        values: Mapping[str, Any],
        node_id: int,
        node_type_id: int,
        network: str = "",
        type_keys: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(values)
        self.node_id = int(node_id)
        self.node_type_id = int(node_type_id)
        self.network = network
        self._type_keys = type_keys | {"node_type_id"}

    @property
    def params(self) -> dict[str, Any]:
        """This node's own values (its ``add_nodes`` arrays and ``node_id``), as bmtk's ``Node.params``."""
        return {k: v for k, v in self.items() if k not in self._type_keys}

    @property
    def node_type_properties(self) -> dict[str, Any]:
        """The values its node type shares, with ``node_type_id`` (bmtk's ``Node.node_type_properties``)."""
        return {k: v for k, v in self.items() if k in self._type_keys}

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self.node_id)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Node):
            return self.node_id == other.node_id and self.network == other.network
        return dict.__eq__(self, other)

    def __repr__(self) -> str:
        return f"Node({self.node_id}, {dict(self)})"


def csv_text(value: Any) -> Any:
    """A shared list/tuple/dict as text for the types table, as bmtk writes it but without spaces.

    Tuples keep their parentheses (bmtk writes ``str(tuple)``, simulators parse
    it); no spaces, so every types-table reader splits the row right.
    """
    import json

    if not isinstance(value, (tuple, list, dict)):
        return value

    def plain(v: Any) -> Any:
        return v.item() if hasattr(v, "item") else str(v)

    try:
        text = json.dumps(
            list(value) if isinstance(value, tuple) else value, separators=(",", ":"), default=plain
        )
    except (TypeError, ValueError):
        return str(value).replace(" ", "")
    return f"({text[1:-1]})" if isinstance(value, tuple) else text


def types_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A node or edge types table, one row per type, a column per property (``None`` where a type lacks it).

    A column some types lack keeps its values as given (``d=10`` stays ``10``,
    written ``10`` as bmtk writes it, not ``10.0`` as a float column with NaN would).
    """
    names = list(dict.fromkeys(k for row in rows for k in row))
    columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        missing = any(name not in row for row in rows)
        columns[name] = pd.Series(values, dtype=object) if missing else pd.Series(values)
    return pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))


def _mixed_types(name: str, values: Sequence[Any]) -> None:
    kinds = {
        "str" if isinstance(v, (str, np.str_)) else "num"
        for v in values
        if v is not None and not (isinstance(v, float) and v != v)
    }
    if len(kinds) > 1:
        raise NetworkBuildError(
            f"add_nodes: property {name!r} mixes strings and numbers; give one type per property"
        )


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _fill_missing(name: str, values: list[Any]) -> np.ndarray:
    """A 1-D list with missing values (None/NaN): floats with NaN, or strings with ""."""
    present = [v for v in values if not _is_missing(v)]
    if not present:  # no value at all: the type comes from the other calls (see network.save)
        return np.asarray([None] * len(values), dtype=object)
    if all(isinstance(v, (str, np.str_)) for v in present):
        return np.asarray(["" if _is_missing(v) else str(v) for v in values], dtype=object)
    if all(isinstance(v, (bool, int, float, np.number, np.bool_)) for v in present):
        return np.asarray([np.nan if _is_missing(v) else float(v) for v in values], dtype=np.float64)
    return np.asarray(values, dtype=object)


def per_node_array(name: str, value: Any, n: int, where: str = "add_nodes") -> np.ndarray:
    """``value`` (list, array, range, generator) as an array with ``n`` rows, type-checked.

    Missing values (``None``) become NaN in numeric columns and "" in string columns.
    """
    if not isinstance(value, np.ndarray):
        value = list(value)
        if value and not isinstance(value[0], (tuple, list, np.ndarray, dict)):
            _mixed_types(name, value)
            if any(_is_missing(v) for v in value):
                value = _fill_missing(name, value)
    arr = np.asarray(value) if not isinstance(value, np.ndarray) or value.dtype.kind != "O" else value
    if arr.dtype.kind == "O" and arr.ndim == 1 and arr.size and not isinstance(arr[0], (dict, tuple, list)):
        _mixed_types(name, arr.tolist())
        if any(_is_missing(v) for v in arr.tolist()):
            arr = _fill_missing(name, arr.tolist())
    if arr.ndim == 0 or arr.shape[0] != n:
        got = arr.shape[0] if arr.ndim else 1
        raise NetworkBuildError(f"{where}: property {name!r} has {got} values for N={n}")
    return arr


def is_per_node(value: Any) -> bool:
    """bmtk's rule: lists, arrays, ranges and generators are per node; anything else is shared."""
    import types

    return isinstance(value, (list, np.ndarray, range, types.GeneratorType, pd.Series))


@dataclass
class NodeSet:
    """The nodes of one ``add_nodes`` call."""

    start: int
    n: int
    node_type_id: int
    params: dict[str, np.ndarray]
    type_props: dict[str, Any]
    _nodes: list[Node] | None = field(default=None, repr=False)

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.start, self.start + self.n, dtype=np.int64)

    def has(self, name: str) -> bool:
        return name in self.params or name in self.type_props or name in ("node_id", "node_type_id")

    def node_objects(self, network: str) -> list[Node]:
        """One :class:`Node` per node, made once (callbacks get the same objects every call)."""
        if self._nodes is None:
            shared = dict(self.type_props)
            shared["node_type_id"] = self.node_type_id
            type_keys = frozenset(shared)
            columns = {k: (v if v.ndim > 1 else v.tolist()) for k, v in self.params.items()}
            nodes = []
            for i in range(self.n):
                values = dict(shared)
                for key, col in columns.items():
                    values[key] = col[i]
                values["node_id"] = self.start + i
                nodes.append(Node(values, self.start + i, self.node_type_id, network, type_keys))
            self._nodes = nodes
        return self._nodes


def node_table(sets: Sequence[NodeSet]) -> pd.DataFrame:
    """Every node's properties in one frame (row = node id) for vectorised rules.

    ``positions`` (N, 3) also gives ``x``, ``y``, ``z``; other multi-column
    values are held as one object per row.
    """
    frames = []
    for s in sets:
        cols: dict[str, Any] = {"node_type_id": np.full(s.n, s.node_type_id, dtype=np.int64)}
        for key, value in s.type_props.items():
            cols[key] = [value] * s.n if isinstance(value, (tuple, list, dict)) else value
        for key, arr in s.params.items():
            if key in POSITION_NAMES and arr.ndim == 2 and arr.shape[1] == 3:
                cols["x"], cols["y"], cols["z"] = (arr[:, i].astype(np.float64) for i in range(3))
            elif arr.ndim > 1 or arr.dtype.kind == "O":
                cols[key] = pd.Series(list(arr), dtype=object).to_numpy()
            else:
                cols[key] = arr
        frames.append(pd.DataFrame(cols, index=pd.RangeIndex(s.start, s.start + s.n)))
    if not frames:
        return pd.DataFrame(index=pd.RangeIndex(0))
    return pd.concat(frames, ignore_index=True, sort=False)


class NodePool(Sequence[Node]):
    """Nodes of one network selected by property filters (bmtk's ``NodePool``)."""

    def __init__(
        self, network: NodeSource, ids: np.ndarray, filters: Mapping[str, Any] | None = None
    ) -> None:
        self.network = network
        self.node_ids = np.asarray(ids, dtype=np.int64)
        self.filters = dict(filters or {})

    @property
    def network_name(self) -> str:
        return self.network.name

    def __len__(self) -> int:
        return int(self.node_ids.size)

    def __getitem__(self, i: Any) -> Any:
        every = self.network.node_objects()
        if isinstance(i, slice):
            return [every[n] for n in self.node_ids[i].tolist()]
        return every[int(self.node_ids[i])]

    def __iter__(self) -> Iterator[Node]:
        every = self.network.node_objects()
        return (every[n] for n in self.node_ids.tolist())

    def to_frame(self) -> pd.DataFrame:
        """The selected nodes' properties, indexed by node id."""
        return self.network.node_table.iloc[self.node_ids].rename_axis("node_id")

    @property
    def filter_str(self) -> str:
        if not self.filters:
            return "*"
        return "&".join(f"{k}=='{v}'" for k, v in self.filters.items())  # bmtk's format

    def __repr__(self) -> str:
        return f"NodePool({self.network.name!r}, {self.filter_str}, {len(self)} nodes)"
