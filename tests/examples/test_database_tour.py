"""The ISF-user tour in examples/database_tour.py runs as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuroloom import Database

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "database_tour.py"


@pytest.mark.slow
def test_database_tour_runs_and_leaves_a_moved_working_database(tmp_path: Path) -> None:
    out = tmp_path / "tour"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(out)],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "psth computed 1 time(s) for two calls" in done.stdout
    assert "now resolves to cluster-scratch/mdb" in done.stdout
    assert not (out / "lab-disk").exists()
    db = Database(out / "cluster-scratch" / "mdb")
    assert set(db.keys()) >= {"synapse_activation", "spike_times", ("analysis", "psth"), "figures"}
    assert db.metadata("synapse_activation")["codec"] == "dask-parquet"
    assert db.metadata("spike_times")["codec"] == "npy"
    assert (db["figures"] / "psth.png").stat().st_size > 1000
    assert len(db["synapse_activation"]) == 12 * 2_000
    assert "Traceback" not in done.stderr
