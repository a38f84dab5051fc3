"""URIs of run results resolve through the Study, also after the study moved."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

import neuroloom as nl
from neuroloom.study.run import Run


def _job(run: Run) -> int:
    run.save("arr", np.arange(3) * run.params.x)
    return int(run.params.x) * 2


def test_run_item_and_scalar_result_uris_survive_a_move(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["x"] = 1
    study.explore(nl.grid(x=[1, 2]))
    study.run(_job, backend="serial")
    array_uri = study.uri(("runs", "run_00000001", "arr"))
    scalar_uri = f"neuroloom://{study.id}/runs/run_00000001/return"
    study.close()
    shutil.move(str(tmp_path / "s"), str(tmp_path / "moved"))
    assert list(nl.resolve(array_uri, search=[tmp_path])) == [0, 2, 4]
    assert nl.resolve(scalar_uri, search=[tmp_path]) == 4
