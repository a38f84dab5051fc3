"""``neuroloom run STUDY.toml --set ...`` and ``neuroloom status``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import neuroloom as nl
from neuroloom.cli import main

STUDY_TOML = """
[study]
path = "ei"
job = "jobs.py:simulate"
seed = 3
backend = "serial"

[params]
neuron.tau_m = { value = 20.0, unit = "ms", comment = "membrane time constant" }
input.rate = 5.0

[[explore]]
grid = { "input.rate" = [5, 10] }
"""

RANDOM = """
[[explore]]
random = { n = 6, seed = 2, "input.rate" = { choice = [1.0, 2.0] }, "neuron.tau_m" = [10.0, 11.0] }
"""

JOBS = """
def simulate(run):
    return run.params.input.rate * run.params.neuron.tau_m
"""


def test_run_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [study] path is relative to the working directory
    (tmp_path / "study.toml").write_text(STUDY_TOML)
    (tmp_path / "jobs.py").write_text(JOBS)
    runner = CliRunner()
    result = runner.invoke(
        main, ["run", str(tmp_path / "study.toml"), "--set", "neuron.tau_m=15", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "2 new runs" in result.output and "2 runs done" in result.output
    study = nl.Study(tmp_path / "ei")
    assert study.params.info("neuron.tau_m").unit == "ms"
    assert sorted(study.results("return")["return"]) == [75.0, 150.0]
    # running again: nothing new, same parameters
    again = runner.invoke(
        main, ["run", str(tmp_path / "study.toml"), "--set", "neuron.tau_m=15", "--no-progress"]
    )
    assert again.exit_code == 0 and "0 new runs" in again.output
    # a different value for a locked parameter is refused, naming it
    bad = runner.invoke(main, ["run", str(tmp_path / "study.toml"), "--set", "neuron.tau_m=30"])
    assert bad.exit_code == 2 and "'neuron.tau_m'" in bad.output and "locked" in bad.output
    status = runner.invoke(main, ["status", str(tmp_path / "study.toml")])
    assert status.exit_code == 0 and "2 runs: 2 done, 0 failed, 0 pending" in status.output
    missing = runner.invoke(main, ["status", str(tmp_path)])
    assert missing.exit_code == 2 and "is not a study" in missing.output


def test_run_reports_failures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [study] path is relative to the working directory
    (tmp_path / "study.toml").write_text(STUDY_TOML.replace("jobs.py:simulate", "jobs.py:broken"))
    (tmp_path / "jobs.py").write_text("def broken(run):\n    return run.params.input.rte\n")
    result = CliRunner().invoke(main, ["run", str(tmp_path / "study.toml"), "--no-progress"])
    assert result.exit_code == 1
    assert "unknown parameter 'input.rte'" in result.output and "run_00000000" in result.output
    nojob = CliRunner().invoke(main, ["run", str(tmp_path / "jobs.py")])
    assert nojob.exit_code != 0


def test_random_exploration_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # [study] path is relative to the working directory
    (tmp_path / "study.toml").write_text(
        STUDY_TOML.replace('"input.rate" = [5, 10]', '"input.rate" = [5]') + RANDOM
    )
    (tmp_path / "jobs.py").write_text(JOBS)
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "study.toml"), "--no-progress", "--backend", "processes"]
    )
    assert result.exit_code == 0, result.output
    res = nl.Study(tmp_path / "ei").results("return")
    assert len(res) == 7
    assert set(res["input.rate"].iloc[1:]) <= {1.0, 2.0}
    assert res["neuron.tau_m"].iloc[1:].between(10.0, 11.0).all()
