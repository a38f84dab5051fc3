"""Analog signals (membrane potential, conductances, currents) as trace matrices.

A signal set is an array ``values`` of shape (n_traces, n_samples) (numpy or
dask) with either a time vector ``times`` (ms, one per sample, increasing) or
a sampling step ``dt`` (ms) and ``t_start``.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import AnalysisInputError, EmptyDataError

__all__ = ["signal_times", "trace_mean_std", "window_summary"]


def _is_dask_array(values: object) -> bool:
    return type(values).__module__.startswith("dask") and hasattr(values, "chunks")


def _as_matrix(values: Any) -> Any:
    matrix = values if _is_dask_array(values) else np.asarray(values, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2:
        raise AnalysisInputError(f"signal values must be (n_traces, n_samples), got shape {matrix.shape}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise EmptyDataError(f"the signal set is empty (shape {matrix.shape}): there is nothing to analyse")
    return matrix


def signal_times(
    n_samples: int, *, times: Any = None, dt: float | None = None, t_start: float = 0.0
) -> np.ndarray:
    """The time vector (ms) of ``n_samples`` samples, from ``times`` or from ``dt``/``t_start``."""
    if (times is None) == (dt is None):
        raise AnalysisInputError("give exactly one of times= (ms per sample) or dt= (sampling step, ms)")
    if times is not None:
        vector = np.asarray(times, dtype=np.float64)
        if vector.shape != (n_samples,):
            raise AnalysisInputError(
                f"times has shape {vector.shape} but the signals have {n_samples} samples per trace"
            )
        if np.isnan(vector).any() or (vector < 0).any() or (np.diff(vector) <= 0).any():
            raise AnalysisInputError("times must be finite, non-negative and strictly increasing (ms)")
        return vector
    assert dt is not None
    if not np.isfinite(dt) or dt <= 0 or not np.isfinite(t_start) or t_start < 0:
        raise AnalysisInputError(f"need dt > 0 and t_start >= 0 in ms, got dt={dt!r}, t_start={t_start!r}")
    return float(t_start) + float(dt) * np.arange(n_samples, dtype=np.float64)


def trace_mean_std(
    values: Any, *, times: Any = None, dt: float | None = None, t_start: float = 0.0, ddof: int = 0
) -> pd.DataFrame:
    """Mean and standard deviation across traces at every sample (ISF's mean ± std plot).

    NaN samples are ignored. A dask array is reduced chunk by chunk without
    loading it whole. Returns a DataFrame indexed by ``time`` (ms) with
    ``mean``, ``std`` and ``n`` (traces with a value).
    """
    matrix = _as_matrix(values)
    vector = signal_times(matrix.shape[1], times=times, dt=dt, t_start=t_start)
    if _is_dask_array(matrix):
        dask: Any = importlib.import_module("dask")
        da: Any = importlib.import_module("dask.array")

        mean, std, count = dask.compute(
            da.nanmean(matrix, axis=0), da.nanstd(matrix, axis=0, ddof=ddof), (~da.isnan(matrix)).sum(axis=0)
        )
    else:
        count = (~np.isnan(matrix)).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = _safe_nanmean(matrix)
            std = np.sqrt(np.nansum((matrix - mean) ** 2, axis=0) / (count - ddof))
    return pd.DataFrame(
        {"mean": np.asarray(mean), "std": np.asarray(std), "n": np.asarray(count, np.int64)},
        index=pd.Index(vector, name="time"),
    )


def _safe_nanmean(matrix: np.ndarray) -> np.ndarray:
    count = (~np.isnan(matrix)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: np.ndarray = np.nansum(matrix, axis=0) / np.where(count > 0, count, np.nan)
    return mean


def window_summary(
    values: Any,
    t_start: float,
    t_stop: float,
    *,
    times: Any = None,
    dt: float | None = None,
    signal_start: float = 0.0,
) -> pd.DataFrame:
    """Per-trace ``mean``, ``std``, ``min`` and ``max`` over the samples in ``[t_start, t_stop)`` ms.

    ``signal_start`` is the time of the first sample when ``dt`` is given.
    Returns one row per trace (index ``trace``, same order as ``values``).
    """
    matrix = _as_matrix(values)
    vector = signal_times(matrix.shape[1], times=times, dt=dt, t_start=signal_start)
    if t_stop <= t_start:
        raise AnalysisInputError(f"invalid window [{t_start}, {t_stop}) ms: need t_start < t_stop")
    mask = (vector >= t_start) & (vector < t_stop)
    if not mask.any():
        raise EmptyDataError(
            f"no sample lies in [{t_start}, {t_stop}) ms; the signals cover {vector[0]}..{vector[-1]} ms"
        )
    window = matrix[:, mask]
    stats = [np.nanmean(window, axis=1), np.nanstd(window, axis=1), np.nanmin(window, axis=1)]
    stats.append(np.nanmax(window, axis=1))
    if _is_dask_array(window):
        dask: Any = importlib.import_module("dask")
        stats = list(dask.compute(*stats))
    return pd.DataFrame(
        dict(zip(["mean", "std", "min", "max"], stats)), index=pd.RangeIndex(len(stats[0]), name="trace")
    )
