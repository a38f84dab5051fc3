"""Synapse activation binning by time and grouping columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroloom.analysis import activations_from_wide, synapse_activation_binning
from neuroloom.errors import AnalysisInputError


def _activations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run": np.array([0, 0, 1, 1, 1, 1], dtype=np.int64),
            "synapse_type": ["L4", "L5", "L4", "L4", "VPM", "VPM"],
            "soma_distance": [10.0, 600.0, 20.0, 700.0, 900.0, 1500.0],
            "time": [5.0, 15.0, 25.0, 5.0, 95.0, 50.0],
        }
    )


def test_per_run_counts_by_type_with_silent_run() -> None:
    table = synapse_activation_binning(_activations(), 0.0, 100.0, 50.0, by="synapse_type", runs=[0, 1, 2])
    assert table.index.names == ["run", "synapse_type"]
    assert len(table) == 3 * 3
    assert table.loc[(0, "L4")].tolist() == [1, 0]
    assert table.loc[(1, "L4")].tolist() == [2, 0]
    assert table.loc[(1, "VPM")].tolist() == [0, 2]
    assert table.loc[2].to_numpy().sum() == 0


def test_per_group_mean_with_distance_ranges() -> None:
    table = synapse_activation_binning(
        _activations(),
        0.0,
        100.0,
        50.0,
        by="soma_distance",
        ranges={"soma_distance": [0, 500, 1000]},
        per="group",
    )
    assert len(table) == 2  # 1500 um is outside every range
    np.testing.assert_allclose(table.to_numpy(), [[1.0, 0.0], [1.0, 0.5]])


def test_from_wide_and_errors() -> None:
    wide = pd.DataFrame(
        {"synapse_type": ["L1_B2", "L4_C2"], 0: [15.7, np.nan], 1: [np.nan, np.nan]},
        index=["trial/000000", "trial/000001"],
    )
    long = activations_from_wide(wide)
    assert long[["run", "trial", "synapse_type", "time"]].to_numpy().tolist() == [
        [0, "trial/000000", "L1_B2", 15.7]
    ]
    with pytest.raises(AnalysisInputError, match="unknown grouping"):
        synapse_activation_binning(_activations(), 0.0, 100.0, 10.0, by="celltype")
    with pytest.raises(AnalysisInputError, match="ranges="):
        synapse_activation_binning(_activations(), 0.0, 100.0, 10.0, ranges={"soma_distance": [0, 1]})
