"""S12: one damaged run file is quarantined and reported once; other queries still work (issue 11)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.study.run import run_folder


def _job(run: Any) -> None:
    n = 3 + run.params.x
    run.record_spikes("exc", np.arange(n) % 2, np.linspace(1.0, 50.0, n))


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=1)
    s.params.add("x", 0)
    s.explore(nl.grid(x=[0, 1, 2]))
    s.run(_job, backend="serial", progress=False)
    return s


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def test_a_truncated_spike_file_is_quarantined_and_reported_once(study: nl.Study) -> None:
    damaged = run_folder(study.path, 1) / "spikes.h5"
    truncate(damaged)
    with pytest.warns(RuntimeWarning, match=r"run 1 .*quarantined") as seen:
        manifest = study.consolidate(rebuild=True, progress=False)
    assert any(str(damaged) in str(w.message) for w in seen)
    assert list(manifest["quarantined"]) == ["1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported once: later queries stay quiet
        assert len(study.filter(st_x=0).spikes()) == 3
        assert len(study.filter(st_x=2).spikes()) == 5
        everything = study.filter().spikes()
        assert sorted(set(everything["run"])) == [0, 2]  # the damaged run is left out, not empty
        assert study.filter().runs.index.tolist() == [0, 2]
        assert len(study.filter(st_x=1).runs) == 0
        reopened = nl.Study(study.path)
        assert len(reopened.filter().spikes()) == 8


def test_a_run_damaged_before_its_first_consolidation(study: nl.Study) -> None:
    import shutil

    shutil.rmtree(study.path / "tables")  # as if the tables were never written
    truncate(run_folder(study.path, 2) / "spikes.h5")
    with pytest.warns(RuntimeWarning, match=r"run 2 .*quarantined"):
        got = study.filter(st_x=0).spikes()
    assert len(got) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sorted(set(study.filter().spikes()["run"])) == [0, 1]
