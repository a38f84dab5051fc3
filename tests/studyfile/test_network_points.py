"""Networks per network point (issue 12 item 4), relative paths and checksummed circuits (issue 11 S8),
and the warnings of issue 13 (unconnected inputs, ``--set`` on explored parameters, ``--out``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import h5py
import pytest
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.datastore.study import Study
from neuroloom.demos.ei_network import demo_config, write_toml
from neuroloom.errors import StudyFileError
from neuroloom.report import build_report
from neuroloom.studyfile import parse_spec, prepare_study, read_spec, run_study_file
from neuroloom.studyfile.job import run_circuit
from neuroloom.studyfile.network import network_hash
from neuroloom.studyfile.spec import spec_for_run
from neuroloom.testing.circuits import write_ei_circuit


def _quiet(_: str) -> None:
    return None


def _exc_edges(circuit_dir: Path) -> int:
    """Edges leaving population exc (the projections whose p is explored)."""
    total = 0
    for path in circuit_dir.glob("*edges*.h5"):
        with h5py.File(path, "r") as f:
            names = [n for n in f["edges"] if n.startswith("exc_to_")]
            total += sum(len(f[f"edges/{name}/source_node_id"]) for name in names)
    return total


def _points_config() -> dict[str, Any]:
    config = demo_config(neurons=100, grid=2, duration=100.0, target="numpy", backend="serial")
    config["params"]["conn"] = {"p": 0.05}
    config["network"]["connections"][0]["p"] = "$conn.p"  # exc -> exc, inh
    config["explore"] = [{"grid": {"conn.p": [0.05, 0.2], "input.rate": [30.0, 60.0]}}]
    config["analysis"]["t_start"] = 20.0
    return config


@pytest.mark.slow
def test_grid_over_p_and_rate_builds_one_network_per_p_shared_by_its_runs(tmp_path: Path) -> None:
    file = write_toml(_points_config(), tmp_path / "points.toml")
    messages: list[str] = []
    study, report = run_study_file(file, progress=False, echo=messages.append)
    assert (report.done, report.failed) == (4, 0)
    assert "2 network point(s)" in "\n".join(messages)
    folders = sorted(p for p in (study.path / "network").iterdir() if p.is_dir())
    assert len(folders) == 2  # one per value of conn.p, not one per run
    spec = read_spec(file)
    by_p = {}
    for p in (0.05, 0.2):
        network = spec_for_run(spec.raw, spec.file, {"input.rate": 30.0, "syn.g": 5.0, "conn.p": p}).network
        assert network is not None
        by_p[p] = study.path / "network" / network_hash(network)
        assert by_p[p] in folders
        # the runs of both rates at this p simulate the same circuit
        circuits = {
            run_circuit(
                spec_for_run(spec.raw, spec.file, {"input.rate": r, "syn.g": 5.0, "conn.p": p}),
                study.path,
                True,
            )
            for r in (30.0, 60.0)
        }
        assert circuits == {by_p[p] / "circuit_config.json"}
    assert (
        _exc_edges(by_p[0.2]) > 2 * _exc_edges(by_p[0.05]) > 0
    )  # the exc projections really have p = 0.2 vs 0.05
    assert sorted(study["pipeline"]["networks"]) == sorted(f"network/{f.name}" for f in folders)
    # a second session builds nothing: the point networks are reused
    stamps = {f: (f / "circuit_config.json").stat().st_mtime_ns for f in folders}
    _, second = run_study_file(file, progress=False, echo=_quiet)
    assert (second.done, second.failed) == (0, 0)
    assert {f: (f / "circuit_config.json").stat().st_mtime_ns for f in folders} == stamps
    # the study holds only relative paths: moved elsewhere without its study file, its report still builds
    moved = tmp_path / "elsewhere" / "moved-study"
    moved.parent.mkdir()
    shutil.move(str(study.path), moved)
    file.unlink()
    assert not any(str(tmp_path) in str(v) for v in Study(moved)["pipeline"].values() if isinstance(v, str))
    page = build_report(Study(moved), progress=False)
    assert "raster_0.png" in page.read_text()


def test_changed_network_section_is_refused_once_point_runs_exist(tmp_path: Path) -> None:
    config = _points_config()
    config["explore"] = [{"grid": {"conn.p": [0.05]}}]
    spec = parse_spec(config, tmp_path / "p.toml")
    study, _ = prepare_study(spec, progress=False, echo=_quiet)
    study.run(lambda run: None, backend="serial", progress=False)  # the runs now exist (done)
    config["network"]["seed"] = 8  # a different network for the same point
    with pytest.raises(
        StudyFileError, match=r"\[network\] section changed .* \(network point \w+ is missing\)"
    ):
        prepare_study(parse_spec(config, tmp_path / "p.toml"), progress=False, echo=_quiet)


def _circuit_config(tmp_path: Path) -> dict[str, Any]:
    circuit = write_ei_circuit(tmp_path / "cuba", n_exc=16, n_inh=4, p=0.2, n_ext=10, p_ext=0.3, w_ext=60.0)
    return {
        "study": {"path": "cuba-study", "backend": "serial"},
        "network": {"circuit": str(circuit)},
        "simulation": {"duration": 50.0, "target": "numpy"},
        "params": {"drive": 1.0},
        "explore": [{"points": [{"drive": 1.0}]}],
        "inputs": [{"type": "poisson", "population": "ext", "rate": 20.0}],
    }


def test_external_circuit_is_recorded_relative_and_refused_when_changed_after_runs(tmp_path: Path) -> None:
    config = _circuit_config(tmp_path)
    spec = parse_spec(config, tmp_path / "cuba.toml")
    study, _ = prepare_study(spec, progress=False, echo=_quiet)
    record = study["pipeline"]
    assert record["circuit"] == "../cuba/circuit_config.json" and record["file"] == "../cuba.toml"
    assert len(record["checksum"]) == 32
    prepare_study(spec, progress=False, echo=_quiet)  # unchanged: accepted while nothing ran
    study.run(lambda run: None, backend="serial", progress=False)
    prepare_study(spec, progress=False, echo=_quiet)  # unchanged after runs: accepted
    params = tmp_path / "cuba" / "components" / "neuron.json"
    values = json.loads(params.read_text())
    params.write_text(json.dumps({**values, "tau_m": 5.0}))
    with pytest.raises(StudyFileError, match=r"circuit's files changed since study .* began its runs"):
        prepare_study(spec, progress=False, echo=_quiet)


def test_input_population_connected_to_nothing_is_warned_about(tmp_path: Path) -> None:
    config = demo_config(neurons=50, grid=1, duration=50.0)
    config["network"]["connections"] = config["network"]["connections"][:2]  # ext connects to nothing
    messages: list[str] = []
    prepare_study(parse_spec(config, tmp_path / "s.toml"), progress=False, echo=messages.append)
    warning = [m for m in messages if m.startswith("warning")]
    assert len(warning) == 1 and "population 'ext', which connects to nothing" in warning[0]


def test_set_on_an_explored_parameter_is_warned_about(tmp_path: Path) -> None:
    config = demo_config(neurons=50, grid=1, duration=50.0)
    messages: list[str] = []
    spec = parse_spec(config, tmp_path / "s.toml")
    study, _ = prepare_study(spec, ["input.rate=5", "syn.g=4"], progress=False, echo=messages.append)
    warnings = [m for m in messages if m.startswith("warning: --set")]
    assert len(warnings) == 2 and "input.rate is explored by [[explore]]" in warnings[0]
    assert set(study.runs["input.rate"]) == {30.0}  # the explored value, not the --set one


def test_job_study_goes_under_out_and_help_documents_the_job_key(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text("def square(run):\n    run.save('y', run.params['x'] ** 2)\n")
    (tmp_path / "src").mkdir()
    file = tmp_path / "src" / "job.toml"
    file.write_text(
        '[study]\npath = "sq"\njob = "../jobs.py:square"\nbackend = "serial"\n'
        "[params]\nx = 1.0\n[[explore]]\ngrid = { x = [1.0, 2.0] }\n"
    )
    runner = CliRunner()
    done = runner.invoke(main, ["run", str(file), "--out", str(tmp_path / "results"), "--no-progress"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "results" / "sq" / "catalog.sqlite").is_file()
    assert not (tmp_path / "src" / "sq").exists()
    assert sorted(Study(tmp_path / "results" / "sq").results("y")["y"]) == [1.0, 4.0]
    text = runner.invoke(main, ["run", "--help"]).output
    assert 'job = "file.py:function"' in text and "--out" in text and "docs/study-file.md" in text
