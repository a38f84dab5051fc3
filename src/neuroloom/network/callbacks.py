"""bmtk-style per-pair / per-target / per-source connection callbacks and per-edge property callbacks.

Serial evaluation (the default) calls the user's functions in bmtk's order
with numpy's global random state: for each ``add_edges`` call in the order
they were made, the connection rule over every pair (``one_to_one``: source
major; ``all_to_one``: per target; ``one_to_all``: per source), then each
property rule over the edges, source major, one call per synapse. A script
seeded with ``np.random.seed`` gives bmtk's network.

Parallel evaluation (``Network(callback_workers=k)``, ``k > 1``) splits the
targets into fixed blocks of :data:`CALLBACK_BLOCK` ids and runs blocks in
``k`` forked worker processes. Before each block numpy's global generator
(and :mod:`random`) is seeded from ``(network seed, map index, block index)``,
and vectorised property rules draw from a generator seeded the same way: the
network is the same for any ``k > 1``, but not bmtk's random stream.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from neuroloom.errors import NetworkBuildError
from neuroloom.network.nodes import Node
from neuroloom.network.rules import Block, ConnectionRule, NodeArrays, Pairs

CALLBACK_BLOCK = 256
ITERATORS = ("one_to_one", "all_to_one", "one_to_all")


def _counts(value: Any, n: int, what: str, where: str) -> np.ndarray:
    """A callback's per-source (per-target) result as ``n`` synapse counts, or a clear error."""
    if value is None:
        return np.zeros(n, dtype=np.int64)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(value, dtype=object)
    if arr.ndim != 1 or arr.shape[0] != n:
        shape = (
            "a scalar" if arr.ndim == 0 else f"{arr.shape[0] if arr.ndim else 0} values (shape {arr.shape})"
        )
        raise NetworkBuildError(
            f"{where}: the connection rule returned {shape} for {what}; expected {n} values"
        )
    if arr.dtype.kind == "O":
        try:
            arr = np.asarray([0 if v is None else v for v in arr.tolist()], dtype=np.float64)
        except (TypeError, ValueError):
            raise NetworkBuildError(
                f"{where}: the connection rule returned non-numeric values for {what}; return synapse counts"
            ) from None
    if arr.dtype.kind not in "biuf":
        raise NetworkBuildError(
            f"{where}: the connection rule returned {arr.dtype} values for {what}; return synapse counts"
        )
    return arr.astype(np.int64, copy=False)


def _scalar_count(value: Any, where: str, s: Node, t: Node) -> int:
    if value is None:
        return 0
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return int(value)
    raise NetworkBuildError(
        f"{where}: the connection rule returned {type(value).__name__} for source node {s.node_id} -> "
        f"target node {t.node_id}; expected a synapse count (int)"
    )


class CallbackRule(ConnectionRule):
    """A bmtk connection rule called per pair / per target / per source (see the module docstring).

    ``one_to_one``: ``fn(source, target, **params) -> n``; ``all_to_one``:
    ``fn(sources, target, **params) -> [n per source]``; ``one_to_all``:
    ``fn(source, targets, **params) -> [n per target]``.
    """

    def __init__(self, fn: Callable[..., Any], params: Mapping[str, Any] | None, iterator: str) -> None:
        if iterator not in ITERATORS:
            raise NetworkBuildError(
                f"iterator must be one_to_one, all_to_one or one_to_all, not {iterator!r}"
            )
        self.fn = fn
        self.params = dict(params or {})
        self.iterator = iterator

    def counts(self, s_nodes: Sequence[Node], t_nodes: Sequence[Node], where: str) -> np.ndarray:
        """Synapse counts as a (targets, sources) matrix, calling ``fn`` in bmtk's order."""
        fn, params = self.fn, self.params
        n_s, n_t = len(s_nodes), len(t_nodes)
        out = np.zeros((n_t, n_s), dtype=np.int64)
        if self.iterator == "one_to_one":
            for j, s in enumerate(s_nodes):
                col = [fn(s, t, **params) for t in t_nodes]
                try:
                    out[:, j] = np.asarray([0 if v is None else v for v in col], dtype=np.int64)
                except (TypeError, ValueError):
                    for i, (t, v) in enumerate(zip(t_nodes, col)):
                        out[i, j] = _scalar_count(v, where, s, t)
        elif self.iterator == "all_to_one":
            src_list = list(s_nodes)  # one list, handed to every call
            for i, t in enumerate(t_nodes):
                out[i] = _counts(fn(src_list, t, **params), n_s, f"target node {t.node_id}", where)
        else:
            trg_list = list(t_nodes)
            for j, s in enumerate(s_nodes):
                out[:, j] = _counts(fn(s, trg_list, **params), n_t, f"source node {s.node_id}", where)
        if (out < 0).any():
            i, j = np.argwhere(out < 0)[0]
            raise NetworkBuildError(
                f"{where}: the connection rule returned a negative count for source node "
                f"{s_nodes[j].node_id} -> target node {t_nodes[i].node_id}"
            )
        return out

    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        if "src" not in state:
            raise NetworkBuildError("CallbackRule: evaluate the callbacks before generating blocks")

    def generate(self, block: Block) -> Pairs:
        trg = block.state["trg"]
        if block.target_ids.size == 0:
            z = np.zeros(0, np.int64)
            return z, z, None
        a, b = np.searchsorted(trg, [block.target_ids[0], block.target_ids[-1] + 1])
        keep = np.isin(trg[a:b], block.target_ids)
        return block.state["src"][a:b][keep], trg[a:b][keep], block.state["n"][a:b][keep]


def pairs_of_counts(
    counts: np.ndarray, s_ids: np.ndarray, t_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected pairs of a (targets, sources) count matrix, in bmtk's order (source major)."""
    sj, ti = np.nonzero(counts.T > 0)
    return s_ids[sj], t_ids[ti], counts[ti, sj]


def seed_globals(seed: int, k: int, b: int) -> None:
    """Seed numpy's global generator and :mod:`random` for block ``b`` of map ``k`` (parallel mode)."""
    state = np.random.SeedSequence([seed, k, b, 7]).generate_state(2)
    np.random.seed(int(state[0]))
    random.seed(int(state[1]))


def list_rule(values: Any, sources: Any, targets: Any, iterator: str) -> Callable[..., Any]:
    """bmtk's list connection rule as a callback.

    ``one_to_one``: one count per (source, target) pair, source major;
    ``one_to_all``: one count per target (the same for every source);
    ``all_to_one``: one count per source (the same for every target).
    """
    counts = np.asarray(values)
    s_pos = {int(n): i for i, n in enumerate(np.sort(sources.node_ids))}
    t_pos = {int(n): i for i, n in enumerate(np.sort(targets.node_ids))}
    n_s, n_t = len(s_pos), len(t_pos)
    expected = {"one_to_one": n_s * n_t, "one_to_all": n_t, "all_to_one": n_s}[iterator]
    if counts.ndim != 1 or counts.size != expected:
        raise NetworkBuildError(
            f"add_edges: a list connection_rule with iterator={iterator!r} needs {expected} values "
            f"({n_s} sources, {n_t} targets), got {counts.size}"
        )
    if iterator == "one_to_one":
        return lambda s, t: counts[s_pos[s.node_id] * n_t + t_pos[t.node_id]]
    if iterator == "one_to_all":
        return lambda s, ts: counts[[t_pos[t.node_id] for t in ts]]
    return lambda ss, t: counts[[s_pos[s.node_id] for s in ss]]
