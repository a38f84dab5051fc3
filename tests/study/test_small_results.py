"""Small results live in the catalog: a sweep of small arrays writes no file per run (issue 14, footprint)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from brian2 import mV

import neuroloom as nl
from neuroloom.study.run import INLINE_ARRAY_ELEMENTS, Run
from neuroloom.study.run_table import LazyItem


def _sweep(run: Run) -> None:
    """pypet's post-processing example in small: a trace, a dict, a scalar and a grouped result."""
    values = np.random.default_rng(run.index).normal(run.params.x, 1.0, size=100)
    run.save("trace", values, comment="100 samples")
    run.save("stats", {"mean": float(values.mean()), "n": 100})
    run.save("z", run.params.x * run.params.y)
    run.save("neuron", V=values[:10], nspikes=int(run.params.y))


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_sweep_of_small_results_writes_no_file_per_run(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("x", 1.0)
    study.params.add("y", 1.0)
    study.explore(nl.grid(x=[0.0, 1.0, 2.0, 3.0], y=[1.0, 2.0, 3.0]))
    report = study.run(_sweep, backend="serial", progress=False)
    assert report.done == 12
    assert not (study.path / "runs").exists()  # no run folder at all
    assert len(_files(study.path)) <= 4  # marker, catalog (+ its journal): not per run
    expected = np.random.default_rng(7).normal(study.runs.loc[7, "x"], 1.0, size=100)
    traces = study.results("trace")["trace"]
    np.testing.assert_array_equal(traces.loc[7], expected)  # exact: floats round-trip
    assert traces.loc[7].dtype == np.float64
    grouped = study.results("neuron")
    np.testing.assert_array_equal(grouped.loc[7, "V"], expected[:10])
    np.testing.assert_array_equal(study["runs", "run_00000007", "trace"], expected)
    assert study.result_comments()["trace"] == "100 samples"


def _shapes(run: Run) -> None:
    run.save("f32", np.array([1.5, np.nan, -np.inf], dtype=np.float32))
    run.save("i16", np.arange(6, dtype=np.int16).reshape(2, 3))
    run.save("flags", np.array([True, False]))
    run.save("text", np.array(["a", "bc"]))
    run.save("empty", np.zeros((3, 0)))
    run.save("volts", np.array([1.0, 2.5]) * mV)
    run.save("big", np.arange(float(INLINE_ARRAY_ELEMENTS + 1)))  # too big for the catalog: a file


def test_small_arrays_keep_dtype_shape_and_unit_and_large_ones_go_to_files(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1.0)
    study.explore(nl.grid(x=[1.0]))
    study.run(_shapes, backend="serial", progress=False)
    got = study.run_results(0)
    assert got["f32"].dtype == np.float32 and np.isnan(got["f32"][1]) and got["f32"][2] == -np.inf
    assert got["i16"].dtype == np.int16 and got["i16"].shape == (2, 3)
    assert got["flags"].dtype == np.bool_ and got["flags"].tolist() == [True, False]
    assert got["text"].tolist() == ["a", "bc"]
    assert got["empty"].shape == (3, 0)
    assert got["volts"].dim == mV.dim
    np.testing.assert_allclose(np.asarray(got["volts"] / mV), [1.0, 2.5])
    assert isinstance(study.results("big")["big"].iloc[0], LazyItem)
    files = _files(study.path / "runs")
    assert {p.name for p in files} == {"items.zip"}  # only the large array, in the run's archive


def test_small_arrays_reach_the_catalog_from_worker_processes(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("x", 1.0)
    study.params.add("y", 1.0)
    study.explore(nl.grid(x=[0.0, 1.0], y=[1.0]))
    study.run(_sweep, backend="processes", workers=2, progress=False)
    assert not (study.path / "runs").exists()
    assert study.results("neuron")["nspikes"].tolist() == [1, 1]
    np.testing.assert_array_equal(
        study.results("trace")["trace"].loc[1], np.random.default_rng(1).normal(1.0, 1.0, size=100)
    )


def _large(run: Run) -> None:
    run.save("steps", np.repeat(np.arange(100, dtype=np.int64), 100))  # compresses well: npz
    run.save("noise", np.random.default_rng(0).random(10_000))  # does not: npy (memory-mapped)


def test_large_arrays_are_compressed_where_it_pays(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1.0)
    study.explore(nl.grid(x=[1.0]))
    study.run(_large, backend="serial", progress=False)
    got = study.run_results(0)
    np.testing.assert_array_equal(got["steps"], np.repeat(np.arange(100), 100))
    assert got["steps"].dtype == np.int64
    assert isinstance(got["noise"], np.ndarray)  # npy in the run's archive (items.zip, < 4 MiB)
    assert study.metadata(("runs", "run_00000000", "steps"))["codec"] == "npz"
    assert study.metadata(("runs", "run_00000000", "noise"))["codec"] == "npy"
    (npz,) = (study.path / "runs").rglob("data.npz")
    assert npz.stat().st_size < 80_000 / 4  # 80 kB of int64 on disk in far less
    loaded = study.results("steps", load=True)["steps"].iloc[0]
    assert isinstance(loaded, np.ndarray) and loaded.shape == (10_000,)
