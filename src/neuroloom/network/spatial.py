"""Distance-dependent sampling with a cell grid: cost grows with N x neighbours, not N^2.

Sources are binned into cubic cells of side ``h``. For every target the cells
within the cutoff are visited; each (target, cell) pair gets an upper bound
``q`` of the connection probability over the cell (from the nearest point of
the cell), candidates are proposed with probability ``q`` by geometric skips
(exact Bernoulli thinning, no per-pair work for rejected pairs) and each
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
    sorted_pos32: np.ndarray

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
        return cls(origin, float(h), dims, order, cell_start, pos[order], pos[order].astype(np.float32))


def bernoulli_skips(m: np.ndarray, q: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Positions of successes of ``m[g]`` Bernoulli(``q[g]``) trials for every group ``g``.

    Returns ``(group, position)`` (grouped, not globally sorted). Exact: groups
    that run out of drawn gaps are topped up until every trial is covered.
    """
    m = np.asarray(m, dtype=np.int64)
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0)
    rate = -np.log1p(-np.minimum(q, 1.0 - 1e-16))
    rate[q >= 1.0] = np.inf
    out_g: list[np.ndarray] = []
    out_p: list[np.ndarray] = []
    active = np.flatnonzero((m > 0) & (q > 0))
    base = np.full(m.size, -1, dtype=np.int64)  # last position drawn per group
    small = m.size == 0 or int(m.max()) < (1 << 20)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_all = (1.0 / rate).astype(np.float32)
    while active.size:
        ma = m[active]
        mean = ma * q[active]
        n_draw = np.ceil(mean + 2.0 * np.sqrt(mean) + 1.0).astype(np.int64)
        n_draw = np.minimum(n_draw, ma - base[active] - 1)
        e = rng.standard_exponential(int(n_draw.sum()), dtype=np.float32)
        e *= np.repeat(inv_all[active], n_draw)
        if small:  # int32 arithmetic: gaps clamped to 2^20 > m, segment sums stay below 2^31
            np.minimum(e, np.float32(1 << 20), out=e)
            gaps32 = e.astype(np.int32)
            gaps32 += 1
            csum = np.cumsum(gaps32, dtype=np.int64)
        else:
            csum = np.cumsum(np.minimum(e, np.float32(2**31)).astype(np.int64) + 1)
        ends = np.cumsum(n_draw)
        before = np.concatenate(([0], csum[ends[:-1] - 1])) if ends.size else ends
        pos = csum - np.repeat(before - base[active], n_draw)
        keep = pos < np.repeat(ma, n_draw)
        idx = np.flatnonzero(keep)
        out_g.append(np.repeat(active, n_draw)[idx] if idx.size else idx)
        out_p.append(pos[idx])
        last_pos = pos[ends - 1]
        base[active] = last_pos
        active = active[last_pos < ma - 1]
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
    d_min2 = dmin2.ravel()[chosen].astype(np.float64)
    start = grid.cell_start[flat]
    m = grid.cell_start[flat + 1] - start  # empty cells give m = 0 and no proposals
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    q = p_max * np.exp(-d_min2 * inv2s2)
    g, pos = bernoulli_skips(m, q, rng)
    sorted_src = start[g] + pos
    tt = t_idx[g]
    diff = grid.sorted_pos32[sorted_src] - tpos.astype(np.float32)[tt]
    d2 = np.einsum("ij,ij->i", diff, diff)
    if prob is None:
        # accept with probability p(d) / q = exp(-(d^2 - dmin^2) / 2 sigma^2): an Exp(1) draw above the excess
        excess = (d2 - d_min2[g].astype(np.float32)) * np.float32(inv2s2)
        accept = rng.standard_exponential(d2.size, dtype=np.float32) > excess
    else:
        accept = rng.random(d2.size) * q[g] < prob(d2.astype(np.float64))
    accept &= d2 <= np.float32(cutoff * cutoff)
    return tt[accept], grid.order[sorted_src[accept]], d2[accept]
