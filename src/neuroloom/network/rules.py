"""Connection rules. Built-in rules are vectorised over a block of targets.

A rule's :meth:`ConnectionRule.generate` receives a :class:`Block` (the
source nodes of the connection, a block of its target nodes, their properties
and a random generator owned by the block) and returns the connected pairs as
``(source_ids, target_ids, n_synapses or None)``. Random numbers come only from
``block.rng``, which is seeded per fixed block of target ids, so a network is
the same whatever the chunk size used to build it.

Built-ins: :class:`FixedProbability`, :class:`GaussianDistance` (spatial
grid, cost ~ N x neighbours), :class:`FixedInDegree`, :class:`FixedOutDegree`,
:class:`OneToOne`, :class:`AllToAll`, and :class:`ArrayRule` for user
functions that take arrays of source and target properties.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import NetworkBuildError
from neuroloom.network.spatial import Grid, bernoulli_skips, gaussian_pairs

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray | None]


class NodeColumns:
    """Numpy copies of a node table's columns (and an (N, 3) positions array), made once.

    Shared read-only by every block (also across threads).
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.names = list(table.columns)
        self.arrays: dict[str, np.ndarray] = {}
        self.positions: np.ndarray | None = None
        if all(c in table.columns for c in ("x", "y", "z")):
            self.positions = np.ascontiguousarray(table[["x", "y", "z"]].to_numpy(dtype=np.float64))

    def column(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            if name not in self.table.columns:
                raise NetworkBuildError(f"nodes have no property {name!r} (have {self.names})")
            self.arrays[name] = np.asarray(self.table[name].to_numpy())
        return self.arrays[name]


class NodeArrays(Mapping[str, np.ndarray]):
    """Column access to node properties for given rows: ``arr["x"]``, ``arr.positions``."""

    def __init__(self, table: pd.DataFrame | NodeColumns, ids: np.ndarray) -> None:
        self._columns = table if isinstance(table, NodeColumns) else NodeColumns(table)
        self._table = self._columns.table
        self.ids = np.asarray(ids, dtype=np.int64)

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "node_id":
            return self.ids
        if name in ("positions", "position"):
            return self.positions
        return np.asarray(self._columns.column(name)[self.ids])

    @property
    def positions(self) -> np.ndarray:
        if self._columns.positions is None:
            raise NetworkBuildError("nodes have no positions (give positions=(N, 3) or x, y, z to add_nodes)")
        return np.take(self._columns.positions, self.ids, axis=0)  # faster than positions[ids]

    def __iter__(self) -> Any:
        return iter(["node_id", *self._columns.names])

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass
class Block:
    """What a rule sees: all its sources, a block of its targets, and the block's generator."""

    source_ids: np.ndarray
    target_ids: np.ndarray
    sources: NodeArrays
    targets: NodeArrays
    rng: np.random.Generator
    same_population: bool
    state: dict[str, Any] = field(default_factory=dict)


class ConnectionRule:
    """Base class of vectorised connection rules."""

    #: whether the rule draws random numbers (all built-ins except one-to-one/all-to-all)
    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        """Precompute what every block needs (e.g. a spatial index of the sources)."""

    def generate(self, block: Block) -> Pairs:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def _drop_autapses(
    src: np.ndarray, trg: np.ndarray, counts: np.ndarray | None, block: Block, autapses: bool
) -> Pairs:
    if autapses or not block.same_population:
        return src, trg, counts
    keep = src != trg
    return src[keep], trg[keep], None if counts is None else counts[keep]


class FixedProbability(ConnectionRule):
    """Each (source, target) pair is connected with probability ``p``."""

    def __init__(self, p: float, autapses: bool = False) -> None:
        if not 0.0 <= p <= 1.0:
            raise NetworkBuildError(f"FixedProbability: p must be in [0, 1], got {p}")
        self.p = float(p)
        self.autapses = autapses

    def generate(self, block: Block) -> Pairs:
        n_s = block.source_ids.size
        m = np.full(block.target_ids.size, n_s, dtype=np.int64)
        g, pos = bernoulli_skips(m, np.full(m.size, self.p), block.rng)
        return _drop_autapses(block.source_ids[pos], block.target_ids[g], None, block, self.autapses)


class GaussianDistance(ConnectionRule):
    """Probability ``p * exp(-d^2 / (2 sigma^2))`` for pairs closer than ``cutoff``.

    Parameters
    ----------
    p
        Peak probability (at distance 0).
    sigma
        Width in the units of the positions (µm).
    cutoff
        Pairs farther apart are never connected; default ``4 * sigma``
        (drops 0.1 % of the Gaussian's mass).
    autapses
        Allow a node to connect to itself when sources and targets are one population.
    """

    def __init__(self, p: float, sigma: float, cutoff: float | None = None, autapses: bool = False) -> None:
        if not 0.0 <= p <= 1.0 or sigma <= 0:
            raise NetworkBuildError(
                f"GaussianDistance: need 0 <= p <= 1 and sigma > 0 (p={p}, sigma={sigma})"
            )
        self.p = float(p)
        self.sigma = float(sigma)
        self.cutoff = float(cutoff if cutoff is not None else 4.0 * sigma)
        self.autapses = autapses

    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        state["grid"] = Grid.build(sources.positions, min(2.0 * self.sigma, self.cutoff))

    def generate(self, block: Block) -> Pairs:
        grid = block.state["grid"]
        t_i, s_i, _ = gaussian_pairs(
            grid, block.targets.positions, self.p, self.sigma, self.cutoff, block.rng
        )
        return _drop_autapses(block.source_ids[s_i], block.target_ids[t_i], None, block, self.autapses)


class FixedInDegree(ConnectionRule):
    """Every target receives exactly ``k`` distinct sources chosen at random."""

    def __init__(self, k: int, autapses: bool = False) -> None:
        self.k = int(k)
        self.autapses = autapses

    def generate(self, block: Block) -> Pairs:
        n_s, n_t = block.source_ids.size, block.target_ids.size
        pool = n_s - (0 if self.autapses or not block.same_population else 1)
        if self.k > pool:
            raise NetworkBuildError(f"FixedInDegree: k={self.k} but only {pool} possible sources")
        keys = block.rng.random((n_t, n_s))
        if block.same_population and not self.autapses:
            self_pos = np.searchsorted(block.source_ids, block.target_ids)
            hit = (self_pos < n_s) & (block.source_ids[np.minimum(self_pos, n_s - 1)] == block.target_ids)
            keys[np.flatnonzero(hit), self_pos[hit]] = 2.0  # never among the k smallest
        pick = np.argpartition(keys, self.k - 1, axis=1)[:, : self.k] if self.k else np.zeros((n_t, 0), int)
        return block.source_ids[pick.ravel()], np.repeat(block.target_ids, self.k), None


class FixedOutDegree(ConnectionRule):
    """Every source sends exactly ``k`` edges to distinct targets chosen at random.

    Targets are drawn per source over the whole target selection once (in
    :meth:`prepare`, from the rule's own seed) and handed out by block.
    """

    def __init__(self, k: int, autapses: bool = False, seed: int = 0) -> None:
        self.k = int(k)
        self.autapses = autapses
        self.seed = seed

    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        rng = np.random.default_rng([self.seed, sources.ids.size, targets.ids.size])
        n_s, n_t = sources.ids.size, targets.ids.size
        if self.k > n_t:
            raise NetworkBuildError(f"FixedOutDegree: k={self.k} but only {n_t} targets")
        src_parts, trg_parts = [], []
        for a in range(0, n_s, 4096):
            keys = rng.random((min(4096, n_s - a), n_t))
            pick = np.argpartition(keys, self.k - 1, axis=1)[:, : self.k]
            src_parts.append(np.repeat(sources.ids[a : a + keys.shape[0]], self.k))
            trg_parts.append(targets.ids[pick.ravel()])
        src = np.concatenate(src_parts) if src_parts else np.zeros(0, np.int64)
        trg = np.concatenate(trg_parts) if trg_parts else np.zeros(0, np.int64)
        order = np.argsort(trg, kind="stable")
        state["src"], state["trg"] = src[order], trg[order]

    def generate(self, block: Block) -> Pairs:
        trg = block.state["trg"]
        a, b = (
            np.searchsorted(trg, [block.target_ids[0], block.target_ids[-1] + 1])
            if block.target_ids.size
            else (0, 0)
        )
        src, t = block.state["src"][a:b], trg[a:b]
        keep = np.isin(t, block.target_ids)
        return _drop_autapses(src[keep], t[keep], None, block, self.autapses)


class OneToOne(ConnectionRule):
    """The i-th source connects to the i-th target (selections of equal size)."""

    def prepare(self, sources: NodeArrays, targets: NodeArrays, state: dict[str, Any]) -> None:
        if sources.ids.size != targets.ids.size:
            raise NetworkBuildError(f"OneToOne: {sources.ids.size} sources but {targets.ids.size} targets")
        state["map"] = dict(zip(targets.ids.tolist(), sources.ids.tolist()))
        state["src_for"] = (np.asarray(targets.ids), np.asarray(sources.ids))

    def generate(self, block: Block) -> Pairs:
        trg_all, src_all = block.state["src_for"]
        pos = np.searchsorted(trg_all, block.target_ids)
        return src_all[pos], block.target_ids, None


class AllToAll(ConnectionRule):
    """Every source connects to every target with ``n_synapses`` synapses."""

    def __init__(self, n_synapses: int = 1, autapses: bool = True) -> None:
        self.n_synapses = int(n_synapses)
        self.autapses = autapses

    def generate(self, block: Block) -> Pairs:
        if self.n_synapses <= 0:
            z = np.zeros(0, np.int64)
            return z, z, None
        src = np.tile(block.source_ids, block.target_ids.size)
        trg = np.repeat(block.target_ids, block.source_ids.size)
        counts = np.full(src.size, self.n_synapses, dtype=np.int64) if self.n_synapses > 1 else None
        return _drop_autapses(src, trg, counts, block, self.autapses)


def wants_rng(fn: Callable[..., Any]) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class ArrayRule(ConnectionRule):
    """A user rule on arrays: ``fn(sources, targets, **params) -> n_synapses per pair``.

    ``sources`` and ``targets`` are :class:`NodeArrays` with one row per
    candidate pair (every source with every target of the block, target-major);
    the result is an integer count or a boolean per pair. If ``fn`` has an
    ``rng`` parameter it receives the block's generator (reproducible).
    """

    def __init__(self, fn: Callable[..., Any], **params: Any) -> None:
        self.fn = fn
        self.params = params

    def generate(self, block: Block) -> Pairs:
        n_s, n_t = block.source_ids.size, block.target_ids.size
        src = np.tile(block.source_ids, n_t)
        trg = np.repeat(block.target_ids, n_s)
        kwargs = dict(self.params)
        if wants_rng(self.fn):
            kwargs["rng"] = block.rng
        out = np.asarray(
            self.fn(
                NodeArrays(block.sources._columns, src), NodeArrays(block.targets._columns, trg), **kwargs
            )
        )
        if out.shape != (src.size,):
            raise NetworkBuildError(
                f"ArrayRule {getattr(self.fn, '__name__', self.fn)}: returned shape "
                f"{out.shape}, expected ({src.size},) (one value per pair)"
            )
        counts = out.astype(np.int64)
        keep = counts > 0
        counts = counts[keep]
        return src[keep], trg[keep], counts if counts.size and counts.max() > 1 else None
