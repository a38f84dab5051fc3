"""``run.record_table`` in jobs and ``view.table`` across runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
import neuroloom.analysis as na
from neuroloom.errors import QueryError, RunFailedError


def job(run: Any) -> None:
    n = int(run.params.n)
    run.record_table(
        "synapse_activation",
        pd.DataFrame(
            {
                "synapse_type": ["L4ss"] * n + ["L5tt"] * (n + 1),
                "synapse_ID": np.arange(2 * n + 1),
                "time": np.linspace(0.0, 99.0, 2 * n + 1),
            }
        ),
    )
    run.record_spikes("cell", [0], [float(n)])


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=1)
    s.params.add("n", 1)
    s.explore(nl.grid(n=[1, 2, 3]))
    s.run(job, progress=False)
    return s


def test_table_across_runs(study: nl.Study) -> None:
    frame = study.view.table("synapse_activation")
    assert frame.columns.tolist()[:4] == ["run", "synapse_type", "synapse_ID", "time"]
    counts = frame.groupby(["st_n", "synapse_type"]).size().to_dict()
    assert counts == {
        (1, "L4ss"): 1,
        (1, "L5tt"): 2,
        (2, "L4ss"): 2,
        (2, "L5tt"): 3,
        (3, "L4ss"): 3,
        (3, "L5tt"): 4,
    }
    only = study.filter(st_n=2).table("synapse_activation", params=False)
    assert len(only) == 5 and set(only.columns) == {"run", "synapse_type", "synapse_ID", "time"}
    binned = na.synapse_activation_binning(frame, 0.0, 100.0, 50.0, per="run")
    assert int(binned.to_numpy().sum()) == len(frame)
    files = sorted(p.name for p in (study.path / "runs").rglob("table_*.parquet"))
    assert files == ["table_synapse_activation.parquet"] * 3


def test_rebuild_reads_run_folders(study: nl.Study) -> None:
    before = study.view.table("synapse_activation")
    study.consolidate(rebuild=True, progress=False)
    after = study.view.table("synapse_activation")
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))


def test_unknown_table_and_bad_frames(study: nl.Study, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="recorded tables: synapse_activation"):
        study.view.table("nope")

    def bad(run: Any) -> None:
        run.record_table("t", pd.DataFrame({"run": [1]}))

    s = nl.Study(tmp_path / "bad")
    s.params.add("x", 1)
    s.explore([{"x": 1}])
    with pytest.raises(RunFailedError, match="the column 'run' is reserved"):
        s.run(bad, progress=False)


def test_record_table_refuses_non_frames(tmp_path: Path) -> None:
    def bad(run: Any) -> None:
        run.record_table("t", [1, 2])

    s = nl.Study(tmp_path / "bad")
    s.params.add("x", 1)
    s.explore([{"x": 1}])
    with pytest.raises(RunFailedError, match="expected a pandas DataFrame"):
        s.run(bad, progress=False)
