"""The command line: version, ls, show, demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import neuroloom
from neuroloom.cli import main


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert neuroloom.__version__ in result.output


def test_ls_and_show_describe_items(tmp_path: Path) -> None:
    db = neuroloom.Database(tmp_path / "db")
    db["frame"] = pd.DataFrame({"rate": [1.5, 2.5]})
    db[("nested", "value")] = {"a": 1}
    runner = CliRunner()
    listed = runner.invoke(main, ["ls", str(db.path)])
    assert listed.exit_code == 0, listed.output
    assert "frame" in listed.output and "parquet" in listed.output
    assert "nested/value" in listed.output and "2 items" in listed.output
    shown = runner.invoke(main, ["show", str(db.path), "frame"])
    assert shown.exit_code == 0, shown.output
    assert '"codec": "parquet"' in shown.output and "2.5" in shown.output


def test_show_missing_key_is_one_clear_line(tmp_path: Path) -> None:
    db = neuroloom.Database(tmp_path / "db")
    result = CliRunner().invoke(main, ["show", str(db.path), "nope"])
    assert result.exit_code == 2
    assert "no item 'nope'" in result.output


def test_demo_runs_and_reports(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--tour", "store", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "moved the database" in result.output
    assert (tmp_path / "out" / "store-tour-moved" / "neuroloom.json").is_file()


def _show(db: neuroloom.Database, key: str, *extra: str) -> str:
    result = CliRunner().invoke(main, ["show", str(db.path), key, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_show_previews_every_codec_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dask.array as da
    import dask.dataframe as dd

    from neuroloom.store.codecs import arrays

    db = neuroloom.Database(tmp_path / "db")
    db.set("frame", pd.DataFrame({"rate": [1.5, 2.5]}), meta={"note": "hello"})
    db["series"] = pd.Series([7.0, 8.0], name="v")
    db["array"] = np.arange(6).reshape(2, 3)
    db["params"] = {"tau_m": 20.0}
    db["raw"] = b"\x01\x02"
    db["lazy"] = dd.from_pandas(pd.DataFrame({"node": [3, 4, 5]}), npartitions=2)
    db["lazy-array"] = da.arange(10, chunks=5)
    monkeypatch.setattr(arrays, "ZARR_THRESHOLD", 64)
    db["big"] = np.arange(100.0)
    (db.folder("morph") / "cell.swc").write_text("1 1 0 0 0 5 -1\n")
    db.sub("run")["x"] = 1
    db.set("pickled", {"a": 1}, codec="pickle")

    expected = {
        "frame": ["DataFrame 2 rows x 1 columns", "2.5", '"note": "hello"', '"git_commit"', '"packages"'],
        "series": ["Series 2 values", "8.0"],
        "array": ["array shape (2, 3) dtype int64", "[3 4 5]", '"codec": "npy"'],
        "params": ['"tau_m": 20.0', '"codec": "json"'],
        "raw": ["2 bytes: 01 02"],
        "lazy": ["dask DataFrame, 2 partitions", '"codec": "dask-parquet"'],
        "lazy-array": ["dask array shape (10,)"],
        "big": ["zarr array shape (100,)", '"codec": "zarr"'],
        "morph": ["managed folder", "cell.swc"],
        "run": ["sub-database with 1 items", "  x"],
        "pickled": ['"codec": "pickle"', "not loaded", "allow_pickle=True"],
    }
    for key, snippets in expected.items():
        output = _show(db, key)
        for snippet in snippets:
            assert snippet in output, (key, snippet, output)
    assert '"a": 1' in _show(db, "pickled", "--allow-pickle").split("--- preview")[1]
    listed = CliRunner().invoke(main, ["ls", str(db.path)])
    assert listed.exit_code == 0 and "11 items" in listed.output
    for key in expected:
        assert key in listed.output


def test_show_nested_key_and_ls_empty(tmp_path: Path) -> None:
    db = neuroloom.Database(tmp_path / "db")
    assert "empty database" in CliRunner().invoke(main, ["ls", str(db.path)]).output
    db[("a", "b")] = [1, 2]
    assert '"key": "a/b"' in _show(db, "a/b")


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    result = CliRunner().invoke(main, ["ls", str(tmp_path / "plain")])
    assert result.exit_code == 2 and "not a neuroloom database" in result.output
    db = neuroloom.Database(tmp_path / "db")
    db["x"] = 1
    (db.path / "items" / "x" / "item.json").write_text("{oops")
    result = CliRunner().invoke(main, ["show", str(db.path), "x"])
    assert result.exit_code == 2 and result.output.startswith("error: item 'x'")
    result = CliRunner().invoke(main, ["show", str(db.path), "../x"])
    assert result.exit_code == 2 and "invalid key" in result.output
    assert "Traceback" not in result.output


def test_every_public_name_imports() -> None:
    for name in neuroloom.__all__:
        assert getattr(neuroloom, name) is not None, name
