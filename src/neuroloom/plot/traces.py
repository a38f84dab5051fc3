"""Many voltage traces in one plot, with mean ± std (in_silico_framework's ``manylines``).

Two drawing modes, both a single artist whatever the number of traces:

- ``"lines"``: one ``LineCollection`` holding every trace;
- ``"density"``: a 2-D histogram (time x value) of all samples shown as an
  image, built with ``np.bincount`` over blocks of traces, so 18,000 traces of
  thousands of samples (or a dask array that does not fit in memory) draw in
  about a second.

``"auto"`` draws lines up to ``max_points`` samples in total and a density
above.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, Literal, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from neuroloom.analysis.signals import signal_times, trace_mean_std
from neuroloom.errors import AnalysisInputError, EmptyDataError
from neuroloom.plot._figure import figure_and_axes

__all__ = ["manylines"]

_BLOCK_ROWS = 2048


def _is_dask(values: object) -> bool:
    return type(values).__module__.startswith("dask") and hasattr(values, "chunks")


def _blocks(matrix: Any) -> Iterator[np.ndarray]:
    """Row blocks of the trace matrix as float64 numpy arrays (computed one by one for dask)."""
    for start in range(0, matrix.shape[0], _BLOCK_ROWS):
        block = matrix[start : start + _BLOCK_ROWS]
        yield np.asarray(block.compute() if _is_dask(block) else block, dtype=np.float64)


def _value_range(matrix: Any) -> tuple[float, float]:
    if _is_dask(matrix):
        dask: Any = importlib.import_module("dask")
        da: Any = importlib.import_module("dask.array")
        low, high = dask.compute(da.nanmin(matrix), da.nanmax(matrix))
    else:
        low, high = np.nanmin(matrix), np.nanmax(matrix)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise EmptyDataError("every sample of the traces is NaN: nothing to draw")
    return (float(low), float(high)) if high > low else (float(low) - 1.0, float(high) + 1.0)


def trace_density(
    matrix: Any, n_value_bins: int, value_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of every sample: array (n_value_bins, n_samples) of counts and the value edges."""
    n_samples = matrix.shape[1]
    low, high = value_range
    edges = np.linspace(low, high, n_value_bins + 1)
    counts = np.zeros(n_value_bins * n_samples, dtype=np.int64)
    column = np.arange(n_samples)
    for block in _blocks(matrix):
        index = np.floor((block - low) / (high - low) * n_value_bins).astype(np.int64, copy=False)
        valid = np.isfinite(block) & (block >= low) & (block <= high)
        index = np.minimum(index, n_value_bins - 1)
        flat = (index * n_samples + column[None, :])[valid]
        counts += np.bincount(flat, minlength=counts.size)
    return counts.reshape(n_value_bins, n_samples), edges


def manylines(
    values: Any,
    *,
    times: Any = None,
    dt: float | None = None,
    t_start: float = 0.0,
    mode: Literal["auto", "lines", "density"] = "auto",
    mean_std: bool = True,
    max_points: int = 2_000_000,
    value_bins: int = 200,
    value_range: tuple[float, float] | None = None,
    ax: Axes | None = None,
    color: str = "tab:blue",
    alpha: float | None = None,
    unit: str = "mV",
) -> Figure:
    """Draw every trace of ``values`` (n_traces x n_samples, numpy or dask) in one axes.

    Parameters
    ----------
    values
        Trace matrix; one row per trace.
    times, dt, t_start
        Sample times in ms, or the step and start (see
        :func:`neuroloom.analysis.signal_times`).
    mode
        ``"lines"``, ``"density"`` or ``"auto"`` (see the module docstring).
    mean_std
        Overlay the mean across traces and a ± 1 std band.
    max_points
        Largest number of samples drawn as lines in ``"auto"`` mode.
    value_bins, value_range
        Resolution and range (default: min..max) of the density's value axis.
    ax
        Axes to draw into (default: a new figure).
    color, alpha
        Line colour and opacity in ``"lines"`` mode (default alpha falls with
        the number of traces).
    unit
        Unit of the values, for the axis label.
    """
    matrix: Any = values if _is_dask(values) else np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2:
        raise AnalysisInputError(f"traces must be (n_traces, n_samples), got shape {matrix.shape}")
    n_traces, n_samples = matrix.shape
    if n_traces == 0 or n_samples == 0:
        raise EmptyDataError(f"no trace to draw (shape {matrix.shape})")
    vector = signal_times(n_samples, times=times, dt=dt, t_start=t_start)
    if mode == "auto":
        mode = "lines" if n_traces * n_samples <= max_points and not _is_dask(matrix) else "density"
    fig, axes = figure_and_axes(ax, figsize=(9.0, 4.0))
    if mode == "lines":
        _draw_lines(axes, matrix, vector, color, alpha)
    elif mode == "density":
        span = value_range if value_range is not None else _value_range(matrix)
        _draw_density(fig, axes, matrix, vector, value_bins, span)
    else:
        raise AnalysisInputError(f"mode= must be 'auto', 'lines' or 'density', got {mode!r}")
    if mean_std:
        _draw_mean_std(axes, matrix, vector)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel(unit)
    axes.set_title(f"{n_traces} traces")
    return fig


def _draw_lines(axes: Axes, matrix: Any, vector: np.ndarray, color: str, alpha: float | None) -> None:
    """Every trace as one ``LineCollection`` (alpha falls with the number of traces by default)."""
    n_traces, n_samples = matrix.shape
    dense = np.asarray(matrix.compute() if _is_dask(matrix) else matrix, dtype=np.float64)
    segments = np.empty((n_traces, n_samples, 2))
    segments[:, :, 0] = vector
    segments[:, :, 1] = dense
    shade = alpha if alpha is not None else float(np.clip(20.0 / n_traces, 0.02, 1.0))
    axes.add_collection(LineCollection(cast(Any, segments), colors=color, linewidths=0.5, alpha=shade))
    axes.autoscale_view()


def _draw_density(
    fig: Figure, axes: Axes, matrix: Any, vector: np.ndarray, value_bins: int, span: tuple[float, float]
) -> None:
    """The 2-D histogram of every sample as an image with a log colour scale."""
    counts, edges = trace_density(matrix, value_bins, span)
    step = vector[1] - vector[0] if matrix.shape[1] > 1 else 1.0
    extent = (vector[0] - step / 2, vector[-1] + step / 2, edges[0], edges[-1])
    image = np.where(counts > 0, counts, np.nan)
    shown = axes.imshow(image, origin="lower", aspect="auto", extent=extent, cmap="Greys", norm=LogNorm())
    fig.colorbar(shown, ax=axes, label="traces per pixel")


def _draw_mean_std(axes: Axes, matrix: Any, vector: np.ndarray) -> None:
    """The mean across traces and a ± 1 std band."""
    stats = trace_mean_std(matrix, times=vector)
    mean, std = stats["mean"].to_numpy(), stats["std"].to_numpy()
    axes.fill_between(
        vector, mean - std, mean + std, color="tab:orange", alpha=0.3, linewidth=0, label="± std"
    )
    axes.plot(vector, mean, color="black", linewidth=1.2, label="mean")
    axes.legend(loc="upper right", fontsize="small")
