"""The main job end to end: a tiny version of the demo, failures, bad circuits, the CLI."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.demos.ei_network import demo_config, write_toml
from neuroloom.errors import SimulatorNotInstalledError, UnsupportedModelError
from neuroloom.report import build_report
from neuroloom.study.run import run_folder
from neuroloom.studyfile import parse_spec, prepare_study, run_study_file
from neuroloom.testing.circuits import write_ei_circuit


def _tiny(tmp_path: Path, **kwargs: Any) -> Path:
    config = demo_config(neurons=200, grid=2, duration=200.0, target="numpy", **kwargs)
    config["analysis"]["t_start"] = 50.0
    return write_toml(config, tmp_path / "ei.toml")


def _rates_from_files(
    study_path: Path, run: int, sizes: dict[str, int], t0: float, t1: float
) -> dict[str, float]:
    """Rates computed straight from the run's SONATA spike file with h5py."""
    out = {}
    with h5py.File(run_folder(study_path, run) / "spikes.h5", "r") as f:
        for pop, n in sizes.items():
            times = f[f"spikes/{pop}/timestamps"][:]
            out[pop] = float(np.count_nonzero((times >= t0) & (times < t1))) / n / ((t1 - t0) / 1000.0)
    return out


@pytest.mark.slow
def test_tiny_demo_pipeline_end_to_end(tmp_path: Path) -> None:
    file = _tiny(tmp_path, backend="processes", workers=2)
    study, report = run_study_file(file, progress=False, echo=lambda _: None)
    assert (report.done, report.failed) == (4, 0)
    runs = study.runs
    assert sorted(runs["input.rate"].unique()) == [30.0, 60.0] and sorted(runs["syn.g"].unique()) == [
        3.0,
        7.5,
    ]

    page = build_report(study, progress=False)
    folder = page.parent
    text = page.read_text()
    images = re.findall(r"<img src='([^']+)'", text)
    assert {"phase_rate.png", "phase_cv.png", "phase_fano.png"} <= set(images)
    assert (
        sum(i.startswith("raster_") for i in images) == 4 and sum(i.startswith("psth_") for i in images) == 4
    )
    for name in images:
        assert (folder / name).read_bytes()[:4] == b"\x89PNG"

    stats = pd.read_csv(folder / "statistics.csv")
    sizes = {"exc": 160, "inh": 40}
    assert set(stats["population"]) == set(sizes)
    for run in range(4):
        expected = _rates_from_files(study.path, run, sizes, 50.0, 200.0)
        for pop, rate in expected.items():
            got = stats[(stats["run"] == run) & (stats["population"] == pop)]["rate"].item()
            assert got == pytest.approx(rate)
            assert study.results(f"rate_{pop}").loc[run, f"rate_{pop}"] == pytest.approx(rate)
    # strong drive and weak inhibition fire more than weak drive and strong inhibition
    by_point = stats[stats["population"] == "exc"].set_index(["input.rate", "syn.g"])["rate"]
    assert by_point[(60.0, 3.0)] > by_point[(30.0, 7.5)]
    active = stats[stats["rate"] > 5]
    assert active["cv"].notna().all() and active["fano"].notna().all()

    network = study.path / "network" / "circuit_config.json"
    built = network.stat().st_mtime_ns
    again, second = run_study_file(file, progress=False, echo=lambda _: None)
    assert (second.done, second.failed) == (0, 0) and len(again.runs) == 4
    assert network.stat().st_mtime_ns == built


@pytest.mark.slow
def test_a_crashing_run_fails_alone_and_the_report_names_it(tmp_path: Path) -> None:
    config = demo_config(neurons=100, grid=2, duration=100.0, target="numpy", backend="serial")
    config["analysis"]["t_start"] = 20.0
    config["explore"] = [{"points": [{"input.rate": -5.0}, {"input.rate": 40.0}]}]
    study, report = run_study_file(
        write_toml(config, tmp_path / "s.toml"), progress=False, echo=lambda _: None
    )
    assert (report.done, report.failed) == (1, 1)
    failed = study.runs[study.runs["status"] == "failed"]
    assert failed["input.rate"].tolist() == [-5.0]
    assert "s.toml: [inputs #1] rate = -5.0: must be >= 0" in failed["error"].item()
    text = build_report(study, progress=False).read_text()
    assert "Failed runs" in text and "rate = -5.0: must be &gt;= 0" in text


def _hh_study(tmp_path: Path, simulator: str) -> Any:
    circuit = write_ei_circuit(tmp_path / "hh", n_exc=8, n_inh=2, model="hh_psc_alpha")
    config = demo_config(neurons=10, grid=1, duration=50.0)
    config["network"] = {"circuit": str(circuit)}
    config["simulation"]["simulator"] = simulator
    config["simulation"]["weight_scale"] = {}
    config["inputs"] = []
    config["study"]["path"] = str(tmp_path / f"study-{simulator}")
    return parse_spec(config, tmp_path / "hh.toml")


def test_unsupported_node_model_is_refused_before_any_run(tmp_path: Path) -> None:
    """The chosen simulator is asked about each population's model: Brian2 lacks hh_psc_alpha."""
    with pytest.raises(
        UnsupportedModelError,
        match=r"hh.toml.*'brian2'.*population 'exc'.*'hh_psc_alpha'.*NEST.*Brian2 models: .*iaf_psc_exp",
    ):
        prepare_study(_hh_study(tmp_path, "brian2"), echo=lambda _: None)
    study, _ = prepare_study(
        _hh_study(tmp_path, "nest"), echo=lambda _: None
    )  # NEST has every model it lists
    assert study.catalog.count("pending") == 1


def test_missing_simulator_is_named_with_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "brian2", None)  # import brian2 now raises ImportError
    with pytest.raises(
        SimulatorNotInstalledError, match=r"ei.toml: \[simulation\] simulator = 'brian2'.*pip install"
    ):
        run_study_file(_tiny(tmp_path), progress=False, echo=lambda _: None)


@pytest.mark.slow
def test_cli_runs_an_existing_sonata_circuit_and_rebuilds_its_report(tmp_path: Path) -> None:
    circuit = write_ei_circuit(tmp_path / "cuba", n_exc=80, n_inh=20, p=0.1, n_ext=50, p_ext=0.2, w_ext=60.0)
    file = tmp_path / "cuba.toml"
    file.write_text(
        f"""
[study]
path = "cuba-study"
backend = "serial"
[network]
circuit = "{circuit}"
[simulation]
duration = 150.0
target = "numpy"
weight_scale = {{ ext_to_exc = "$drive", ext_to_inh = "$drive" }}
[params]
drive = 1.0
[[inputs]]
type = "poisson"
population = "ext"
rate = 20.0
"""
    )
    runner = CliRunner()
    done = runner.invoke(main, ["run", str(file), "--no-progress"])
    assert done.exit_code == 0, done.output
    assert "1 runs done, 0 failed" in done.output
    page = tmp_path / "cuba-study" / "report" / "report.html"
    assert f"report: {page}" in done.output
    page.unlink()
    again = runner.invoke(main, ["report", str(file)])
    assert again.exit_code == 0, again.output
    assert page.is_file() and "raster_0.png" in page.read_text()
