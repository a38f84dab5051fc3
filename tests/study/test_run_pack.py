"""A run's small saved values live in one archive (``items.zip``); large ones keep item folders."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.errors import CorruptItemError
from neuroloom.study.run_pack import PACK_FILE, PACK_LIMIT, packed_names


def job(run: Any) -> float:
    x = float(run.params.x)
    run.save("trace", np.full(1000, x))
    run.save("table", pd.DataFrame({"a": [x, 2 * x], "b": ["p", "q"]}))
    run.save("blob", b"\x00\x01" * 10)
    run.save("info", {"x": x, "values": list(range(2000))})  # too long for the catalog: JSON item
    run.save("trace", np.full(1000, x + 1))  # saved again: replaced
    if x == 2.0:
        run.save("big", np.random.default_rng(0).random(PACK_LIMIT // 8 + 10))  # incompressible: npy
    return x


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=3)
    s.params.add("x", 0.0)
    s.explore(nl.grid(x=[1.0, 2.0]))
    s.run(job, backend="serial", progress=False)
    return s


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_small_values_in_one_archive(study: nl.Study) -> None:
    first = study.path / "runs" / "00000" / "run_00000000"
    assert _files(first) == [PACK_FILE]
    assert packed_names(first) == ["blob", "info", "table", "trace"]
    np.testing.assert_array_equal(study["runs", "run_00000000", "trace"], np.full(1000, 2.0))
    frame = study["runs", "run_00000000", "table"]
    pd.testing.assert_frame_equal(frame, pd.DataFrame({"a": [1.0, 2.0], "b": ["p", "q"]}))
    assert study["runs", "run_00000000", "blob"] == b"\x00\x01" * 10
    assert study["runs", "run_00000000", "info"]["values"][-1] == 1999
    loaded = study.results("trace", load=True)["trace"].tolist()
    np.testing.assert_array_equal(np.stack(loaded), np.stack([np.full(1000, 2.0), np.full(1000, 3.0)]))
    assert study.metadata(("runs", "run_00000001", "trace"))["codec"] == "npy"
    assert study.uri(("runs", "run_00000001", "table")).endswith("/runs/run_00000001/table")


def test_large_value_keeps_its_item_folder(study: nl.Study) -> None:
    second = study.path / "runs" / "00000" / "run_00000001"
    assert (second / "items" / "big" / "item.json").is_file()
    assert "big" not in packed_names(second)
    big = study.results("big", load=True)["big"].dropna().iloc[0]
    assert big.shape == (PACK_LIMIT // 8 + 10,)


def test_nan_and_inf_of_a_packed_json_value_come_back(tmp_path: Path) -> None:
    s = nl.Study(tmp_path / "s")
    s.params.add("x", 0.0)
    s.explore(nl.grid(x=[1.0]))
    odd = {"a": float("nan"), "b": [1.0, float("-inf")], "pad": "y" * 5000}  # too long for the catalog
    s.run(lambda run: run.save("odd", odd), backend="serial", progress=False)
    assert packed_names(s.path / "runs" / "00000" / "run_00000000") == ["odd"]
    back = s["runs", "run_00000000", "odd"]
    assert np.isnan(back["a"]) and back["b"] == [1.0, float("-inf")] and back["pad"] == odd["pad"]


def test_damaged_archive_names_the_file(study: nl.Study) -> None:
    archive = study.path / "runs" / "00000" / "run_00000000" / PACK_FILE
    archive.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(CorruptItemError, match=r"items\.zip"):
        study["runs", "run_00000000", "trace"]


def test_archive_members_stay_inside(study: nl.Study) -> None:
    archive = study.path / "runs" / "00000" / "run_00000000" / PACK_FILE
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("evil/item.json", json.dumps({"codec": "bytes", "info": {}}))
        zf.writestr("evil/../../outside.bin", b"x")
    with pytest.raises(CorruptItemError, match="outside its item"):
        study["runs", "run_00000000", "evil"]


def test_format_1_study_is_read_and_marked(study: nl.Study) -> None:
    marker = study.path / "neuroloom.json"
    info = json.loads(marker.read_text())
    assert info["study_format"] == 2
    info["study_format"] = 1
    marker.write_text(json.dumps(info))
    again = nl.Study(study.path)
    assert json.loads(marker.read_text())["study_format"] == 2
    assert again.results("return")["return"].tolist() == [1.0, 2.0]


def test_values_past_the_flush_size_are_written_early_and_all_read_back(tmp_path: Path) -> None:
    from neuroloom.study.run_pack import FLUSH_BYTES

    n = FLUSH_BYTES // (PACK_LIMIT // 2) + 2  # enough half-limit arrays to pass the flush size

    def many(run: Any) -> None:
        rng = np.random.default_rng(1)  # incompressible: the archive really holds the bytes
        for i in range(n):
            run.save(f"a{i}", rng.random(PACK_LIMIT // 16))
        run.save("a0", np.arange(PACK_LIMIT // 16) + 0.5)  # replaced after the early write

    s = nl.Study(tmp_path / "s")
    s.params.add("x", 0.0)
    s.explore(nl.grid(x=[1.0]))
    s.run(many, backend="serial", progress=False)
    got = s.run_results(0)
    want = np.random.default_rng(1).random((n, PACK_LIMIT // 16))
    for i in range(1, n):
        np.testing.assert_array_equal(got[f"a{i}"], want[i])
    np.testing.assert_array_equal(got["a0"], np.arange(PACK_LIMIT // 16) + 0.5)
    folder = next((tmp_path / "s" / "runs").rglob(PACK_FILE)).parent
    # a0's second value compresses well: an npz item folder, and the archive no longer holds a0
    assert packed_names(folder) == sorted(f"a{i}" for i in range(1, n))
    assert s.metadata(("runs", "run_00000000", "a0"))["codec"] == "npz"
