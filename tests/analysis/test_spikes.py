"""Spike statistics against elephant and against hand-computed cases."""

from __future__ import annotations

import warnings

import elephant.statistics as es
import neo
import numpy as np
import pandas as pd
import pytest
import quantities as pq

from neuroloom.analysis import (
    cv_isi,
    fano_factor,
    isi,
    mean_rates,
    spike_counts,
    spike_counts_in_window,
    trials_with_spike,
)

from .conftest import SIZES, T_STOP, Dataset


def _train(times: np.ndarray, t_start: float = 0.0, t_stop: float = T_STOP) -> neo.SpikeTrain:
    return neo.SpikeTrain(times * pq.ms, t_start=t_start * pq.ms, t_stop=t_stop * pq.ms)


def _key(row: pd.Series) -> tuple[int, str, int]:
    return int(row["run"]), str(row["population"]), int(row["node_id"])


def test_mean_rates_match_elephant_including_silent_neurons(dataset: Dataset) -> None:
    rates = mean_rates(dataset.spikes, 0.0, T_STOP, neurons=SIZES)
    assert len(rates) == len(dataset.trains)
    for _, row in rates.iterrows():
        expected = es.mean_firing_rate(_train(dataset.trains[_key(row)])).rescale(pq.Hz).magnitude
        assert row["rate"] == pytest.approx(float(expected))
    silent = rates[(rates["population"] == "inh") & (rates["node_id"] == 2)]
    assert (silent["rate"] == 0).all() and len(silent) == 5


def test_mean_rates_in_a_window_match_elephant(dataset: Dataset) -> None:
    rates = mean_rates(dataset.spikes, 200.0, 700.0, neurons=SIZES)
    for _, row in rates.iterrows():
        times = dataset.trains[_key(row)]
        window = times[(times >= 200.0) & (times < 700.0)]
        expected = es.mean_firing_rate(_train(window, 200.0, 700.0)).rescale(pq.Hz).magnitude
        assert row["rate"] == pytest.approx(float(expected))


def test_without_neurons_only_neurons_that_spike_somewhere_are_counted(dataset: Dataset) -> None:
    rates = mean_rates(dataset.spikes, 0.0, T_STOP)
    assert len(rates) == len(dataset.trains) - 5  # the always-silent neuron is unknown
    assert not ((rates["population"] == "inh") & (rates["node_id"] == 2)).any()


def test_isi_matches_elephant(dataset: Dataset) -> None:
    table = isi(dataset.spikes)
    for key, times in dataset.trains.items():
        run, population, node = key
        got = table[(table["run"] == run) & (table["population"] == population) & (table["node_id"] == node)]
        np.testing.assert_allclose(got["isi"].to_numpy(), es.isi(times))


def test_cv_matches_elephant_and_is_nan_below_two_intervals(dataset: Dataset) -> None:
    table = cv_isi(dataset.spikes, neurons=SIZES)
    assert len(table) == len(dataset.trains)
    for _, row in table.iterrows():
        intervals = es.isi(dataset.trains[_key(row)])
        if len(intervals) >= 2:
            assert row["cv"] == pytest.approx(float(es.cv(intervals)))
        else:
            assert np.isnan(row["cv"])


def test_cv_per_run_is_the_mean_over_neurons(dataset: Dataset) -> None:
    per_neuron = cv_isi(dataset.spikes)
    per_run = cv_isi(dataset.spikes, per="run")
    expected = per_neuron.groupby(["run", "population"])["cv"].mean()
    np.testing.assert_allclose(per_run.set_index(["run", "population"])["cv"].loc[expected.index], expected)


def test_fano_factor_across_runs_matches_elephant(dataset: Dataset) -> None:
    table = fano_factor(dataset.spikes, 100.0, 900.0, neurons=SIZES)
    assert len(table) == sum(SIZES.values())
    for _, row in table.iterrows():
        trains = [
            _train(t[(t >= 100) & (t < 900)], 100.0, 900.0)
            for (_, pop, node), t in dataset.trains.items()
            if pop == row["population"] and node == row["node_id"]
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = es.fanofactor(trains)
        if np.isnan(expected):
            assert np.isnan(row["fano"])
        else:
            assert row["fano"] == pytest.approx(expected)


def _hand_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": np.array([0, 0, 0, 1, 1, 2], dtype=np.int64),
            "population": ["exc", "exc", "exc", "exc", "exc", "exc"],
            "node_id": np.array([0, 0, 1, 0, 1, 1], dtype=np.int64),
            "time": [245.0, 250.0, 265.0, 10.0, 264.999, 300.0],
            "st_stim": ["B1", "B1", "B1", "C2", "C2", "B1"],
        }
    )


def test_window_is_half_open_and_silent_runs_count() -> None:
    runs = pd.DataFrame({"run": [0, 1, 2, 3], "st_stim": ["B1", "C2", "B1", "C2"]})
    counts = spike_counts_in_window(_hand_table(), 245.0, 265.0, runs=runs)
    assert counts["run"].tolist() == [0, 1, 2, 3]
    assert counts["count"].tolist() == [2, 1, 0, 0]  # 265.0 excluded, 245.0 included, run 3 silent
    table = trials_with_spike(_hand_table(), 245.0, 265.0, by="st_stim", runs=runs)
    assert table["st_stim"].tolist() == ["B1", "C2"]
    assert table["n_trials"].tolist() == [2, 2]
    assert table["n_with_spike"].tolist() == [1, 1]
    assert table["n_without_spike"].tolist() == [1, 1]
    overall = trials_with_spike(_hand_table(), 245.0, 265.0)  # runs seen in the table only
    assert overall[["n_trials", "n_with_spike"]].to_numpy().tolist() == [[3, 2]]


def test_rates_per_run_by_parameter_by_hand() -> None:
    rates = mean_rates(_hand_table(), 0.0, 500.0, per="run", by="st_stim", neurons={"exc": 4})
    assert rates["run"].tolist() == [0, 1, 2]
    assert rates["count"].tolist() == [3, 2, 1]
    assert rates["n_neurons"].tolist() == [4, 4, 4]
    np.testing.assert_allclose(rates["rate"], [3 / 4 / 0.5, 2 / 4 / 0.5, 1 / 4 / 0.5])
    np.testing.assert_allclose(rates["rate_std"].iloc[0], np.std([4.0, 2.0, 0.0, 0.0]))
    assert rates["st_stim"].tolist() == ["B1", "C2", "B1"]


def test_spike_counts_accept_node_id_lists_and_restrict_to_them() -> None:
    counts = spike_counts(_hand_table(), neurons={"exc": [1, 7]})
    assert counts[["run", "node_id", "count"]].to_numpy().tolist() == [
        [0, 1, 1],
        [0, 7, 0],
        [1, 1, 1],
        [1, 7, 0],
        [2, 1, 1],
        [2, 7, 0],
    ]


def test_categorical_population_gives_the_same_answer(dataset: Dataset) -> None:
    spikes = dataset.spikes.astype({"population": "category"})
    a = mean_rates(spikes, 0.0, T_STOP, neurons=SIZES)
    b = mean_rates(dataset.spikes, 0.0, T_STOP, neurons=SIZES)
    pd.testing.assert_frame_equal(a, b)
