"""ISF's own example databases open in place, pickle only when asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom.isf as isf
from neuroloom.errors import ItemNotFoundError, PickleRefusedError


def test_18k_trials_keys_and_metadata_without_pickle(isf_corpus: Path) -> None:
    db = isf.open(isf_corpus / "18k_trials")
    assert list(db) == ["spike_times"]
    assert db.layout == "isf"
    meta = db.metadata("spike_times")
    assert meta["dumper"] == "to_cloudpickle"
    assert meta["time"][:3] == [2024, 5, 6]
    assert meta["version"] == "unknown"
    assert db.dumper("spike_times") == "to_cloudpickle"
    assert db.state()["_unique_id"] == "2024-01-23_266441_47s8mDQ"


def test_18k_trials_refuses_pickle_naming_key_dumper_and_flag(isf_corpus: Path) -> None:
    db = isf.open(isf_corpus / "18k_trials")
    with pytest.raises(PickleRefusedError) as err:
        db["spike_times"]
    text = str(err.value)
    assert "spike_times" in text and "to_cloudpickle" in text and "allow_pickle=True" in text


def test_18k_trials_spike_table_and_the_manuals_count(isf_corpus: Path) -> None:
    frame = isf.open(isf_corpus / "18k_trials", allow_pickle=True)["spike_times"]
    assert isinstance(frame, pd.DataFrame)
    assert frame.shape == (18000, 5)
    assert frame.index.name == "sim_trail_index"  # ISF's own spelling in this file
    values = frame.to_numpy(dtype=float)
    in_window = ((values >= 245) & (values < 265)).any(axis=1)
    assert int(in_window.sum()) == 4415  # the in_silico_framework manual's number


def test_voltage_traces_tuples(isf_corpus: Path) -> None:
    db = isf.open(isf_corpus / "voltage_traces", allow_pickle=True)
    assert sorted(db) == ["step_current_0.619", "step_current_0.793", "step_current_1.507", "step_rect5_1.9"]
    t, v = db["step_current_0.619"]
    assert isinstance(t, np.ndarray) and t.shape == v.shape and t.size > 1000
    assert np.all(np.diff(t) >= 0)


def test_unknown_key(isf_corpus: Path) -> None:
    db = isf.open(isf_corpus / "voltage_traces")
    assert "nope" not in db
    with pytest.raises(ItemNotFoundError):
        db["nope"]
