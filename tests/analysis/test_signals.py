"""Trace matrices: mean ± std across traces and per-trace window summaries."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from neuroloom.analysis import signal_times, trace_mean_std, window_summary
from neuroloom.errors import AnalysisInputError, EmptyDataError


def test_mean_std_across_traces_numpy_and_dask_agree() -> None:
    values = np.random.default_rng(0).normal(-65.0, 5.0, size=(40, 300))
    values[3, 10] = np.nan
    table = trace_mean_std(values, dt=0.5, t_start=10.0)
    np.testing.assert_allclose(table.index.to_numpy(), 10.0 + 0.5 * np.arange(300))
    np.testing.assert_allclose(table["mean"], np.nanmean(values, axis=0))
    np.testing.assert_allclose(table["std"], np.nanstd(values, axis=0))
    assert table["n"].iloc[10] == 39 and table["n"].iloc[11] == 40
    lazy = trace_mean_std(da.from_array(values, chunks=(7, 100)), dt=0.5, t_start=10.0)
    np.testing.assert_allclose(lazy.to_numpy(), table.to_numpy())


def test_window_summary_per_trace() -> None:
    values = np.arange(20.0).reshape(2, 10)
    times = np.arange(10) * 0.1
    table = window_summary(values, 0.2, 0.5, times=times)
    assert table["mean"].tolist() == pytest.approx([3.0, 13.0])
    assert table["min"].tolist() == [2.0, 12.0] and table["max"].tolist() == [4.0, 14.0]
    with pytest.raises(EmptyDataError, match="no sample lies"):
        window_summary(values, 5.0, 6.0, dt=0.1)


def test_signal_errors() -> None:
    with pytest.raises(AnalysisInputError, match="exactly one"):
        signal_times(3)
    with pytest.raises(AnalysisInputError, match="strictly increasing"):
        signal_times(3, times=[0.0, 2.0, 1.0])
    with pytest.raises(AnalysisInputError, match="shape"):
        trace_mean_std(np.zeros((2, 3)), times=[0.0, 1.0])
    with pytest.raises(EmptyDataError):
        trace_mean_std(np.zeros((0, 3)), dt=1.0)
