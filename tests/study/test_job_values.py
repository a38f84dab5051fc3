"""A job's return value: a tuple is stored as the JSON list it is."""

from __future__ import annotations

from pathlib import Path

import neuroloom as nl
from neuroloom.study.run import Run


def _pair(run: Run) -> tuple[float, str]:
    return run.params.x * 2, "ok"


def _long(run: Run) -> tuple[float, ...]:
    return tuple(float(i) for i in range(20_000))  # too big for the catalog: goes to the run folder


def test_a_job_returning_a_tuple_is_stored_as_a_list(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["x"] = 1.0
    study.explore(nl.grid(x=[1.0, 2.0]))
    report = study.run(_pair, backend="serial", progress=False)
    assert report.done == 2 and report.failed == 0
    assert study.results("return")["return"].tolist() == [[2.0, "ok"], [4.0, "ok"]]


def test_a_long_tuple_is_stored_too(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params["x"] = 1.0
    study.explore(nl.grid(x=[1.0]))
    study.run(_long, backend="serial", progress=False)
    value = study.results("return", load=True)["return"].iloc[0]
    assert list(value) == [float(i) for i in range(20_000)]
