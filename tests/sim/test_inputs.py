"""Input descriptions: statistics of generated trains, validation, merging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import InputSpecError
from neuroloom.sim.inputs import (
    CurrentClamp,
    PoissonInput,
    PSTHInput,
    SpikeTrainInput,
    check_inputs,
    merged_spikes,
    release_prob_for,
)

IDS = np.arange(200, dtype=np.int64)


def test_poisson_rate_and_window() -> None:
    rng = np.random.default_rng(0)
    ids, times = PoissonInput("ext", rate=20.0, start=100.0, stop=600.0).spikes(IDS, 1000.0, rng)
    expected = 20.0 * 0.5 * IDS.size
    assert abs(ids.size - expected) < 5 * np.sqrt(expected)
    assert times.min() >= 100.0 and times.max() < 600.0
    assert set(np.unique(ids)) <= set(IDS.tolist())


def test_poisson_per_node_rates_and_interval_spelling() -> None:
    rng = np.random.default_rng(1)
    rates = np.where(IDS < 100, 0.0, 50.0)
    ids, _ = PoissonInput("ext", rate=rates).spikes(IDS, 1000.0, rng)
    assert ids.min() >= 100
    ongoing = PoissonInput.from_interval("L5tt", 283.3)
    assert ongoing.rate == pytest.approx(1000.0 / 283.3)
    with pytest.raises(InputSpecError, match="interval"):
        PoissonInput.from_interval("L5tt", 0.0)
    with pytest.raises(InputSpecError, match="3 rates for 200 nodes"):
        PoissonInput("ext", rate=[1.0, 2.0, 3.0]).spikes(IDS, 100.0, rng)


def test_psth_probabilities_and_offset() -> None:
    rng = np.random.default_rng(2)
    intervals = np.array([(5.0, 6.0), (10.0, 12.0), (20.0, 30.0)])
    probs = np.array([0.1, 0.5, 0.9])
    n = 4000
    source = PSTHInput("VPM", intervals=intervals, probabilities=probs, offset=245.0)
    ids, times = source.spikes(np.arange(n, dtype=np.int64), 1000.0, rng)
    rel = times - 245.0
    for (lo, hi), p in zip(intervals, probs):
        inside = (rel >= lo) & (rel <= hi)
        count = int(inside.sum())
        assert abs(count - p * n) < 5 * np.sqrt(n * p * (1 - p))
    assert np.all(np.any((rel[:, None] >= intervals[:, 0]) & (rel[:, None] <= intervals[:, 1]), axis=1))
    # a node spikes at most once per interval
    assert ids.size == np.unique(np.stack([ids, np.searchsorted(intervals[:, 1], rel)]), axis=1).shape[1]


def test_psth_validation() -> None:
    with pytest.raises(InputSpecError, match=r"\(k, 2\)"):
        PSTHInput("VPM", intervals=[(1.0, 2.0)], probabilities=[0.1, 0.2])
    with pytest.raises(InputSpecError, match="probability"):
        PSTHInput("VPM", intervals=[(1.0, 2.0)], probabilities=[1.5])


def test_spike_trains_from_arrays_and_table() -> None:
    table = pd.DataFrame({"population": ["a", "a", "b"], "node_id": [3, 1, 0], "time": [5.0, 2.0, 1.0]})
    source = SpikeTrainInput.from_table(table, "a")
    ids, times = source.spikes(np.arange(5, dtype=np.int64), 100.0, np.random.default_rng())
    assert ids.tolist() == [3, 1] and times.tolist() == [5.0, 2.0]
    with pytest.raises(InputSpecError, match="2 node ids but 1 times"):
        SpikeTrainInput("a", node_ids=[1, 2], times=[1.0])
    with pytest.raises(InputSpecError, match="not in the population"):
        SpikeTrainInput("a", node_ids=[9], times=[1.0]).spikes(
            np.arange(5, dtype=np.int64), 10.0, np.random.default_rng()
        )
    with pytest.raises(InputSpecError, match="no 'time' column"):
        SpikeTrainInput.from_table(table.drop(columns="time"), "a")


def test_merge_sorts_and_release_prob_must_agree() -> None:
    inputs = [
        SpikeTrainInput("a", node_ids=[1, 0], times=[9.0, 3.0], release_prob=0.5),
        SpikeTrainInput("a", node_ids=[2], times=[4.0], release_prob=0.5),
        PoissonInput("b", rate=1.0, release_prob=0.2),
    ]
    ids, times = merged_spikes(inputs, "a", np.arange(3, dtype=np.int64), 100.0, np.random.default_rng())
    assert times.tolist() == [3.0, 4.0, 9.0] and ids.tolist() == [0, 2, 1]
    assert release_prob_for(inputs, "a") == 0.5
    assert release_prob_for(inputs, "nobody") == 1.0
    with pytest.raises(InputSpecError, match="disagree on release_prob"):
        release_prob_for([*inputs, PoissonInput("a", rate=1.0)], "a")
    with pytest.raises(InputSpecError, match="release_prob"):
        PoissonInput("a", rate=1.0, release_prob=0.0)


def test_clamp_and_input_checks() -> None:
    clamp = CurrentClamp("exc", amplitude=0.2, delay=10.0, duration=5.0, node_ids=[0, 2])
    assert clamp.targets(np.arange(3, dtype=np.int64)).tolist() == [0, 2]
    with pytest.raises(InputSpecError, match="not in the population"):
        clamp.targets(np.arange(2, dtype=np.int64))
    with pytest.raises(InputSpecError, match="duration"):
        CurrentClamp("exc", amplitude=0.2, duration=-1.0)
    with pytest.raises(InputSpecError, match="Input objects"):
        check_inputs([{"population": "exc"}])  # type: ignore[list-item]
    with pytest.raises(InputSpecError, match="non-empty string"):
        PoissonInput("", rate=1.0)
