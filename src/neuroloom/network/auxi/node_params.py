"""Node placement helpers with bmtk's signatures; they draw from numpy's global random state in bmtk's order.

So a script seeded with ``np.random.seed`` places its nodes where bmtk places them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuroloom.errors import NetworkBuildError


def positions_columinar(
    N: int = 1,  # noqa: N803 (bmtk's name)
    center: Sequence[float] = (0.0, 50.0, 0.0),
    height: float = 100.0,
    min_radius: float = 0.0,
    max_radius: float = 1.0,
    plot: bool = False,
) -> np.ndarray:
    """``(N, 3)`` points uniform in a vertical cylinder (or ring) around ``center``; height along y.

    Draws: angle, radius, then height (``N`` uniforms each).
    """
    del plot
    angle = 2.0 * np.pi * np.random.random([N])
    radius = np.sqrt((min_radius**2 - max_radius**2) * np.random.random([N]) + max_radius**2)
    y = center[1] + height * (np.random.random([N]) - 0.5)
    return np.column_stack((center[0] + radius * np.cos(angle), y, center[2] + radius * np.sin(angle)))


positions_columnar = positions_columinar


def positions_rect_prism(
    N: int = 1,  # noqa: N803
    center: Sequence[float] = (0.0, 50.0, 0.0),
    height: float = 20.0,
    x_length: float = 100.0,
    z_length: float = 100.0,
    plot: bool = False,
) -> np.ndarray:
    """``(N, 3)`` points uniform in a box centred on ``center`` (draws: x, z, then y)."""
    del plot
    x = center[0] + x_length * (np.random.random([N]) - 0.5)
    z = center[2] + z_length * (np.random.random([N]) - 0.5)
    y = center[1] + height * (np.random.random([N]) - 0.5)
    return np.column_stack((x, y, z))


def positions_ellipsoid(
    N: int = 1,  # noqa: N803
    center: Sequence[float] = (0.0, 50.0, 0.0),
    height: float = 50,
    x_length: float = 100.0,
    z_length: float = 200.0,
    plot: bool = False,
) -> np.ndarray:
    """Up to ``N`` points uniform in an ellipsoid (axes ``x_length``, ``height`` along y, ``z_length``).

    Draws ``3 N`` points in the bounding box (:func:`positions_rect_prism`) and keeps
    the first ``N`` inside, so the same draws as bmtk's (fewer than ``N`` points if
    fewer than ``N`` of them fall inside).
    """
    del plot
    box = positions_rect_prism(3 * N, center, height, x_length, z_length)
    semi = np.array([x_length, height, z_length], dtype=np.float64) / 2.0
    inside = (((box - np.asarray(center, dtype=np.float64)) / semi) ** 2).sum(axis=1) < 1
    kept: np.ndarray = box[inside][:N]
    return kept


def hcp(x_n: int, y_n: int, z_n: int, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hexagonal close packing of spheres of radius ``r``: ``x, y, z`` arrays of shape ``(x_n, y_n, z_n)``."""
    i, j, k = np.meshgrid(np.arange(x_n), np.arange(y_n), np.arange(z_n), indexing="ij")
    x = 2 * r * i + r * ((j + k) % 2)
    y = r * np.sqrt(3) * (j + (k % 2) / 3)
    z = 2 * r * np.sqrt(6) / 3 * k + 0.0 * i
    return x.astype(np.float64), y.astype(np.float64), z.astype(np.float64)


def partition_locations(positions: np.ndarray, partitions: Sequence[float]) -> list[np.ndarray]:
    """Split ``positions`` among subpopulations, each row to subpopulation ``i`` with probability
    ``partitions[i]`` (one ``np.random.choice`` draw, as bmtk)."""
    which = np.random.choice(range(len(partitions)), positions.shape[0], p=partitions)
    return [positions[which == i, :] for i in range(len(partitions))]


def positions_cuboid(
    N: int = 1,  # noqa: N803
    center: Sequence[float] = (0.0, 0.0, 0.0),
    height: float = 100.0,
    xside_length: float = 100.0,
    yside_length: float = 100.0,
    min_dist: float = 20.0,
    plot: bool = False,
) -> np.ndarray:
    """``N`` distinct points of a lattice of spacing ``min_dist`` (x: ``center[0]``..``xside_length``).

    As in bmtk, the lattice starts at ``center`` and ends at the side lengths.
    """
    del plot
    axes = [
        np.arange(center[0], xside_length + min_dist, min_dist),
        np.arange(center[1], yside_length + min_dist, min_dist),
        np.arange(center[2], height + min_dist, min_dist),
    ]
    xx, yy, zz = np.meshgrid(*axes)
    lattice = np.column_stack([xx.ravel(), yy.ravel(), zz.ravel()])
    if lattice.shape[0] < N:
        raise NetworkBuildError(
            f"positions_cuboid: {N} nodes but only {lattice.shape[0]} lattice points; lower min_dist"
        )
    picked = np.random.choice(np.arange(0, lattice.shape[0]), N, replace=False)
    out: np.ndarray = lattice[picked].copy()
    return out


def positions_list(positions: np.ndarray | None = None) -> np.ndarray:
    """The given ``(N, 3)`` coordinates as an ``(N, 3)`` array (default: two points on the z axis)."""
    pos = np.array([(0, 0, 0), (0, 0, 1)]) if positions is None else np.asarray(positions)
    if pos.ndim != 2 or pos.shape[1] < 3:
        raise NetworkBuildError(f"positions_list: need an (N, 3) array, got shape {pos.shape}")
    return np.column_stack((pos[:, 0], pos[:, 1], pos[:, 2]))


def xiter_random(N: int = 1, min_x: float = 0.0, max_x: float = 1.0) -> np.ndarray:  # noqa: N803
    """``N`` uniform values in ``[min_x, max_x)`` (one ``np.random.uniform`` call)."""
    return np.random.uniform(low=min_x, high=max_x, size=(N,))
