"""Reports of studies that are not network studies: scalar results only, no runs, a spike study."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from neuroloom import Study, grid
from neuroloom.errors import ReportError
from neuroloom.report import build_report
from neuroloom.study.run import Run


def _score(run: Run) -> float:
    x, y = run.params.x, run.params.y
    run.save("score", x * 10 + y)
    return float(x - y)


def _spiking(run: Run) -> None:
    rng = run.rng()
    n = 30
    counts = rng.poisson(run.params.rate * 0.5, n)  # 500 ms
    ids = np.repeat(np.arange(n), counts)
    run.record_spikes("cells", ids, rng.random(ids.size) * 500.0)


def test_report_of_scalar_results_has_a_table_and_a_heat_map(tmp_path: Path) -> None:
    study = Study(tmp_path / "scores", seed=1)
    study.params.add("x", 1.0)
    study.params.add("y", 1.0)
    study.explore(grid(x=[1.0, 2.0, 3.0], y=[0.5, 1.5]))
    study.run(_score, backend="serial", progress=False)
    page = build_report(study, tmp_path / "out")
    text = page.read_text()
    assert page == tmp_path / "out" / "report.html"
    assert "6 done" in text and "No spikes are recorded" in text
    assert "<td>31.5</td>" in text  # score of x=3, y=1.5
    assert (tmp_path / "out" / "phase_results.png").read_bytes()[:4] == b"\x89PNG"
    assert not list((tmp_path / "out").glob(".nl-tmp*"))


def test_report_of_a_spike_study_without_network_counts_spiking_neurons(tmp_path: Path) -> None:
    study = Study(tmp_path / "spikes", seed=2)
    study.params.add("rate", 10.0, unit="Hz")
    study.explore(grid(rate=[5.0, 40.0]))
    study.run(_spiking, backend="serial", progress=False)
    page = build_report(study, runs=1)
    text = page.read_text()
    assert "population sizes unknown" in text
    images = re.findall(r"<img src='([^']+)'", text)
    assert "phase_rate.png" in images and len([i for i in images if i.startswith("raster_")]) == 1
    assert all((page.parent / name).is_file() for name in images)


def test_a_study_without_runs_is_a_clear_error(tmp_path: Path) -> None:
    study = Study(tmp_path / "empty", seed=3)
    with pytest.raises(ReportError, match="has no runs yet"):
        build_report(study)
