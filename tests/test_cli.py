"""The command line: version, ls, show, demo."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "moved the database" in result.output
    assert (tmp_path / "out" / "store-tour-moved" / "neuroloom.json").is_file()
