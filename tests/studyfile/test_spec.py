"""Study files of the main job: every bad section, key or value is named with its file and section."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from neuroloom.demos.ei_network import demo_config, write_toml
from neuroloom.errors import StudyFileError
from neuroloom.studyfile import parse_spec, read_spec
from neuroloom.studyfile.spec import resolve_config, spec_for_run


def _config() -> dict[str, Any]:
    return demo_config(neurons=100, grid=2, duration=100.0)


def test_demo_file_round_trips_through_toml(tmp_path: Path) -> None:
    config = _config()
    spec = read_spec(write_toml(config, tmp_path / "ei.toml"))
    assert [p.name for p in spec.network.populations] == ["exc", "inh", "ext"]
    assert spec.network.populations[2].virtual
    assert spec.network.connections[1].targets == ("exc", "inh")
    assert spec.simulation.weight_scale == {"inh": "$syn.g"}
    assert spec.inputs[0].kind == "poisson" and spec.inputs[0].values["rate"] == "$input.rate"
    assert spec.path == (tmp_path / "ei-study").resolve()
    assert spec.raw["explore"] == config["explore"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda c: c.update(simulations={}), r"unknown section\(s\) \['simulations'\]"),
        (
            lambda c: c["network"]["populations"]["exc"].update(tau=3),
            r"\[network.populations.exc\]: unknown key",
        ),
        (
            lambda c: c["simulation"].update(simulator="neuron3"),
            r"\[simulation\] simulator = 'neuron3'.*brian2.*nest.*neuron",
        ),
        (lambda c: c["simulation"].update(duration=-5), r"\[simulation\] duration = -5: must be > 0"),
        (
            lambda c: c["network"]["connections"][0].update(weight="$syn.w"),
            r"weight = '\$syn.w': names no parameter",
        ),
        (lambda c: c["network"]["connections"][0].update(target="thalamus"), r"population 'thalamus'"),
        (lambda c: c["network"]["connections"][0].update(rule="gaussian"), r"rule = 'gaussian'"),
        (lambda c: c["inputs"][0].update(type="sine"), r"\[inputs #1\] type = 'sine'"),
        (lambda c: c["inputs"][0].update(frequency=3.0), r"\[inputs #1\]: unknown key\(s\) \['frequency'\]"),
        (lambda c: c.pop("network"), r"no \[network\] section"),
        (lambda c: c["study"].update(backend="mpi"), r"backend = 'mpi'"),
        (lambda c: c["analysis"].update(t_begin=3.0), r"\[analysis\]: unknown key"),
    ],
)
def test_bad_study_files_name_file_section_and_fix(edit: Any, message: str, tmp_path: Path) -> None:
    config = copy.deepcopy(_config())
    edit(config)
    with pytest.raises(StudyFileError, match=message) as info:
        parse_spec(config, tmp_path / "bad.toml")
    assert "bad.toml" in str(info.value)


def test_missing_circuit_file_is_named(tmp_path: Path) -> None:
    config = _config()
    config["network"] = {"circuit": "nowhere/circuit_config.json"}
    with pytest.raises(StudyFileError, match=r"nowhere/circuit_config\.json"):
        parse_spec(config, tmp_path / "s.toml")


def test_parameter_references_resolve_once_into_a_checked_spec(tmp_path: Path) -> None:
    config = _config()
    config["simulation"]["duration"] = "$input.rate"
    resolved = resolve_config(config, {"input.rate": 50.0, "syn.g": 4.0}, "f.toml")
    assert resolved["simulation"]["duration"] == 50.0 and resolved["inputs"][0]["rate"] == 50.0
    assert resolved["simulation"]["weight_scale"] == {"inh": 4.0}
    assert config["simulation"]["duration"] == "$input.rate"  # the written config is left alone
    run = spec_for_run(config, tmp_path / "f.toml", {"input.rate": 50.0, "syn.g": 4.0})
    assert run.simulation.duration == 50.0 and run.simulation.weight_scale == {"inh": 4.0}
    # a referenced value that does not fit its key fails with the key's message
    with pytest.raises(StudyFileError, match=r"\[simulation\] duration = -1.0: must be > 0"):
        spec_for_run(config, tmp_path / "f.toml", {"input.rate": -1.0, "syn.g": 4.0})
    with pytest.raises(StudyFileError, match=r"'\$syn.g' names no parameter"):
        resolve_config(config, {"input.rate": 5.0}, "here")


def test_any_network_value_but_population_names_may_be_a_reference(tmp_path: Path) -> None:
    config = _config()
    config["params"]["net"] = {
        "n": 20,
        "rule": "fixed_probability",
        "v0": [-70.0, -60.0],
        "model": "iaf_psc_alpha",
    }
    exc = config["network"]["populations"]["exc"]
    exc.update(n="$net.n", initial_v="$net.v0", model="$net.model")
    config["network"]["connections"][0]["rule"] = "$net.rule"
    spec = parse_spec(config, tmp_path / "f.toml")
    params = {
        "input.rate": 5.0,
        "syn.g": 4.0,
        "net.n": 20,
        "net.v0": (-70.0, -60.0),
        "net.model": "iaf_psc_alpha",
    }
    run = spec_for_run(spec.raw, spec.file, {**params, "net.rule": "fixed_probability"}).network
    assert run is not None
    assert (run.populations[0].n, run.populations[0].initial_v) == (20, (-70.0, -60.0))
    assert run.populations[0].model == "iaf_psc_alpha" and run.connections[0].rule == "fixed_probability"
    with pytest.raises(StudyFileError, match=r"\[network.connections #1\] rule fixed_indegree needs k"):
        spec_for_run(spec.raw, spec.file, {**params, "net.rule": "fixed_indegree"})
    with pytest.raises(StudyFileError, match=r"\[network.populations.exc\] n = 2.5: give an integer"):
        spec_for_run(spec.raw, spec.file, {**params, "net.rule": "fixed_probability", "net.n": 2.5})
