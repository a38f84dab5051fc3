"""Per-edge properties (``ConnectionMap.add_properties``) and bmtk-style per-pair callbacks.

Vectorised property rules get :class:`~neuroloom.network.rules.NodeArrays`
with one row per edge and return one value per edge; bmtk-style rules get one
source and one target :class:`Node` per call (slow, for compatibility).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from neuroloom.errors import NetworkBuildError
from neuroloom.network.nodes import Node
from neuroloom.network.rules import NodeArrays, wants_rng


@dataclass
class PropertyRule:
    """``names`` filled by ``rule(**rule_params)`` with ``dtypes``; ``vectorized`` picks the calling style."""

    names: list[str]
    rule: Callable[..., Any] | Any
    rule_params: dict[str, Any]
    dtypes: list[np.dtype]
    vectorized: bool

    @property
    def needs_nodes(self) -> bool:
        """Whether the rule is called per edge with bmtk-style :class:`Node` objects."""
        return callable(self.rule) and not self.vectorized

    def evaluate(
        self,
        src: NodeArrays,
        trg: NodeArrays,
        rng: np.random.Generator,
        src_nodes: Sequence[Node],
        trg_nodes: Sequence[Node],
        where: str = "add_properties",
    ) -> dict[str, np.ndarray]:
        """Values of ``names`` for the edges ``src.ids[i] -> trg.ids[i]``."""
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
            values = self._per_edge(src.ids, trg.ids, src_nodes, trg_nodes, where)
        result: dict[str, np.ndarray] = {}
        for name, dt, val in zip(self.names, self.dtypes, values):
            try:
                arr = np.asarray(val)
                if arr.ndim == 0:
                    arr = np.full(n, arr.item())
                if arr.shape != (n,):
                    raise NetworkBuildError(
                        f"{where}: property rule for {name!r} returned shape {arr.shape}, expected ({n},)"
                    )
                result[name] = (
                    arr.astype(str).astype(object) if dt.kind == "O" else arr.astype(dt, copy=False)
                )
            except (TypeError, ValueError) as exc:
                if isinstance(exc, NetworkBuildError):
                    raise
                raise NetworkBuildError(
                    f"{where}: property rule for {name!r} returned values that are not {dt} ({exc})"
                ) from None
        return result

    def _per_edge(
        self,
        s_ids: np.ndarray,
        t_ids: np.ndarray,
        src_nodes: Sequence[Node],
        trg_nodes: Sequence[Node],
        where: str,
    ) -> list[Any]:
        """bmtk's per-edge calls, one per edge in the given order."""
        rule, params = self.rule, self.rule_params
        if params:
            rows = [
                rule(src_nodes[s], trg_nodes[t], **params) for s, t in zip(s_ids.tolist(), t_ids.tolist())
            ]
        else:
            rows = [rule(src_nodes[s], trg_nodes[t]) for s, t in zip(s_ids.tolist(), t_ids.tolist())]
        if len(self.names) == 1:
            return [rows]
        k = len(self.names)
        for i, r in enumerate(rows):
            if not isinstance(r, (tuple, list, np.ndarray)) or len(r) != k:
                raise NetworkBuildError(
                    f"{where}: property rule for {self.names} returned {r!r} for source node "
                    f"{int(s_ids[i])} -> target node {int(t_ids[i])}; expected {k} values"
                )
        return [[r[i] for r in rows] for i in range(k)]


def as_dtypes(names: Sequence[str], dtypes: Any) -> list[np.dtype[Any]]:
    """One numeric dtype per name (``None``: float64; a dict maps names to dtypes, as bmtk allows)."""
    if dtypes is None:
        return [np.dtype(np.float64)] * len(names)
    if isinstance(dtypes, dict):
        seq = [dtypes.get(n, np.float64) for n in names]
    else:
        seq = list(dtypes) if isinstance(dtypes, (list, tuple)) else [dtypes] * len(names)
    if len(seq) != len(names):
        raise NetworkBuildError(f"add_properties: {len(names)} names but {len(seq)} dtypes")
    out = []
    for name, d in zip(names, seq):
        dt = np.dtype(d)
        if dt.kind == "b":
            dt = np.dtype(np.int8)
        if dt.kind in "OUS":
            dt = np.dtype(object)  # per-edge strings
        elif dt.kind not in "iuf":
            raise NetworkBuildError(
                f"add_properties: dtype {d!r} of {name!r} is not supported for per-edge values "
                "(use ints, floats or str)"
            )
        out.append(dt)
    return out
