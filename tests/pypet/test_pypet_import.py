"""Import every trajectory of tests/pypet/data into a study and compare every value with
what pypet itself loaded (the JSON dumps next to the files)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from click.testing import CliRunner

import neuroloom as nl
from neuroloom.cli import main
from neuroloom.errors import NeuroloomError, PickleRefusedError
from neuroloom.params.units import is_quantity, split
from neuroloom.params.values import decode
from neuroloom.pypet.importer import PypetImportError, param_name, unit_text

DATA = Path(__file__).parent / "data"
FILES = ["first_steps", "data_types", "brian2_net", "two_trajectories", "merged", "pickled"]


def _truth(stem: str) -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((DATA / f"{stem}.json").read_text())
    return truth


CASES = [(stem, name) for stem in FILES for name in _truth(stem)["trajectories"]]


def same(expected: dict[str, Any], actual: Any, where: str) -> None:
    """Assert the study's ``actual`` is pypet's value ``expected`` (a tagged JSON value)."""
    kind = expected["kind"]
    check = _CHECKS.get(kind)
    if check is None:  # pragma: no cover - a new tag in the dumper
        raise AssertionError(f"{where}: unknown tag {kind}")
    check(expected, actual, where)


def _same_quantity(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert is_quantity(actual), f"{where}: {actual!r} lost its unit"
    magnitude = split(actual, unit_text(expected["unit"]) or "1").magnitude
    same(expected["value"], np.asarray(magnitude), where)


def _same_scalar(expected: dict[str, Any], actual: Any, where: str) -> None:
    if isinstance(actual, np.ndarray):
        assert actual.shape == (), where
        actual = actual[()]
    if expected["type"] not in ("int64", "float64", "str_", "bool_"):  # numpy 64-bit scalars come back native
        assert type(actual).__name__ == expected["type"], f"{where}: {type(actual)} != {expected['type']}"
    value = expected["value"]
    if isinstance(value, list):
        assert complex(actual) == complex(*value), where
    elif isinstance(value, float) and math.isnan(value):
        assert math.isnan(actual), where
    else:
        assert actual == value, f"{where}: {actual!r} != {value!r}"


def _same_array(expected: dict[str, Any], actual: Any, where: str) -> None:
    array = np.asarray(actual)
    assert list(array.shape) == expected["shape"], where
    if array.dtype.kind in "US":
        assert array.astype(str).tolist() == expected["value"], where
        return
    if "dtype" in expected:
        assert array.dtype.name == expected["dtype"], f"{where}: {array.dtype}"
    np.testing.assert_array_equal(array, np.asarray(expected["value"]), err_msg=where)


def _same_sequence(expected: dict[str, Any], actual: Any, where: str) -> None:
    kind = expected["kind"]
    assert type(actual).__name__ == kind, f"{where}: {type(actual)} is not a {kind}"
    assert len(actual) == len(expected["value"]), where
    for i, (exp, act) in enumerate(zip(expected["value"], actual, strict=True)):
        same(exp, act, f"{where}[{i}]")


def _same_dict(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert isinstance(actual, dict), where
    assert sorted(actual) == sorted(expected["value"]), where
    for key, exp in expected["value"].items():
        same(exp, actual[key], f"{where}.{key}")


def _same_frame(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert isinstance(actual, pd.DataFrame), where
    assert list(actual.columns) == expected["columns"], where
    assert list(actual.index) == expected["index"], where
    for column in actual.columns:
        dtype = str(actual[column].dtype)
        # pandas 3 reads text columns back as its str dtype; pypet's object column held str
        wanted = expected["dtypes"][str(column)]
        assert dtype == wanted or (wanted, dtype) == ("object", "str"), where
        np.testing.assert_array_equal(actual[column].to_numpy(), expected["data"][str(column)])


def _same_series(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert isinstance(actual, pd.Series), where
    assert actual.name == expected["name"], where
    assert list(actual.index) == expected["index"], where
    np.testing.assert_array_equal(actual.to_numpy(), expected["value"])


def _same_sparse(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert scipy.sparse.issparse(actual), f"{where}: {type(actual)} is not sparse"
    assert actual.format == expected["format"], where
    np.testing.assert_array_equal(actual.toarray(), expected["dense"], err_msg=where)


def _same_none(expected: dict[str, Any], actual: Any, where: str) -> None:
    assert actual is None, where


_CHECKS: dict[str, Callable[[dict[str, Any], Any, str], None]] = {
    "quantity": _same_quantity,
    "scalar": _same_scalar,
    "array": _same_array,
    "list": _same_sequence,
    "tuple": _same_sequence,
    "dict": _same_dict,
    "frame": _same_frame,
    "series": _same_series,
    "sparse": _same_sparse,
    "none": _same_none,
}


def _run_key(parts: list[str], run_name: str) -> str:
    return ".".join(p for p in parts[1:] if p not in (run_name, "runs") and not p.startswith("run_set_"))


def _check_run_leaf(study: nl.Study, full: str, expected: dict[str, Any], results: dict[int, Any]) -> None:
    parts = full.split(".")
    run_name = next(p for p in parts if p.startswith("run_") and len(p) == 12)
    index = int(run_name[4:])
    key = _run_key(parts, run_name)
    found = results.setdefault(index, study.run_results(index))
    comments = study.result_comments()
    if parts[0] == "derived_parameters":
        same(expected["value"], found[f"derived_parameters.{key}"], full)
        return
    items = expected["items"]
    leaf = key.rsplit(".", 1)[-1]
    if list(items) == [leaf] or (len(items) == 1 and "monitor_type" not in expected):
        (exp,) = items.values()
        same(exp, found[key], full)
    else:
        for item, exp in items.items():
            same(exp, found[f"{key}.{item}"], f"{full}.{item}")
        grouped = study.results(key, load=True)
        assert sorted(grouped.columns[-len(items) :]) == sorted(items), full
    assert comments.get(key, "") == expected["comment"], full


def _check_parameter(study: nl.Study, full: str, expected: dict[str, Any]) -> None:
    name = param_name(full)
    info = study.params.info(name)
    assert info.comment == expected["comment"], full
    same(expected["value"], info.quantity, full)
    if expected["explored"]:
        for i, exp in enumerate(expected["range"]):
            same(exp, study.run_view(i).params[name], f"{full} range[{i}]")


@pytest.mark.parametrize(("stem", "name"), CASES)
def test_import_keeps_every_value(stem: str, name: str, tmp_path: Path) -> None:
    truth = _truth(stem)["trajectories"][name]
    study = nl.pypet.import_(DATA / f"{stem}.hdf5", tmp_path / "study", name, allow_pickle=stem == "pickled")
    assert study.comment == truth["comment"]
    runs = study.runs
    assert len(runs) == len(truth["runs"])
    for info in truth["runs"]:
        row = runs.loc[info["idx"]]
        assert row["name"] == info["name"]
        assert (row["status"] == "done") == bool(info["completed"])
        if info["completed"]:
            assert row["start"].timestamp() == pytest.approx(info["timestamp"])
            assert study.run_results(info["idx"])["pypet.run_time"] == info["time"]
    meta = study["pypet", "trajectory"]
    on_disk = {k: v for k, v in truth["group_comments"].items() if not k.startswith("config.hdf5")}
    assert {k: v for k, v in meta["group_comments"].items() if not k.startswith("config.hdf5")} == on_disk
    assert meta["links"] == truth["links"]
    assert sorted(meta["explored"]) == truth["explored"]
    config = study["pypet", "config"]
    results: dict[int, Any] = {}
    for full, expected in truth["leaves"].items():
        parts = full.split(".")
        if any(p.startswith("run_") and len(p) == 12 for p in parts):
            _check_run_leaf(study, full, expected, results)
        elif parts[0] == "parameters":
            _check_parameter(study, full, expected)
        elif parts[0] == "config":
            if not full.startswith("config.hdf5."):  # pypet fills these from the loading service
                same(expected["value"], decode(config[full]["value"]), full)
        elif parts[0] == "derived_parameters":
            same(expected["value"], decode(study["pypet", "derived_parameters"][full]["value"]), full)
        else:
            for item, exp in expected["items"].items():
                same(exp, study["pypet", full, item], f"{full}.{item}")


def test_brian2_monitors_become_recordings(tmp_path: Path) -> None:
    study = nl.pypet.import_(DATA / "brian2_net.hdf5", tmp_path / "b")
    spikes = study.filter(run=0).spikes()
    truth = _truth("brian2_net")["trajectories"]["Brian2Net"]["leaves"]
    leaf = next(
        v
        for k, v in truth.items()
        if k.endswith("run_00000000.monitors.spikes") or k.endswith("monitors.spikes.run_00000000")
    )
    expected_t = np.asarray(leaf["items"]["t"]["value"]["value"]) * 1000.0
    np.testing.assert_allclose(np.sort(spikes["time"].to_numpy()), np.sort(expected_t))
    assert set(spikes["population"]) == {"neurongroup"}
    trace = study.run_view(0).signals("neurongroup", "v")
    assert trace.attrs["unit"] == "mV"
    tau = truth["parameters.net.tau"]["range"][0]
    assert tau["unit"] == "1. * second"
    assert (
        float(study.run_view(0).params.tau) == tau["value"]["value"]
    )  # a Brian2 quantity, SI value as pypet's


def test_choose_trajectory_by_name_and_nothing_left_on_failure(tmp_path: Path) -> None:
    with pytest.raises(NeuroloomError, match="First, Second"):
        nl.pypet.import_(DATA / "two_trajectories.hdf5", tmp_path / "t")
    with pytest.raises(PickleRefusedError):
        nl.pypet.import_(DATA / "pickled.hdf5", tmp_path / "p")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    second = nl.pypet.import_(DATA / "two_trajectories.hdf5", tmp_path / "t", "Second")
    assert second.catalog.counts().get("pending") == len(second.runs)  # unfinished pypet runs stay pending
    with pytest.raises(PypetImportError, match="not empty"):
        nl.pypet.import_(DATA / "two_trajectories.hdf5", tmp_path / "t", "First")


def test_cli_import_pypet(tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["import-pypet", str(DATA / "merged.hdf5"), str(tmp_path / "m"), "--list"])
    assert out.exit_code == 0 and out.output.split() == ["MergeA", "MergeB"]
    out = runner.invoke(main, ["import-pypet", str(DATA / "merged.hdf5"), str(tmp_path / "m")])
    assert out.exit_code == 2 and "MergeA" in out.output
    out = runner.invoke(
        main, ["import-pypet", str(DATA / "merged.hdf5"), str(tmp_path / "m"), "--name", "MergeA"]
    )
    assert out.exit_code == 0, out.output
    assert "3 finished runs" in out.output
    assert nl.Study(tmp_path / "m").results("z")["z"].tolist() == [
        v["items"]["z"]["value"]
        for k, v in sorted(_truth("merged")["trajectories"]["MergeA"]["leaves"].items())
        if k.startswith("results.")
    ]
