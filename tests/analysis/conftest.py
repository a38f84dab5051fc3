"""Spike tables shared by the analysis tests, with their elephant spike trains."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

T_STOP = 1000.0
SIZES = {"exc": 6, "inh": 3}


@dataclass
class Dataset:
    spikes: pd.DataFrame
    runs: pd.DataFrame
    trains: dict[tuple[int, str, int], np.ndarray]  # every train of the universe, silent ones included


def make_dataset(n_runs: int = 5, seed: int = 7) -> Dataset:
    rng = np.random.default_rng(seed)
    stims = ["A", "B"] * (n_runs // 2) + ["A"] * (n_runs % 2)
    runs = pd.DataFrame({"run": np.arange(n_runs, dtype=np.int64), "st_stim": stims})
    frames, trains = [], {}
    for run in range(n_runs):
        for population, size in SIZES.items():
            for node in range(size):
                silent = population == "inh" and node == size - 1  # never spikes in any run
                n = 0 if silent else int(rng.integers(0, 25))
                times = np.sort(rng.uniform(0.0, T_STOP, n))
                trains[(run, population, node)] = times
                frames.append(
                    pd.DataFrame({"run": run, "population": population, "node_id": node, "time": times})
                )
    spikes = pd.concat(frames, ignore_index=True).astype(
        {"run": "int64", "node_id": "int64", "time": "float64"}
    )
    spikes = (
        spikes.merge(runs, on="run").sample(frac=1.0, random_state=seed).reset_index(drop=True)
    )  # unsorted rows
    return Dataset(spikes=spikes, runs=runs, trains=trains)


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return make_dataset()
