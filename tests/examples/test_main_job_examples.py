"""The main-job examples run as a user runs them (small sizes), and the shipped study file is the demo's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from neuroloom.demos.ei_network import demo_config, write_toml
from neuroloom.studyfile import read_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(args: list[str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=dict(os.environ), cwd=cwd, timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_shipped_ei_study_file_is_the_demo_study() -> None:
    spec = read_spec(EXAMPLES / "ei_balanced.toml")
    assert spec.raw["network"] == demo_config()["network"]
    assert spec.raw["explore"] == demo_config()["explore"]
    assert sum(p.n for p in spec.network.populations if not p.virtual) == 5000


@pytest.mark.slow
def test_ei_balanced_python_example_on_a_tiny_study(tmp_path: Path) -> None:
    config = demo_config(neurons=200, grid=2, duration=300.0, target="numpy", backend="serial")
    file = write_toml(config, tmp_path / "tiny.toml")
    out = _run([str(EXAMPLES / "ei_balanced.py"), str(file)], tmp_path)
    assert "4 runs done, 0 failed" in out and "report:" in out
    assert (tmp_path / "ei-study" / "report" / "report.html").is_file()


@pytest.mark.slow
def test_single_cell_whisker_sweep(tmp_path: Path) -> None:
    out = _run(
        [str(EXAMPLES / "single_cell_whisker.py"), str(tmp_path), "--trials", "1", "--duration", "150",
         "--backend", "serial"],
        tmp_path,
    )  # fmt: skip
    assert "4 runs done, 0 failed" in out
    lines = [line.split() for line in out.splitlines() if line.startswith("      cell")]
    fractions = {float(parts[1]): float(parts[-1]) for parts in lines}
    assert fractions[0.0] == 0.0 and fractions[0.4] == 1.0  # no deflection: no evoked spike; strong: always
    assert (tmp_path / "whisker-study" / "report" / "report.html").is_file()


@pytest.mark.slow
def test_bmtk_built_circuit_runs_in_a_neuroloom_study(tmp_path: Path) -> None:
    out = _run(
        [
            str(EXAMPLES / "bmtk_to_neuroloom.py"),
            str(tmp_path),
            *("--duration", "200", "--backend", "serial", "--target", "numpy"),
        ],
        tmp_path,
    )
    assert "9 runs done, 0 failed" in out
    assert (tmp_path / "bmtk_network" / "v1_v1_edges.h5").is_file()  # written by bmtk itself
    assert (tmp_path / "v1-study-brian2" / "report" / "report.html").is_file()
