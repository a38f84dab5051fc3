"""Study as a Database; results; runs table; run API; failures; format; merge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.errors import CodecError, FormatVersionError, NotADatabaseError, RunFailedError, StudyError
from neuroloom.study.run import Run


def make(path: Path, n: int = 3) -> nl.Study:
    study = nl.Study(path, seed=7)
    study.params.add("x", 0)
    study.params.add("y", 0.0)
    study.explore(nl.grid(x=list(range(n)), y=[1.0, 2.0]))
    return study


def job(run: Run) -> Any:
    run.save("array", np.full(1000, run.params.x, dtype=float))
    run.save("info", {"x": run.params.x, "seed": run.seed})
    run.save("flag", run.params.x > 0)
    (run.folder / "note.txt").write_text(run.name)
    return run.params.x * run.params.y


def test_at_a_glance(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "runs" / "ei")
    study.params.add("neuron.tau_m", 20.0, unit="ms", comment="membrane time constant")
    study.params["input.rate"] = 5.0
    study.explore(nl.grid(**{"input.rate": [5, 10], "neuron.tau_m": [10.0, 20.0]}))
    study.run(lambda run: run.params.input.rate * run.params.neuron.tau_m, backend="serial", progress=False)
    res = study.results("return")
    assert list(res.columns) == ["input.rate", "neuron.tau_m", "return"]
    assert (res["return"] == res["input.rate"] * res["neuron.tau_m"]).all()


def test_results_runs_and_items(tmp_path: Path) -> None:
    study = make(tmp_path / "s")
    study["summary"] = pd.DataFrame({"a": [1, 2]})  # a Study is a Database
    report = study.run(job, backend="serial", progress=False)
    assert report.done == 6 and report.failed == 0
    res = study.results("return")
    assert list(res["return"]) == [x * y for x in range(3) for y in (1.0, 2.0)]
    arrays = study.results("array")
    handle = arrays["array"].iloc[5]
    np.testing.assert_array_equal(handle.load(), np.full(1000, 2.0))
    np.testing.assert_array_equal(np.asarray(handle), np.full(1000, 2.0))
    loaded = study.results("array", load=True)["array"].iloc[0]
    assert isinstance(loaded, np.ndarray) and loaded.shape == (1000,)
    assert study.results("flag")["flag"].tolist() == [False, False, True, True, True, True]
    info = study.results("info")["info"].iloc[3]
    assert info["x"] == 1
    # every run's results are addressable as items of the study
    assert study["runs", "run_00000003", "return"] == 2.0
    np.testing.assert_array_equal(study["runs", "run_00000003", "array"], np.full(1000, 1.0))
    assert study.uri(("runs", "run_00000003", "array")).endswith("/runs/run_00000003/array")
    everything = study.run_results(4)
    assert everything["return"] == 2.0 and everything["info"]["x"] == 2
    np.testing.assert_array_equal(everything["array"], np.full(1000, 2.0))
    assert (study.path / "runs" / "00000" / "run_00000004" / "note.txt").read_text() == "run_00000004"
    assert study["summary"]["a"].tolist() == [1, 2]
    with pytest.raises(StudyError, match=r"run.save"):
        study["runs", "x"] = 1
    with pytest.raises(nl.NeuroloomError, match=r"no run of study.*'nope'.*results: array"):
        study.results("nope")


def test_runs_table_where_find_and_seeds(tmp_path: Path) -> None:
    study = make(tmp_path / "s")
    study.run(job, backend="serial", progress=False)
    runs = study.runs
    assert set(runs.columns) >= {
        "name",
        "id",
        "status",
        "x",
        "y",
        "start",
        "end",
        "duration",
        "host",
        "error",
    }
    assert (runs["status"] == "done").all() and (runs["duration"] >= 0).all()
    assert list(runs.where(x=2, y=[1.0, 3.0]).index) == [4]
    assert study.find(lambda x, y: x == 2 or y == 2.0) == [1, 3, 4, 5]
    seeds = study.results("info")["info"].map(lambda d: d["seed"])
    assert seeds.is_unique
    assert list(runs["seed"]) == list(seeds)
    again = make(tmp_path / "t")  # same study seed and points: same run seeds
    again.run(job, backend="serial", progress=False)
    assert list(again.results("info")["info"].map(lambda d: d["seed"])) == list(seeds)
    with pytest.raises(nl.NeuroloomError, match=r"no column 'z'"):
        runs.where(z=1)


def test_an_int_parameter_stays_int_where_some_runs_leave_it_at_its_default(tmp_path: Path) -> None:
    """Before, a NULL (default) in the catalog column made pandas turn every value of it into a float."""
    study = make(tmp_path / "s", n=2)
    study.explore(nl.grid(y=[5.0]))  # x not explored: stored as NULL, read as its default 0
    runs = study.runs
    assert runs["x"].tolist() == [0, 0, 1, 1, 0] and runs["x"].dtype == np.int64
    assert all(type(x) is int for x in runs["x"].tolist())


def test_runs_of_two_explorations_of_list_parameters(tmp_path: Path) -> None:
    """A list/tuple/dict parameter left at its default in some runs (NULL in the catalog); before,
    ``study.runs`` raised ``TypeError: the JSON object must be str ..., not float``."""
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("w", [0, 0])
    study.params.add("t", (1, 2))
    assert study.explore({"w": [[1, 2], [3, 4]]}) == 2 and study.explore({"t": [(5, 6)]}) == 1
    runs = study.runs
    assert runs["w"].tolist() == [[1, 2], [3, 4], [0, 0]] and runs["t"].tolist() == [(1, 2), (1, 2), (5, 6)]
    assert study.find(lambda w: w == [3, 4]) == [1]


def test_find_takes_one_name_without_a_list(tmp_path: Path) -> None:
    """pypet's ``f_find_idx('x', lambda x: ...)`` takes a single name; before, ``study.find(fn, "x")``
    took the string's characters as names."""
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("neuron.rate", 0.0)
    study.explore(nl.grid(rate=[1.0, 2.0, 3.0]))
    assert study.find(lambda v: v >= 2, "neuron.rate") == study.find(lambda v: v >= 2, ["rate"]) == [1, 2]


def test_explored_names_the_explored_parameters(tmp_path: Path) -> None:
    """pypet's ``traj.f_get_explored_parameters()`` (example 17 names its plots by them)."""
    study = make(tmp_path / "s")
    assert study.explored == ["x", "y"]
    names = ["__".join(f"{n}_{row[n]}" for n in study.explored) for _, row in study.runs.iterrows()]
    assert names[:2] == ["x_0__y_1.0", "x_0__y_2.0"]


def test_derived_parameters(tmp_path: Path) -> None:
    study = make(tmp_path / "s", n=2)
    study.params.derive("derived.xy", lambda p: p.x + p.y)

    def uses(run: Run) -> float:
        run.derive("derived.during", run.params.x * 10)
        return float(run.params.derived.xy)

    study.run(uses, backend="serial", progress=False)
    assert list(study.results("derived.xy")["derived.xy"]) == [1.0, 2.0, 2.0, 3.0]
    assert list(study.results("return")["return"]) == [1.0, 2.0, 2.0, 3.0]
    assert list(study.results("derived.during")["derived.during"]) == [0, 0, 10, 10]


def failing(run: Run) -> Any:
    if run.params.x == 1:
        raise ValueError("x=1 is bad")
    if run.params.x == 2:
        return run.params.nope
    return 1


def test_failures_keep_tracebacks_and_retry(tmp_path: Path) -> None:
    study = make(tmp_path / "s")
    with pytest.raises(RunFailedError, match=r"4 run\(s\).*failed.*run_00000002.*2 finished runs are kept"):
        study.run(failing, backend="serial", progress=False)
    runs = study.runs
    failed = runs.where(status="failed")
    assert list(failed.index) == [2, 3, 4, 5]
    assert "ValueError: x=1 is bad" in failed["error"].iloc[0] and "Traceback" in failed["error"].iloc[0]
    assert "unknown parameter 'nope'" in failed["error"].iloc[2]
    assert "run_00000004 (x=2, y=1.0) failed" in failed["error"].iloc[2]
    # a plain rerun has nothing to do; retry_failed reruns the failed ones
    assert study.run(job, backend="serial", progress=False).done == 0
    report = study.run(job, backend="serial", progress=False, retry_failed=True)
    assert report.done == 4
    assert (study.runs["status"] == "done").all()
    assert list(study.runs["attempts"]) == [1, 1, 2, 2, 2, 2]


def test_unstorable_return_value(tmp_path: Path) -> None:
    study = make(tmp_path / "s", n=1)
    with pytest.raises(RunFailedError, match=r"run_00000000: the job returned a builtins.object"):
        study.run(lambda run: object(), backend="serial", progress=False)
    with pytest.raises(RunFailedError, match=r"cannot store result 'bad'"):
        study.run(
            lambda run: run.save("bad", {1: object()}), backend="serial", progress=False, retry_failed=True
        )
    assert study.catalog.count("failed") == 2
    with pytest.raises(CodecError, match=r"cannot store item 'bad': no codec stores a builtins.object"):
        study["bad"] = object()
    assert "bad" not in study


def test_open_refuses_newer_format_and_plain_databases(tmp_path: Path) -> None:
    study = make(tmp_path / "s")
    marker = study.path / "neuroloom.json"
    info = json.loads(marker.read_text())
    assert info["kind"] == "study" and info["format"] == 1
    info["study_format"] = 99
    marker.write_text(json.dumps(info))
    with pytest.raises(FormatVersionError, match=r"study format 99"):
        nl.Study(study.path)
    nl.Database(tmp_path / "db")
    with pytest.raises(NotADatabaseError, match=r"not a study"):
        nl.Study(tmp_path / "db")
    make(tmp_path / "t")
    with pytest.raises(StudyError, match=r"has seed 7, not 8"):
        nl.Study(tmp_path / "t", seed=8)


def test_merge(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", n=2), make(tmp_path / "b", n=3)
    a.run(job, backend="serial", progress=False)
    b.run(job, backend="serial", progress=False)
    a["note"] = "from a"
    merged = nl.merge(a, tmp_path / "b", into=tmp_path / "m")
    assert len(merged.runs) == 6  # b's first 4 points duplicate a's
    assert list(merged.results("return")["return"]) == [x * y for x in range(3) for y in (1.0, 2.0)]
    np.testing.assert_array_equal(merged["runs", "run_00000005", "array"], np.full(1000, 2.0))
    assert merged["note"] == "from a"
    assert merged.params.locked
    c = nl.Study(tmp_path / "c")
    c.params.add("x", 1)
    with pytest.raises(StudyError, match=r"differ at 'y'"):
        nl.merge(a, c, into=tmp_path / "m2")
    with pytest.raises(StudyError, match=r"not empty"):
        nl.merge(a, b, into=tmp_path / "m")


def test_large_results_are_cached_as_parquet_until_runs_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neuroloom.study.study as study_module

    monkeypatch.setattr(study_module, "CACHE_MIN_ROWS", 1)
    study = make(tmp_path / "s", n=2)
    study.run(lambda run: run.params.x * run.params.y, backend="serial", progress=False)
    first = study.results("return")
    cache = study.path / "tables" / "results" / "return.parquet"
    assert cache.is_file()
    pd.testing.assert_frame_equal(study.results("return"), first)
    cache.write_bytes(b"not parquet")  # a damaged cache is ignored and rebuilt
    pd.testing.assert_frame_equal(study.results("return"), first)
    study.explore(nl.grid(x=[5], y=[1.0]))
    study.run(lambda run: run.params.x * run.params.y, backend="serial", progress=False)
    assert study.results("return")["return"].tolist() == [*first["return"].tolist(), 5.0]
