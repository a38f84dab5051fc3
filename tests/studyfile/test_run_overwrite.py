"""``neuroloom run --overwrite``: a study file's study starts afresh (pypet's ``overwrite_file``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.datastore.study import Study

STUDY_FILE = """
[study]
path = "my-study"
job = "jobs.py:simulate"

[params]
x = 1.0

[[explore]]
grid = {x = [1.0, 2.0, 3.0]}
"""


def _run(file: Path, *extra: str) -> str:
    done = CliRunner().invoke(main, ["run", str(file), "--backend", "serial", "--no-progress", *extra])
    assert done.exit_code == 0, done.output
    return done.output


def test_overwrite_starts_the_study_afresh_and_a_plain_rerun_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "jobs.py").write_text("def simulate(run):\n    run.save('y', run.params['x'] ** 2)\n")
    file = tmp_path / "my.toml"
    file.write_text(STUDY_FILE)
    assert "3 new runs" in _run(file)
    study = Study(tmp_path / "my-study")
    study["note"] = "left by the first session"
    study.close()
    assert "0 new runs, 0 pending" in _run(file)  # the same command again: nothing to do
    assert "3 new runs" in _run(file, "--overwrite")
    again = Study(tmp_path / "my-study")
    assert "note" not in again  # a fresh study
    assert sorted(again.results("y")["y"]) == [1.0, 4.0, 9.0]
