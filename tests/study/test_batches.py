"""Run batches: imported runs stored together, named once in the catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.errors import RecordingError
from neuroloom.study.batches import (
    batch_meta,
    batches_dir,
    catalog_batches,
    expand_ranges,
    run_ranges,
)


def _table(n: int) -> pd.DataFrame:
    index = pd.Index([f"C2_x/sim/{i:06d}" for i in range(n)], name="sim_trail_index")
    return pd.DataFrame({0: np.arange(n, dtype=float) + 250.0, 1: np.nan}, index=index)


def test_ranges_round_trip() -> None:
    runs = [7, 0, 1, 2, 5, 6, 9]
    assert run_ranges(runs) == [[0, 2], [5, 7], [9, 9]]
    assert expand_ranges(run_ranges(runs)).tolist() == sorted(runs)
    assert json.loads(batch_meta("b-000001", runs)[1]) == {"n": 7, "runs": [[0, 2], [5, 7], [9, 9]]}


def test_one_batch_one_catalog_entry(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.import_spike_table(_table(50))
    rows = study.catalog.con.execute("SELECT key, value FROM meta WHERE key LIKE 'batch:%'").fetchall()
    assert rows == [("batch:b-000001", '{"n":50,"runs":[[0,49]]}')]
    assert study.catalog.con.execute("SELECT count(*) FROM results").fetchone()[0] == 0
    assert sorted(p.name for p in (batches_dir(study.path) / "b-000001").iterdir()) == [
        "recorded.parquet",
        "spikes.parquet",
    ]
    study.consolidate(rebuild=True, progress=False)
    assert len(study.view.spikes()) == 50


def test_debris_swept_and_claims_taken_over(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    (batches_dir(study.path) / "b-000007").mkdir(parents=True)  # an import that crashed before commit
    with study.catalog.transaction() as con:  # ... or after naming runs it never finished
        con.execute("INSERT INTO meta(key, value) VALUES (?,?)", batch_meta("b-000003", [0, 1]))
    (batches_dir(study.path) / "b-000003").mkdir()
    study.import_spike_table(_table(4))
    assert sorted(p.name for p in batches_dir(study.path).iterdir()) == ["b-000003", "b-000004"]
    assert set(catalog_batches(study.catalog).values()) == {"b-000004"}
    assert study.filter().trials_with_spike(245, 265)["n_trials"].tolist() == [4]


def test_damaged_batch_is_quarantined_and_named(tmp_path: Path) -> None:
    """A damaged batch file: its runs are quarantined (S12) with a warning naming the file;
    the other batches stay queryable."""
    study = nl.Study(tmp_path / "s")
    study.import_spike_table(_table(5))
    later = _table(3).rename(index=lambda s: s.replace("C2_x", "D1_x"))
    study.import_spike_table(later)
    (batches_dir(study.path) / "b-000001" / "spikes.parquet").write_bytes(b"not parquet")
    with pytest.warns(RuntimeWarning, match=r"b-000001/spikes\.parquet.*runs 0\.\.4 \(batch b-000001\)"):
        manifest = study.consolidate(rebuild=True, progress=False)
    assert sorted(manifest["quarantined"], key=int) == ["0", "1", "2", "3", "4"]
    assert study.filter().trials_with_spike(245, 265)["n_trials"].tolist() == [3]


def test_failed_batch_import_takes_everything_back(tmp_path: Path) -> None:
    """S6 for batches: a failure while filling or writing the batch leaves no run, parameter,
    exploration or batch folder behind."""
    from neuroloom.datastore.importers import add_batch_runs

    study = nl.Study(tmp_path / "s")
    study.import_spike_table(_table(2))
    before = (study.runs.copy(), study.params.values(), len(study.explorations))

    def fill(batch: object, run_of_point: np.ndarray) -> None:
        raise RecordingError("trial 1: ragged CSV")

    points = [{"sim_trial_index": f"E2_x/sim/{i:06d}"} for i in range(3)]
    with pytest.raises(RecordingError, match="ragged"):
        add_batch_runs(study, points, fill)
    for s in (study, nl.Study(study.path)):
        pd.testing.assert_frame_equal(s.runs, before[0])
        assert s.params.values() == before[1]
        assert len(s.explorations) == before[2]
        assert s.catalog.counts()["pending"] == 0
    assert sorted(p.name for p in batches_dir(study.path).iterdir()) == ["b-000001"]
    assert len(study.import_spike_table(_table(3).rename(index=lambda s: s.replace("C2", "E2")))) == 3
