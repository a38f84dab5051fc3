"""Split node ids over ranks: round robin, property bundles, or balanced by afferent edges.

The first two follow neurodamus' ``split_round_robin`` and
``dry_run_distribution``; :func:`split_by_afferent` balances the edge load.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuroloom.errors import NeuroloomError


def _check(stride: int, stride_offset: int) -> None:
    if stride < 1 or not 0 <= stride_offset < stride:
        raise NeuroloomError(
            f"need stride >= 1 and 0 <= stride_offset < stride (got {stride}, {stride_offset})"
        )


def split_round_robin(
    all_ids: Sequence[int] | np.ndarray | None,
    stride: int = 1,
    stride_offset: int = 0,
    total_cells: int | None = None,
) -> np.ndarray:
    """Ids ``stride_offset, stride_offset + stride, ...`` of ``all_ids`` (or of ``0..total_cells-1``)."""
    _check(stride, stride_offset)
    if all_ids is None:
        if total_cells is None:
            raise NeuroloomError("split_round_robin: give all_ids or total_cells")
        return np.arange(stride_offset, total_cells, stride, dtype=np.uint32)
    ids = np.asarray(all_ids)
    return ids[stride_offset::stride]


def dry_run_distribution(
    bundles: Sequence[Sequence[int]], stride: int = 1, stride_offset: int = 0
) -> np.ndarray:
    """Deal whole bundles (e.g. ids of one mtype) round robin; return this rank's ids, flattened.

    ``[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]]`` with ``stride=2``: offset 0 gets
    ``[1, 2, 3, 7, 8, 9]``, offset 1 gets ``[4, 5, 6, 10]``.
    """
    _check(stride, stride_offset)
    mine = [np.asarray(b) for b in list(bundles)[stride_offset::stride]]
    return np.concatenate(mine) if mine else np.zeros(0, dtype=np.int64)


def bundles_by(
    values: Sequence[object] | np.ndarray, ids: Sequence[int] | np.ndarray | None = None
) -> list[np.ndarray]:
    """Group ``ids`` (default ``0..n-1``) by equal ``values`` (e.g. mtype), in order of first use."""
    vals = np.asarray(values)
    node_ids = np.arange(vals.size) if ids is None else np.asarray(ids)
    _, first, inverse = np.unique(vals, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(order.size)
    keys = rank_of[inverse]
    srt = np.argsort(keys, kind="stable")
    cuts = np.flatnonzero(np.diff(keys[srt])) + 1
    return list(np.split(node_ids[srt], cuts))


def split_by_afferent(
    counts: Sequence[int] | np.ndarray, n_ranks: int, ids: Sequence[int] | np.ndarray | None = None
) -> list[np.ndarray]:
    """Assign nodes to ``n_ranks`` so each rank gets about the same number of afferent edges.

    Greedy longest-processing-time: nodes by decreasing count, each to the least
    loaded rank. ``counts`` is the afferent edge count per node (e.g.
    ``edges.afferent_counts(ids)``). Returns the sorted ids of each rank.
    """
    if n_ranks < 1:
        raise NeuroloomError(f"n_ranks must be >= 1, got {n_ranks}")
    c = np.asarray(counts, dtype=np.int64)
    node_ids = np.arange(c.size) if ids is None else np.asarray(ids)
    order = np.argsort(-c, kind="stable")
    loads = np.zeros(n_ranks, dtype=np.int64)
    owner = np.empty(c.size, dtype=np.int64)
    # vectorised in rounds of n_ranks: the heaviest remaining nodes go to the lightest ranks
    for a in range(0, c.size, n_ranks):
        chunk = order[a : a + n_ranks]
        lightest = np.argsort(loads, kind="stable")[: chunk.size]
        owner[chunk] = lightest
        loads[lightest] += c[chunk]
    return [np.sort(node_ids[owner == r]) for r in range(n_ranks)]
