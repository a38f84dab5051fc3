"""fano_factor: both definitions by name, and no variance over one sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroloom.analysis import fano_factor
from neuroloom.errors import AnalysisInputError


def _spikes() -> pd.DataFrame:
    times = {  # run 0 / node 0: counts per 100 ms window [3, 0, 1, 0]; node 1: [1, 1, 1, 1]
        (0, 0): [10.0, 20.0, 30.0, 250.0],
        (0, 1): [50.0, 150.0, 250.0, 350.0],
        (1, 0): [5.0, 105.0],
    }
    rows = [(run, node, t) for (run, node), ts in times.items() for t in ts]
    frame = pd.DataFrame(rows, columns=["run", "node_id", "time"]).assign(population="exc")
    return frame.astype({"run": "int64", "node_id": "int64"})


def test_windows_definition_is_pypets_per_train_fano() -> None:
    table = fano_factor(_spikes(), 0.0, 400.0, method="windows", window=100.0, neurons={"exc": 2})
    row = table.set_index(["run", "node_id"])
    counts = np.array([3, 0, 1, 0])
    assert row.loc[(0, 0), "fano"] == pytest.approx(np.var(counts) / np.mean(counts))
    assert row.loc[(0, 1), "fano"] == pytest.approx(0.0)  # regular: no variance
    assert row.loc[(1, 0), "fano"] == pytest.approx(np.var([1, 1, 0, 0]) / 0.5)
    assert np.isnan(row.loc[(1, 1), "fano"])  # silent train: undefined
    assert (table["n_windows"] == 4).all()
    per_run = fano_factor(_spikes(), 0.0, 400.0, method="windows", window=100.0, per="run")
    assert per_run["fano"].tolist() == pytest.approx([(np.var(counts) / np.mean(counts)) / 2, 0.5])
    assert per_run["n_neurons"].tolist() == [2, 1]


def test_trials_definition_and_single_samples_are_refused() -> None:
    spikes = _spikes()
    table = fano_factor(spikes, 0.0, 400.0, neurons={"exc": 2})  # across runs 0 and 1
    node0 = table.set_index("node_id").loc[0]
    assert node0["n_trials"] == 2
    assert node0["fano"] == pytest.approx(np.var([4, 2]) / 3.0)
    one_run = spikes[spikes["run"] == 0]
    with pytest.raises(AnalysisInputError, match="method='windows'"):
        fano_factor(one_run, 0.0, 400.0)  # one run per group: a variance over one sample
    with pytest.raises(AnalysisInputError, match="at least 2"):
        fano_factor(spikes, 0.0, 400.0, method="windows", window=300.0)
    with pytest.raises(AnalysisInputError, match="needs window="):
        fano_factor(spikes, 0.0, 400.0, method="windows")
    with pytest.raises(AnalysisInputError, match="method="):
        fano_factor(spikes, 0.0, 400.0, method="time")  # type: ignore[arg-type]
