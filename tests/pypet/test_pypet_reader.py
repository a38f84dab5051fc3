"""Compare every value neuroloom.pypet reads with what pypet itself loaded (the JSON dumps).

The .hdf5 files and their .json ground truth are made in the pypet virtualenv by
``tests/pypet/data/make_trajectories.py`` and ``dump_ground_truth.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from neuroloom.errors import NeuroloomError, PickleRefusedError, StorageError
from neuroloom.pypet import (
    Parameter,
    PypetFormatError,
    Quantity,
    Result,
    Trajectory,
    TrajectoryNotFoundError,
    list_trajectories,
    read_trajectory,
)
from neuroloom.pypet.leaves import read_result

DATA = Path(__file__).parent / "data"
FILES = ["first_steps", "data_types", "brian2_net", "two_trajectories", "merged", "pickled"]


def _truth(stem: str) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((DATA / f"{stem}.json").read_text())
    return truth


CASES = [(stem, name) for stem in FILES for name in _truth(stem)["trajectories"]]


def _same_number(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, list):  # complex as [re, im]
        assert complex(actual) == complex(*expected), where
    elif isinstance(expected, float) and math.isnan(expected):
        assert math.isnan(actual), where
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def _check_array(expected: dict[str, Any], actual: Any, where: str, strict: bool) -> None:
    assert isinstance(actual, np.ndarray), f"{where}: {type(actual)} is not an array"
    assert list(actual.shape) == expected["shape"], where
    if actual.dtype.kind in "US":
        assert actual.astype(str).tolist() == expected["value"], where
        return
    if strict:
        assert actual.dtype.name == expected["dtype"], f"{where}: {actual.dtype} != {expected}"
    if actual.dtype.kind == "c":
        np.testing.assert_array_equal(actual.ravel(), [complex(*v) for v in expected["value"]])
    else:
        np.testing.assert_array_equal(actual, np.asarray(expected["value"]), err_msg=where)


def _check_frame(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert isinstance(actual, pd.DataFrame), where
    assert list(actual.columns) == expected["columns"], where
    assert list(actual.index) == expected["index"], where
    for column in actual.columns:
        assert str(actual[column].dtype) == expected["dtypes"][str(column)], where
        np.testing.assert_array_equal(actual[column].to_numpy(), expected["data"][str(column)])


def _check_series(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert isinstance(actual, pd.Series), where
    assert actual.name == expected["name"], where
    assert list(actual.index) == expected["index"], where
    assert str(actual.dtype) == expected["dtype"], where
    np.testing.assert_array_equal(actual.to_numpy(), expected["value"])


def check_value(expected: dict[str, Any], actual: Any, where: str, strict: bool = True) -> None:
    """Assert ``actual`` is what pypet handed back (``expected``, a tagged JSON value)."""
    kind = expected["kind"]
    if kind == "quantity":
        assert isinstance(actual, Quantity), f"{where}: {actual!r} is not a Quantity"
        assert actual.unit == expected["unit"], where
        check_value(expected["value"], np.asarray(actual.value), where, strict=False)
    elif kind == "scalar":
        if isinstance(actual, np.ndarray):
            assert actual.shape == (), where
            actual = actual[()]
        if strict:
            assert type(actual).__name__ == expected["type"], f"{where}: {type(actual)}"
        _same_number(expected["value"], actual, where)
    elif kind == "array":
        _check_array(expected, actual, where, strict)
    elif kind in ("list", "tuple"):
        assert type(actual).__name__ == kind, f"{where}: {type(actual)} is not a {kind}"
        assert len(actual) == len(expected["value"]), where
        for i, (exp, act) in enumerate(zip(expected["value"], actual, strict=True)):
            check_value(exp, act, f"{where}[{i}]", strict)
    elif kind == "dict":
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(expected["value"]), where
        for key, exp in expected["value"].items():
            check_value(exp, actual[key], f"{where}.{key}", strict)
    elif kind == "frame":
        _check_frame(expected, actual, where)
    elif kind == "series":
        _check_series(expected, actual, where)
    elif kind == "sparse":
        assert scipy.sparse.issparse(actual), f"{where}: {type(actual)} is not sparse"
        assert actual.format == expected["format"], where
        assert list(actual.shape) == expected["shape"], where
        np.testing.assert_array_equal(actual.toarray(), expected["dense"], err_msg=where)
    elif kind == "none":
        assert actual is None, where
    else:  # pragma: no cover - a new tag in the dumper
        raise AssertionError(f"{where}: unknown tag {kind}")


def _find_leaf(traj: Trajectory, full_name: str) -> Parameter | Result | Any:
    parts = full_name.split(".")
    run_name = next((p for p in parts if p.startswith("run_") and len(p) == 12), None)
    if run_name is not None:
        run = next(r for r in traj.runs if r.name == run_name)
        key = ".".join(p for p in parts[1:] if p not in (run_name, "runs") and not p.startswith("run_set_"))
        return (run.results if parts[0] == "results" else run.derived_parameters)[key]
    branch = {
        "parameters": traj.parameters,
        "config": traj.config,
        "derived_parameters": traj.derived_parameters,
        "results": traj.results,
    }[parts[0]]
    return branch[full_name]


def _check_leaf(expected: dict[str, Any], leaf: Parameter | Result, where: str) -> None:
    assert leaf.class_name == expected["class"], where
    assert leaf.comment == expected["comment"], where
    expected_annotations = expected.get("annotations", {})
    assert sorted(leaf.annotations) == sorted(expected_annotations), where
    for key, exp in expected_annotations.items():
        check_value(exp, leaf.annotations[key], f"{where} annotation {key}", strict=False)
    if isinstance(leaf, Parameter):
        check_value(expected["value"], leaf.value, where)
        assert leaf.explored == expected["explored"], where
        if expected["explored"]:
            assert leaf.explored_range is not None
            assert len(leaf.explored_range) == len(expected["range"]), where
            for i, (exp, act) in enumerate(zip(expected["range"], leaf.explored_range, strict=True)):
                check_value(exp, act, f"{where} range[{i}]")
        return
    assert sorted(leaf.items) == sorted(expected["items"]), where
    for key, exp in expected["items"].items():
        check_value(exp, leaf.items[key], f"{where}.{key}")
    assert leaf.monitor_type == expected.get("monitor_type"), where


def _all_leaves(traj: Trajectory) -> set[str]:
    names = set(traj.parameters) | set(traj.config) | set(traj.derived_parameters)
    names |= set(traj.results)
    for run in traj.runs:
        names |= {leaf.name for leaf in run.results.values()}
        names |= {leaf.name for leaf in run.derived_parameters.values()}
    return names


@pytest.mark.parametrize(("stem", "name"), CASES)
def test_every_value_matches_pypet(stem: str, name: str) -> None:
    truth = _truth(stem)["trajectories"][name]
    traj = read_trajectory(DATA / f"{stem}.hdf5", name, allow_pickle=stem == "pickled")
    assert traj.name == truth["name"]
    assert traj.comment == truth["comment"]
    assert traj.time == truth["time"]
    assert traj.timestamp == truth["timestamp"]
    assert traj.pypet_version == truth["version"]
    assert traj.python_version == truth["python"]
    assert sorted(traj.explored) == truth["explored"]
    assert len(traj.runs) == len(truth["runs"])
    for run, info in zip(traj.runs, truth["runs"], strict=True):
        assert (run.index, run.name) == (info["idx"], info["name"])
        assert run.finished == bool(info["completed"])
        assert (run.time, run.timestamp) == (info["time"], info["timestamp"])
        assert (run.finish_timestamp, run.runtime) == (info["finish_timestamp"], info["runtime"])
        assert run.parameter_summary == info["parameter_summary"]
        assert run.environment_hexsha == info["short_environment_hexsha"]
    for full_name, expected in truth["leaves"].items():
        if full_name.startswith("config.hdf5."):
            # pypet's f_load fills config.hdf5.* from the *loading* service's own
            # settings, not from the file: checked against the file below instead
            continue
        _check_leaf(expected, _find_leaf(traj, full_name), f"{stem}:{name}:{full_name}")
    # nothing read that pypet did not load
    assert _all_leaves(traj) <= set(truth["leaves"])
    on_disk = {k: v for k, v in truth["group_comments"].items() if not k.startswith("config.hdf5")}
    assert {k: v for k, v in traj.group_comments.items() if not k.startswith("config.hdf5")} == on_disk
    assert traj.links == truth["links"]


def test_hdf5_config_leaves_agree_with_the_settings_table() -> None:
    traj = read_trajectory(DATA / "first_steps.hdf5")
    hdf5_config = {k: p for k, p in traj.config.items() if k.startswith("config.hdf5.")}
    assert len(hdf5_config) == 16
    for name, parameter in hdf5_config.items():
        assert parameter.value == traj.hdf5_settings[name.rsplit(".", 1)[-1]], name
    assert traj.hdf5_settings["complib"] == "zlib"
    assert traj.hdf5_settings["complevel"] == 9


def test_runs_carry_their_own_results_and_parameters() -> None:
    traj = read_trajectory(DATA / "first_steps.hdf5")
    for run in traj.runs:
        values = traj.run_parameters(run.index)
        assert run.results["z"].items["z"] == values["parameters.x"] * values["parameters.y"]
    assert {(v["parameters.x"], v["parameters.y"]) for v in map(traj.run_parameters, range(6))} == {
        (x, y) for x in (1.0, 2.0, 3.0) for y in (6.0, 7.0)
    }


def test_brian2_monitors_and_units() -> None:
    traj = read_trajectory(DATA / "brian2_net.hdf5")
    assert traj.parameters["parameters.net.C"].unit == "1. * farad"
    assert traj.parameters["parameters.net.N"].unit is None
    run = traj.runs[1]
    spikes = run.results["monitors.spikes"]
    assert spikes.monitor_type == "SpikeMonitor"
    assert spikes.items["t"].unit == "1. * second"
    assert len(spikes.items["t"].value) == len(spikes.items["i"]) == int(spikes.items["num_spikes"])
    states = run.results["monitors.v"]
    assert states.monitor_type == "StateMonitor"
    assert states.items["v"].value.shape == (2, len(states.items["t"]))
    assert run.results["monitors.rate"].items["rate"].unit == "1. * hertz"


def test_unfinished_runs_are_flagged() -> None:
    traj = read_trajectory(DATA / "two_trajectories.hdf5", "Second")
    assert [run.finished for run in traj.runs] == [False, False, False]
    assert all(not run.results for run in traj.runs)
    assert traj.parameters["parameters.y"].explored_range == [3, 4, 5]


def test_two_trajectories_are_listed_and_chosen_by_name() -> None:
    path = DATA / "two_trajectories.hdf5"
    assert sorted(list_trajectories(path)) == ["First", "Second"]
    with pytest.raises(TrajectoryNotFoundError, match="First, Second"):
        read_trajectory(path)
    with pytest.raises(TrajectoryNotFoundError, match=r"no trajectory 'Third'.*First, Second"):
        read_trajectory(path, "Third")
    assert read_trajectory(path, "First").comment == "first of two"


def test_pickled_items_are_refused_unless_asked() -> None:
    path = DATA / "pickled.hdf5"
    with pytest.raises(PickleRefusedError, match=r"results\.runs\.run_00000000\.\w+.*allow_pickle"):
        read_trajectory(path)
    with h5py.File(path, "r") as h5:
        group = h5["Pickled/results/runs/run_00000000"]
        with pytest.raises(PickleRefusedError, match=r"PickleResult.*allow_pickle=True"):
            read_result(group["obj"], "obj", str(path), allow_pickle=False)
        with pytest.raises(PickleRefusedError, match=r"labels.*string columns.*allow_pickle=True"):
            read_result(group["labels"], "labels", str(path), allow_pickle=False)
        assert read_result(group["plain"], "plain", str(path), allow_pickle=False).items == {"plain": 2}
    traj = read_trajectory(path, allow_pickle=True)
    assert traj.runs[1].results["obj"].items["obj"] == {"nested": [1, {"a": 2}]}
    assert traj.runs[1].results["labels"].items["labels"]["name"].tolist() == ["a", "b"]


def test_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        list_trajectories(tmp_path / "absent.hdf5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5.create_dataset("x", data=[1, 2])
    with pytest.raises(PypetFormatError, match="no pypet trajectory"):
        read_trajectory(other)
    text = tmp_path / "text.hdf5"
    text.write_text("not hdf5")
    with pytest.raises(NeuroloomError, match="not a readable HDF5 file"):
        list_trajectories(text)
