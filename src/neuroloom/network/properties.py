"""Per-edge properties (``ConnectionMap.add_properties``) and bmtk-style per-pair callbacks.

Vectorised property rules get :class:`~neuroloom.network.rules.NodeArrays`
with one row per edge and return one value per edge; bmtk-style rules get one
source and one target :class:`Node` per call (slow, for compatibility).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError
from neuroloom.network.rules import Block, ConnectionRule, NodeArrays, Pairs, wants_rng


class Node(Mapping[str, Any]):
    """A dict-like view of one node, as bmtk passes to per-pair rules."""

    def __init__(self, table: pd.DataFrame, node_id: int, network: str = "") -> None:
        self._table = table
        self.node_id = int(node_id)
        self.network = network

    def __getitem__(self, name: str) -> Any:
        if name == "node_id":
            return self.node_id
        if name in ("positions", "position") and "x" in self._table.columns:
            row = self._table.iloc[self.node_id]
            return np.array([row["x"], row["y"], row["z"]], dtype=np.float64)
        if name not in self._table.columns:
            raise KeyError(name)
        value = self._table[name].iat[self.node_id]
        return value.item() if isinstance(value, np.generic) else value

    def __iter__(self) -> Iterator[str]:
        return iter(["node_id", *self._table.columns])

    def __len__(self) -> int:
        return len(self._table.columns) + 1

    def __repr__(self) -> str:
        return f"Node({self.node_id}, {dict(self)})"


@dataclass
class PropertyRule:
    """``names`` filled by ``rule(**rule_params)`` with ``dtypes``; ``vectorized`` picks the calling style."""

    names: list[str]
    rule: Callable[..., Any] | Any
    rule_params: dict[str, Any]
    dtypes: list[np.dtype]
    vectorized: bool

    def evaluate(
        self,
        src: NodeArrays,
        trg: NodeArrays,
        rng: np.random.Generator,
        src_table: pd.DataFrame,
        trg_table: pd.DataFrame,
    ) -> dict[str, np.ndarray]:
        n = src.ids.size
        if not callable(self.rule):  # a constant
            return {name: np.full(n, self.rule, dtype=dt) for name, dt in zip(self.names, self.dtypes)}
        if self.vectorized:
            kwargs = dict(self.rule_params)
            if wants_rng(self.rule):
                kwargs["rng"] = rng
            out = self.rule(src, trg, **kwargs)
            values = list(out) if len(self.names) > 1 else [out]
        else:
            rows = [
                self.rule(Node(src_table, s), Node(trg_table, t), **self.rule_params)
                for s, t in zip(src.ids.tolist(), trg.ids.tolist())
            ]
            values = (
                [np.asarray([r[i] for r in rows]) for i in range(len(self.names))]
                if len(self.names) > 1
                else [np.asarray(rows)]
            )
        result: dict[str, np.ndarray] = {}
        for name, dt, val in zip(self.names, self.dtypes, values):
            arr = np.asarray(val)
            if arr.ndim == 0:
                arr = np.full(n, arr.item())
            if arr.shape != (n,):
                raise NetworkBuildError(
                    f"property rule for {name!r} returned shape {arr.shape}, expected ({n},)"
                )
            result[name] = arr.astype(dt, copy=False)
        return result


def as_dtypes(names: Sequence[str], dtypes: Any) -> list[np.dtype]:
    if dtypes is None:
        return [np.dtype(np.float64)] * len(names)
    seq = list(dtypes) if isinstance(dtypes, (list, tuple)) else [dtypes] * len(names)
    if len(seq) != len(names):
        raise NetworkBuildError(f"add_properties: {len(names)} names but {len(seq)} dtypes")
    out = []
    for d in seq:
        dt = np.dtype(d)
        if dt.kind == "b":
            dt = np.dtype(np.int8)
        if dt.kind not in "iuf":
            raise NetworkBuildError(f"add_properties: dtype {d!r} not supported (use ints or floats)")
        out.append(dt)
    return out


class CallbackRule(ConnectionRule):
    """A bmtk connection rule called per pair / per target / per source (slow, compatible).

    ``one_to_one``: ``fn(source, target, **params) -> n``; ``all_to_one``:
    ``fn(sources, target, **params) -> [n per source]``; ``one_to_all``:
    ``fn(source, targets, **params) -> [n per target]``. Evaluated once for the
    whole selection (with numpy's global random state, as in bmtk).
    """

    def __init__(self, fn: Callable[..., Any], params: Mapping[str, Any] | None, iterator: str) -> None:
        if iterator not in ("one_to_one", "all_to_one", "one_to_all"):
            raise NetworkBuildError(
                f"iterator must be one_to_one, all_to_one or one_to_all, not {iterator!r}"
            )
        self.fn = fn
        self.params = dict(params or {})
        self.iterator = iterator

    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        s_table, t_table = sources._table, targets._table
        s_nodes = [Node(s_table, i) for i in sources.ids.tolist()]
        t_nodes = [Node(t_table, i) for i in targets.ids.tolist()]
        n_s, n_t = len(s_nodes), len(t_nodes)
        counts = np.zeros((n_t, n_s), dtype=np.int64)
        if self.iterator == "one_to_one":
            for j, s in enumerate(s_nodes):
                for i, t in enumerate(t_nodes):
                    counts[i, j] = self.fn(s, t, **self.params) or 0
        elif self.iterator == "all_to_one":
            for i, t in enumerate(t_nodes):
                row = self.fn(s_nodes, t, **self.params)
                counts[i] = (
                    np.asarray([0 if v is None else v for v in row], dtype=np.int64) if row is not None else 0
                )
        else:
            for j, s in enumerate(s_nodes):
                col = self.fn(s, t_nodes, **self.params)
                counts[:, j] = (
                    np.asarray([0 if v is None else v for v in col], dtype=np.int64) if col is not None else 0
                )
        ti, sj = np.nonzero(counts > 0)
        state["trg"] = targets.ids[ti]
        state["src"] = sources.ids[sj]
        state["n"] = counts[ti, sj]

    def generate(self, block: Block) -> Pairs:
        trg = block.state["trg"]
        if block.target_ids.size == 0:
            z = np.zeros(0, np.int64)
            return z, z, None
        a, b = np.searchsorted(trg, [block.target_ids[0], block.target_ids[-1] + 1])
        keep = np.isin(trg[a:b], block.target_ids)
        return block.state["src"][a:b][keep], trg[a:b][keep], block.state["n"][a:b][keep]
