"""Binning, PSTH and population rate against elephant and by hand."""

from __future__ import annotations

import elephant.conversion as ec
import elephant.statistics as es
import neo
import numpy as np
import pandas as pd
import pytest
import quantities as pq

from neuroloom.analysis import bin_edges, population_rate, psth, temporal_binning
from neuroloom.errors import AnalysisInputError

from .conftest import SIZES, T_STOP, Dataset

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _trains(dataset: Dataset, **match: object) -> list[neo.SpikeTrain]:
    out = []
    for (run, population, node), times in dataset.trains.items():
        key = {"run": run, "population": population, "node_id": node}
        if all(key[k] == v for k, v in match.items()):
            out.append(neo.SpikeTrain(times * pq.ms, t_start=0 * pq.ms, t_stop=T_STOP * pq.ms))
    return out


def test_per_neuron_binning_matches_elephant_binned_spike_train(dataset: Dataset) -> None:
    binned = temporal_binning(dataset.spikes, 0.0, T_STOP, 50.0, per="neuron", neurons=SIZES)
    assert binned.shape == (len(dataset.trains), 20)
    for (run, population, node), times in dataset.trains.items():
        train = neo.SpikeTrain(times * pq.ms, t_start=0 * pq.ms, t_stop=T_STOP * pq.ms)
        expected = ec.BinnedSpikeTrain(train, bin_size=50 * pq.ms).to_array()[0]
        np.testing.assert_array_equal(binned.loc[(run, population, node)].to_numpy(), expected)


def test_psth_matches_elephant_time_histogram(dataset: Dataset) -> None:
    table = psth(dataset.spikes, 0.0, T_STOP, 100.0, neurons=SIZES)
    for population in SIZES:
        trains = _trains(dataset, population=population)
        rate = es.time_histogram(trains, 100 * pq.ms, output="rate").rescale(pq.Hz).magnitude[:, 0]
        counts = es.time_histogram(trains, 100 * pq.ms, output="counts").magnitude[:, 0]
        got = table[table["population"] == population]
        np.testing.assert_array_equal(got["count"].to_numpy(), counts)
        np.testing.assert_allclose(got["rate"].to_numpy(), rate)
        assert (got["n_trains"] == len(trains)).all()


def test_population_rate_matches_elephant_per_run(dataset: Dataset) -> None:
    table = population_rate(dataset.spikes, 0.0, T_STOP, 250.0, neurons=SIZES)
    assert len(table) == 5 * 2 * 4
    for run in range(5):
        trains = _trains(dataset, run=run, population="exc")
        rate = es.time_histogram(trains, 250 * pq.ms, output="rate").rescale(pq.Hz).magnitude[:, 0]
        got = table[(table["run"] == run) & (table["population"] == "exc")]
        np.testing.assert_allclose(got["rate"].to_numpy(), rate)


def test_per_run_trials_include_silent_runs_and_sum_neurons() -> None:
    spikes = pd.DataFrame(
        {
            "run": [0, 0, 0, 2],
            "population": ["p"] * 4,
            "node_id": [0, 1, 1, 0],
            "time": [0.0, 9.99, 10.0, 29.0],
        }
    )
    binned = temporal_binning(spikes, 0.0, 30.0, 10.0, runs=[0, 1, 2])
    assert binned.index.get_level_values("run").tolist() == [0, 1, 2]
    assert binned.columns.tolist() == [0.0, 10.0, 20.0]
    assert binned.to_numpy().tolist() == [[2, 1, 0], [0, 0, 0], [0, 0, 1]]


def test_psth_by_parameter_counts_silent_runs_in_n_trains() -> None:
    spikes = pd.DataFrame(
        {
            "run": [0, 1],
            "population": ["c", "c"],
            "node_id": [0, 0],
            "time": [250.0, 251.0],
            "st_stim": ["B1", "C2"],
        }
    )
    runs = pd.DataFrame({"run": [0, 1, 2, 3], "st_stim": ["B1", "C2", "B1", "B1"]})
    table = psth(spikes, 240.0, 260.0, 10.0, by="st_stim", runs=runs)
    b1 = table[table["st_stim"] == "B1"]
    assert b1["n_trains"].tolist() == [3, 3]
    assert b1["count"].tolist() == [0, 1]
    assert b1["rate"].iloc[1] == pytest.approx(1 / 3 / 0.010)


def test_bin_edges_shorten_to_whole_bins_and_reject_bad_sizes() -> None:
    np.testing.assert_allclose(bin_edges(0.0, 1.0, 0.1), np.linspace(0.0, 1.0, 11))
    np.testing.assert_allclose(bin_edges(0.0, 25.0, 10.0), [0.0, 10.0, 20.0])
    with pytest.raises(AnalysisInputError, match="bin_size"):
        bin_edges(0.0, 10.0, 0.0)
    with pytest.raises(AnalysisInputError, match="longer than the window"):
        bin_edges(0.0, 10.0, 20.0)
    with pytest.raises(AnalysisInputError, match="t_start < t_stop"):
        bin_edges(10.0, 10.0, 1.0)
