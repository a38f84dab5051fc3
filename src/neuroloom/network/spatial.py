"""Distance-dependent sampling with a cell grid: cost grows with N x neighbours, not N^2.

Sources are binned into cubic cells of side ``h``. For every target the cells
within the cutoff are visited; each (target, cell) pair gets an upper bound
``q`` of the connection probability over the cell (from the nearest point of
the cell), candidates are proposed with probability ``q`` by throwing Poisson
points on the trials' cumulative hazard (:func:`bernoulli_skips`: exact
Bernoulli sampling, no per-pair work for rejected pairs) and each
proposal is accepted with probability ``p(d) / q``. The result has exactly the
distribution of testing every pair within the cutoff.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class Grid:
    """Sources sorted by cell: ``order[cell_start[c]:cell_start[c+1]]`` are in cell ``c``."""

    origin: np.ndarray
    h: float
    dims: np.ndarray
    order: np.ndarray
    cell_start: np.ndarray
    sorted_pos: np.ndarray
    sorted_xyz32: tuple[np.ndarray, np.ndarray, np.ndarray]  # per axis: 1-D gathers are the fastest

    @classmethod
    def build(cls, positions: np.ndarray, h: float) -> Grid:
        pos = np.asarray(positions, dtype=np.float64)
        origin = pos.min(axis=0) if pos.size else np.zeros(3)
        extent = (pos.max(axis=0) - origin) if pos.size else np.zeros(3)
        dims = np.maximum(np.floor(extent / h).astype(np.int64) + 1, 1)
        cell = np.minimum(((pos - origin) // h).astype(np.int64), dims - 1)
        flat = (cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]
        order = np.argsort(flat, kind="stable")
        cell_start = np.searchsorted(flat[order], np.arange(int(np.prod(dims)) + 1))
        sorted_pos = pos[order]
        xyz = tuple(np.ascontiguousarray(sorted_pos[:, a], dtype=np.float32) for a in range(3))
        return cls(origin, float(h), dims, order, cell_start, sorted_pos, (xyz[0], xyz[1], xyz[2]))


DENSE_Q = 0.75  # groups with q at least this are tested trial by trial


def bernoulli_skips(m: np.ndarray, q: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions of successes of ``m[g]`` Bernoulli(``q[g]``) trials for every group ``g``.

    Returns ``(group, position)``: groups with ``q < 0.75`` first, sorted by
    (group, position), then the others. Exact, with no per-trial work for the
    sparse groups: all their trials are laid end to end on one axis of
    cumulative hazard (trial ``t`` covers a length ``-log(1 - q)``), points of
    a unit-rate Poisson process (cumulated Exp(1) draws) are thrown on it and
    a trial succeeds iff it holds at least one point (probability ``q``,
    independently of every other trial). Groups with larger ``q`` test every trial.
    """
    m = np.asarray(m, dtype=np.int64)
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    live = (m > 0) & (q > 0)
    out_g: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    sparse = np.flatnonzero(live & (q < DENSE_Q))
    if sparse.size:
        lam = -np.log1p(-q[sparse])
        ms = m[sparse]
        hend = np.cumsum(ms * lam)
        hstart = np.concatenate(([0.0], hend[:-1]))  # exactly the previous end: points map inside
        total = float(hend[-1])
        n = int(np.ceil(total + 6.0 * np.sqrt(total) + 16.0))
        points = np.cumsum(rng.standard_exponential(n, dtype=np.float32), dtype=np.float64)
        while points[-1] < total:  # rare: top up until the whole axis is covered
            more = np.cumsum(rng.standard_exponential(n, dtype=np.float32), dtype=np.float64)
            points = np.concatenate((points, more + points[-1]))
        ends = np.searchsorted(points, hend)  # points of group j: [ends[j-1], ends[j])
        per_group = np.diff(ends, prepend=0)
        points = points[: int(ends[-1])]
        points -= np.repeat(hstart, per_group)
        points *= np.repeat(1.0 / lam, per_group)
        trial = points.astype(np.int64)
        last = ends[per_group > 0] - 1  # floating point rounding may reach m at a group's end
        trial[last] = np.minimum(trial[last], ms[per_group > 0] - 1)
        new = np.empty(trial.size, dtype=bool)  # several points in one trial: one success
        new[1:] = trial[1:] != trial[:-1]
        new[ends[:-1][ends[:-1] < trial.size]] = True
        if trial.size:
            new[0] = True
        kept = np.diff(np.concatenate(([0], np.cumsum(new)))[ends], prepend=0)  # successes per group
        out_g.append(np.repeat(sparse, kept))
        out_p.append(trial[new])
    dense = np.flatnonzero(live & (q >= DENSE_Q))
    if dense.size:
        md = m[dense]
        ends = np.cumsum(md)
        gid = np.repeat(np.arange(dense.size), md)
        hit = np.flatnonzero(rng.random(int(ends[-1])) < q[dense][gid])
        hg = gid[hit]
        out_g.append(dense[hg])
        out_p.append(hit - (ends - md)[hg])
    if not out_g:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(out_g) == 1:
        return out_g[0], out_p[0]
    return np.concatenate(out_g), np.concatenate(out_p)


def gaussian_pairs(
    grid: Grid,
    target_pos: np.ndarray,
    p_max: float,
    sigma: float,
    cutoff: float,
    rng: np.random.Generator,
    prob: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample pairs with probability ``p_max * exp(-d^2 / 2 sigma^2)`` for ``d <= cutoff``.

    Returns ``(target_index, source_index_in_grid_input, d2)``, grouped by target.
    ``prob(d2)`` replaces the Gaussian if given (it must not exceed the Gaussian bound).
    """
    tpos = np.asarray(target_pos, dtype=np.float64)
    if tpos.shape[0] == 0 or grid.order.size == 0:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0)
    k = int(np.ceil(cutoff / grid.h))
    off = np.arange(-k, k + 1)
    n_off = off.size
    tcell = np.floor((tpos - grid.origin) / grid.h).astype(np.int64)
    cells = tcell[:, None, :] + off[None, :, None]  # (B, n_off, 3): per axis
    inside_axis = (cells >= 0) & (cells < grid.dims)
    lo = grid.origin + cells * grid.h
    gap = np.maximum(np.maximum(lo - tpos[:, None, :], tpos[:, None, :] - (lo + grid.h)), 0.0)
    g2 = (gap * gap).astype(np.float32)
    g2[~inside_axis] = np.inf  # cells outside the grid are never within the cutoff
    dmin2 = g2[:, :, None, None, 0] + g2[:, None, :, None, 1] + g2[:, None, None, :, 2]
    chosen = np.flatnonzero(dmin2.ravel() <= np.float32(cutoff * cutoff))
    t_idx = chosen // (n_off**3)
    stride = np.array([grid.dims[1] * grid.dims[2], grid.dims[2], 1], dtype=np.int64)
    fa = np.where(inside_axis, cells, 0) * stride
    flat_all = fa[:, :, None, None, 0] + fa[:, None, :, None, 1] + fa[:, None, None, :, 2]
    flat = flat_all.ravel()[chosen]
    d_min2_32 = dmin2.ravel()[chosen]
    start = grid.cell_start[flat]
    m = grid.cell_start[flat + 1] - start  # empty cells give m = 0 and no proposals
    two_s2 = 2.0 * sigma * sigma
    q = p_max * np.exp(-d_min2_32.astype(np.float64) / two_s2)
    g, pos = bernoulli_skips(m, q, rng)
    sorted_src = start[g] + pos
    tt = t_idx[g]
    tpos32 = tpos.astype(np.float32)
    d2 = np.empty(0, dtype=np.float32)
    for axis in range(3):
        delta = grid.sorted_xyz32[axis].take(sorted_src)
        delta -= tpos32[:, axis].take(tt)
        delta *= delta
        d2 = delta if axis == 0 else np.add(d2, delta, out=d2)
    c2 = np.float32(cutoff * cutoff)
    if prob is None:
        # accept with probability p(d) / q = exp(-(d^2 - dmin^2) / 2 sigma^2), i.e. when
        # d^2 < dmin^2 + 2 sigma^2 E with E ~ Exp(1); and never past the cutoff
        bound = rng.standard_exponential(d2.size, dtype=np.float32)
        bound *= np.float32(two_s2)
        bound += d_min2_32.take(g)
        np.minimum(bound, c2, out=bound)
        accept = d2 < bound
    else:
        accept = rng.random(d2.size) * q[g] < prob(d2.astype(np.float64))
        accept &= d2 <= c2
    return tt[accept], grid.order[sorted_src[accept]], d2[accept]
