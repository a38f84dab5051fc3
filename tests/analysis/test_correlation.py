"""Pairwise correlation of binned counts against elephant."""

from __future__ import annotations

import warnings

import elephant.conversion as ec
import elephant.spike_train_correlation as sc
import neo
import numpy as np
import pandas as pd
import pytest
import quantities as pq

from neuroloom.analysis import pairwise_correlation, sample_neurons
from neuroloom.errors import AnalysisInputError

from .conftest import SIZES, T_STOP, Dataset


@pytest.mark.parametrize("binary", [False, True])
def test_correlation_matches_elephant(dataset: Dataset, binary: bool) -> None:
    chosen = sample_neurons(dataset.spikes, 5, neurons=SIZES, seed=3)
    table = pairwise_correlation(dataset.spikes, 0.0, T_STOP, 20.0, sample=chosen, binary=binary)
    assert len(table) == 5 * 10  # 5 runs x 10 pairs
    keys = list(zip(chosen["population"], chosen["node_id"]))
    for run in range(5):
        trains = [
            neo.SpikeTrain(dataset.trains[(run, p, n)] * pq.ms, t_start=0 * pq.ms, t_stop=T_STOP * pq.ms)
            for p, n in keys
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = sc.correlation_coefficient(
                ec.BinnedSpikeTrain(trains, bin_size=20 * pq.ms), binary=binary
            )
        got = table[table["run"] == run]
        i = [keys.index((p, n)) for p, n in zip(got["population_i"], got["node_id_i"])]
        j = [keys.index((p, n)) for p, n in zip(got["population_j"], got["node_id_j"])]
        np.testing.assert_allclose(got["r"].to_numpy(), expected[i, j], atol=1e-12)


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_silent_neuron_gives_nan_and_sampling_is_reproducible(dataset: Dataset) -> None:
    chosen = pd.DataFrame({"population": ["exc", "inh"], "node_id": [0, 2]})  # inh 2 never spikes
    table = pairwise_correlation(dataset.spikes, 0.0, T_STOP, 50.0, sample=chosen)
    assert table["r"].isna().all()
    a = sample_neurons(dataset.spikes, 4, seed=1)
    b = sample_neurons(dataset.spikes, 4, seed=1)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(AnalysisInputError, match="cannot sample 100"):
        sample_neurons(dataset.spikes, 100)
