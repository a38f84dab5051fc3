"""Per-run statistics against values computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroloom.report import run_statistics


def _regular(run: int, population: str, n: int, period: float, t_stop: float) -> pd.DataFrame:
    times = np.arange(period / 2, t_stop, period)
    return pd.DataFrame(
        {
            "run": run,
            "population": population,
            "node_id": np.repeat(np.arange(n), times.size),
            "time": np.tile(times, n),
        }
    )


def test_regular_trains_have_exact_rate_zero_cv_and_zero_fano() -> None:
    spikes = _regular(0, "exc", 10, 25.0, 1000.0)  # 40 Hz, one spike per 25 ms
    stats = run_statistics(spikes, 0.0, 1000.0, sizes={"exc": 20}, fano_window=50.0)
    row = stats.iloc[0]
    assert row["rate"] == pytest.approx(20.0)  # 10 of 20 neurons fire at 40 Hz
    assert row["rate_std"] == pytest.approx(20.0)
    assert row["cv"] == pytest.approx(0.0, abs=1e-12)
    assert row["fano"] == pytest.approx(0.0, abs=1e-12)
    assert row["n_neurons"] == 20


def test_poisson_trains_have_cv_and_fano_near_one_and_silent_runs_rate_zero() -> None:
    rng = np.random.default_rng(3)
    n, rate, seconds = 200, 20.0, 10.0
    counts = rng.poisson(rate * seconds, n)
    spikes = pd.DataFrame(
        {
            "run": 4,
            "population": "inh",
            "node_id": np.repeat(np.arange(n), counts),
            "time": rng.random(counts.sum()) * seconds * 1000.0,
        }
    )
    stats = run_statistics(spikes, 0.0, seconds * 1000.0, runs=[4, 5], sizes={"inh": n}, fano_window=100.0)
    busy = stats[stats["run"] == 4].iloc[0]
    assert busy["rate"] == pytest.approx(counts.sum() / n / seconds)
    assert busy["cv"] == pytest.approx(1.0, abs=0.05)
    assert busy["fano"] == pytest.approx(1.0, abs=0.05)
    silent = stats[stats["run"] == 5].iloc[0]
    assert silent["rate"] == 0.0 and np.isnan(silent["cv"]) and np.isnan(silent["fano"])


def test_window_excludes_the_transient() -> None:
    early = _regular(0, "exc", 5, 10.0, 200.0)
    late = _regular(0, "exc", 5, 50.0, 1000.0)
    late = late[late["time"] >= 200.0]
    stats = run_statistics(pd.concat([early, late]), 200.0, 1000.0, sizes={"exc": 5})
    assert stats["rate"].item() == pytest.approx(20.0)
