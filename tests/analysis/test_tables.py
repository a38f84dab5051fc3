"""The spikes table contract: clear errors on bad input, and the ISF wide-table converter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroloom.analysis import from_wide_times, mean_rates, spike_counts, trials_with_spike
from neuroloom.errors import AnalysisInputError, EmptyDataError, NeuroloomError


def _spikes(times: list[float]) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "run": np.zeros(n, np.int64),
            "population": ["p"] * n,
            "node_id": np.zeros(n, np.int64),
            "time": times,
        }
    )


def test_empty_table_is_an_error() -> None:
    with pytest.raises(EmptyDataError, match="empty"):
        mean_rates(_spikes([]), 0.0, 10.0)


@pytest.mark.parametrize(("times", "message"), [([1.0, np.nan], "NaN"), ([1.0, -0.5], "negative")])
def test_nan_and_negative_times_are_errors(times: list[float], message: str) -> None:
    with pytest.raises(AnalysisInputError, match=message):
        spike_counts(_spikes(times))


def test_unknown_grouping_and_missing_columns_are_named() -> None:
    with pytest.raises(AnalysisInputError, match=r"unknown grouping column\(s\) \['stimm'\]"):
        mean_rates(_spikes([1.0]), 0.0, 10.0, by="stimm")
    with pytest.raises(AnalysisInputError, match="lacks the column"):
        mean_rates(_spikes([1.0]).drop(columns="node_id"), 0.0, 10.0)
    with pytest.raises(AnalysisInputError, match="must be a pandas or dask DataFrame"):
        mean_rates([1.0, 2.0], 0.0, 10.0)  # type: ignore[arg-type]


def test_bad_arguments_are_errors() -> None:
    with pytest.raises(AnalysisInputError, match="per="):
        mean_rates(_spikes([1.0]), 0.0, 10.0, per="trial")  # type: ignore[arg-type]
    with pytest.raises(AnalysisInputError, match="window"):
        mean_rates(_spikes([1.0]), 10.0, 5.0)
    with pytest.raises(AnalysisInputError, match="runs= as a DataFrame"):
        trials_with_spike(_spikes([1.0]).assign(st_stim="A"), 0.0, 5.0, by="st_stim", runs=[0, 1])
    with pytest.raises(AnalysisInputError, match=r"runs= lacks the column\(s\) \['st_stim'\]"):
        trials_with_spike(
            _spikes([1.0]).assign(st_stim="A"), 0.0, 5.0, by="st_stim", runs=pd.DataFrame({"run": [0]})
        )
    with pytest.raises(AnalysisInputError, match="neurons= must be"):
        mean_rates(_spikes([1.0]), 0.0, 10.0, neurons=5)  # type: ignore[arg-type]


def test_errors_are_neuroloom_errors() -> None:
    assert issubclass(EmptyDataError, NeuroloomError) and issubclass(AnalysisInputError, ValueError)


def test_from_wide_times_keeps_silent_trials_and_parameters() -> None:
    wide = pd.DataFrame(
        {0: [173.6, np.nan, 247.3], 1: [214.4, np.nan, 265.7], "stim": ["B1", "B1", "C2"]},
        index=pd.Index(["B1/000000", "B1/000001", "C2/000000"], name="sim_trial_index"),
    )
    spikes, runs = from_wide_times(wide)
    assert spikes["run"].tolist() == [0, 0, 2, 2]
    assert spikes["time"].tolist() == [173.6, 214.4, 247.3, 265.7]
    assert spikes["st_stim"].tolist() == ["B1", "B1", "C2", "C2"]  # run parameters: st_<name>
    assert runs["st_stim"].tolist() == ["B1", "B1", "C2"]
    assert runs["sim_trial_index"].tolist() == ["B1/000000", "B1/000001", "C2/000000"]
    table = trials_with_spike(spikes, 245.0, 265.0, by="st_stim", runs=runs)
    assert table[["st_stim", "n_trials", "n_with_spike"]].to_numpy().tolist() == [["B1", 2, 0], ["C2", 1, 1]]
    with pytest.raises(AnalysisInputError, match="no spike-time columns"):
        from_wide_times(wide[["stim"]])
