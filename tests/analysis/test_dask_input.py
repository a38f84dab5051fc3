"""A dask DataFrame input gives the same answers as the pandas table it was made from."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from neuroloom.analysis import (
    cv_isi,
    isi,
    mean_rates,
    pairwise_correlation,
    psth,
    synapse_activation_binning,
    temporal_binning,
    trials_with_spike,
)
from neuroloom.errors import AnalysisInputError, EmptyDataError

from .conftest import SIZES, T_STOP, Dataset


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal values; dask hands strings back as Arrow strings, so dtypes may differ in their NA value."""
    pd.testing.assert_frame_equal(left, right, check_dtype=False, check_index_type=False)
    assert [str(t).startswith("str") for t in left.dtypes] == [str(t).startswith("str") for t in right.dtypes]


@pytest.fixture(scope="module")
def lazy(dataset: Dataset) -> dd.DataFrame:
    # rows are shuffled, so every train is spread over several partitions
    return dd.from_pandas(dataset.spikes, npartitions=4)


def test_counts_rates_and_cv_equal_pandas(dataset: Dataset, lazy: dd.DataFrame) -> None:
    assert lazy.npartitions == 4
    for per in ("neuron", "run"):
        _same(
            mean_rates(lazy, 0.0, T_STOP, per=per, by="st_stim", neurons=SIZES),
            mean_rates(dataset.spikes, 0.0, T_STOP, per=per, by="st_stim", neurons=SIZES),
        )
        _same(cv_isi(lazy, per=per, neurons=SIZES), cv_isi(dataset.spikes, per=per, neurons=SIZES))
    _same(isi(lazy, 100.0, 800.0), isi(dataset.spikes, 100.0, 800.0))
    _same(
        trials_with_spike(lazy, 245.0, 265.0, by="st_stim", runs=dataset.runs),
        trials_with_spike(dataset.spikes, 245.0, 265.0, by="st_stim", runs=dataset.runs),
    )


def test_binning_and_correlation_equal_pandas(dataset: Dataset, lazy: dd.DataFrame) -> None:
    _same(
        temporal_binning(lazy, 0.0, T_STOP, 100.0, per="neuron"),
        temporal_binning(dataset.spikes, 0.0, T_STOP, 100.0, per="neuron"),
    )
    _same(psth(lazy, 0.0, T_STOP, 50.0, by="st_stim"), psth(dataset.spikes, 0.0, T_STOP, 50.0, by="st_stim"))
    _same(
        pairwise_correlation(lazy, 0.0, T_STOP, 50.0, sample=4, seed=2),
        pairwise_correlation(dataset.spikes, 0.0, T_STOP, 50.0, sample=4, seed=2),
    )
    activations = dataset.spikes.rename(columns={"population": "synapse_type"})
    _same(
        synapse_activation_binning(dd.from_pandas(activations, npartitions=3), 0.0, T_STOP, 100.0),
        synapse_activation_binning(activations, 0.0, T_STOP, 100.0),
    )


def test_bad_rows_in_one_partition_and_empty_tables_are_errors(dataset: Dataset) -> None:
    broken = dataset.spikes.copy()
    broken.loc[len(broken) - 1, "time"] = np.nan
    with pytest.raises(AnalysisInputError, match="NaN"):
        mean_rates(dd.from_pandas(broken, npartitions=3), 0.0, T_STOP)
    empty = dd.from_pandas(dataset.spikes.iloc[:0], npartitions=1)
    with pytest.raises(EmptyDataError):
        mean_rates(empty, 0.0, T_STOP)
