"""Studies over a SONATA simulation config: parsing, per-run resolution, overrides (issue 12 item 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuroloom.errors import StudyFileError
from neuroloom.sim.point import load_point_network
from neuroloom.studyfile import parse_spec
from neuroloom.studyfile.sonata_config import (
    apply_config_overrides,
    apply_dynamics_overrides,
    split_overrides,
    write_run_config,
)
from neuroloom.studyfile.spec import spec_for_run
from neuroloom.testing.circuits import write_ei_circuit

CORPUS = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "sonata-examples" / "300_pointneurons"
)
CONFIG = CORPUS.resolve() / "simulation_config.json"


def _study(tmp_path: Path) -> dict[str, Any]:
    assert CONFIG.is_file(), f"the corpus is missing: {CONFIG}"
    return {
        "study": {"path": "s"},
        "params": {"t": 500.0, "tau": 10.0, "w": 2.0},
        "explore": [{"grid": {"t": [200.0, 300.0], "tau": [10.0, 20.0]}}],
        "network": {"simulation_config": str(CONFIG)},
        "simulation_config": {
            "run": {"tstop": "$t"},
            "inputs": {"external_spike_trains": {"module": "h5"}},
            "node_types": {"internal": {"tau_m": "$tau"}},
            "edge_types": {"internal_to_internal": {"syn_weight": "$w"}},
        },
    }


def test_simulation_config_study_parses_and_resolves_per_run(tmp_path: Path) -> None:
    spec = parse_spec(_study(tmp_path), tmp_path / "s.toml")
    assert spec.network is not None and spec.network.simulation_config == CONFIG
    assert spec.network.overrides["run.tstop"] == "$t"
    run = spec_for_run(spec.raw, spec.file, {"t": 300.0, "tau": 20.0, "w": 2.0})
    assert run.network is not None
    assert run.network.overrides == {
        "run.tstop": 300.0,
        "inputs.external_spike_trains.module": "h5",
        "node_types.internal.tau_m": 20.0,
        "edge_types.internal_to_internal.syn_weight": 2.0,
    }
    config, dynamics = split_overrides(run.network.overrides)
    assert sorted(config) == ["inputs.external_spike_trains.module", "run.tstop"]
    assert sorted(dynamics) == ["edge_types.internal_to_internal.syn_weight", "node_types.internal.tau_m"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda c: c["simulation_config"].update(output={"x": 1}),
            r"\[simulation_config\] output.x: give a path",
        ),
        (lambda c: c["simulation_config"]["run"].update(tstop="$nope"), r"names no parameter"),
        (lambda c: c["simulation_config"]["run"].update(tstop=[1]), r"run.tstop = \[1\]: give a number"),
        (lambda c: c["network"].update(simulation_config="nowhere.json"), r"nowhere.json.*does not exist"),
    ],
)
def test_bad_simulation_config_overrides_are_named(tmp_path: Path, edit: Any, message: str) -> None:
    config = _study(tmp_path)
    edit(config)
    with pytest.raises(StudyFileError, match=message):
        parse_spec(config, tmp_path / "s.toml")


def test_config_overrides_write_a_run_copy_with_absolute_paths(tmp_path: Path) -> None:
    out = write_run_config(CONFIG, {"run.tstop": 250.0, "conditions.celsius": 30.0}, tmp_path)
    written = json.loads(out.read_text())
    assert written["run"] == {"tstop": 250.0, "dt": 0.01, "nsteps_block": 5000}
    assert written["conditions"]["celsius"] == 30.0
    assert Path(written["network"]) == CORPUS.resolve() / "circuit_config.json"
    assert Path(written["inputs"]["external_spike_trains"]["input_file"]).is_file()
    with pytest.raises(StudyFileError, match=r"inputs.ext.rate: give inputs.<input>.<key> with an input"):
        apply_config_overrides(json.loads(CONFIG.read_text()), {"inputs.ext.rate": 3.0}, "here:")


def test_dynamics_overrides_set_node_and_edge_values_of_a_copy(tmp_path: Path) -> None:
    net = load_point_network(write_ei_circuit(tmp_path / "c", n_exc=8, n_inh=2, n_ext=4, p_ext=0.5))
    changed = apply_dynamics_overrides(
        net,
        {
            "node_types.exc.tau_m": 7.0,
            "edge_types.ext_to_exc.syn_weight": 3.0,
            "edge_types.exc_to_inh.delay": 2.0,
        },
        "here:",
    )
    assert np.all(changed.populations["exc"].params["tau_m"] == 7.0)
    assert not np.all(
        net.populations["exc"].params.get("tau_m", np.zeros(1)) == 7.0
    )  # the original is unchanged
    proj = {p.name: p for p in changed.projections}
    assert np.all(proj["ext_to_exc"].weights == 3.0) and np.all(proj["exc_to_inh"].delays == 2.0)
    original = {p.name: p for p in net.projections}
    assert np.array_equal(proj["inh_to_exc"].weights, original["inh_to_exc"].weights)
    with pytest.raises(StudyFileError, match=r"node_types.exc.tau_x: not a parameter of iaf_psc_exp"):
        apply_dynamics_overrides(net, {"node_types.exc.tau_x": 1.0}, "here:")
    with pytest.raises(StudyFileError, match=r"edge_types.nope.syn_weight: give edge_types"):
        apply_dynamics_overrides(net, {"edge_types.nope.syn_weight": 1.0}, "here:")


def test_study_over_a_simulation_config_runs_the_config_with_each_runs_overrides(tmp_path: Path) -> None:
    """Each run: the corpus config with its overrides, outputs in the run folder, spikes as recordings."""
    import h5py

    from neuroloom.sim import run_config
    from neuroloom.study.run import run_folder
    from neuroloom.studyfile import run_spec

    config = _study(tmp_path)
    config["study"] = {"path": str(tmp_path / "s"), "backend": "serial"}
    config["params"] = {"t": 60.0, "tau": 10.0, "w": 2.0}
    config["explore"] = [{"grid": {"tau": [10.0, 40.0]}}]
    del config["simulation_config"]["edge_types"]
    corpus_outputs = sorted(CORPUS.rglob("*"))
    study, report = run_spec(parse_spec(config, tmp_path / "s.toml"), progress=False, echo=lambda _: None)
    assert study.catalog.count("done") == 2, report
    rates = {}
    for index, tau in study.runs["tau"].items():
        folder = run_folder(study.path, int(index))
        copy = json.loads((folder / "simulation_config.json").read_text())
        assert copy["run"]["tstop"] == 60.0 and Path(copy["output"]["output_dir"]) == folder / "output"
        with h5py.File(folder / "output" / "spikes.h5", "r") as out, h5py.File(folder / "spikes.h5") as rec:
            written = np.sort(out["spikes/internal/timestamps"][()])
            recorded = np.sort(rec["spikes/internal/timestamps"][()])
        assert np.array_equal(written, recorded) and written.size > 0
        again = run_config(
            folder / "simulation_config.json",
            write=False,
            adjust=lambda net, tau=float(tau): apply_dynamics_overrides(
                net, {"node_types.internal.tau_m": tau}, ""
            ),
        )
        assert np.array_equal(np.sort(again.result.spikes_of("internal")[1]), written)  # NEST: same run
        assert (folder / "output" / "membrane_potential.h5").is_file()  # the config's report
        rates[float(tau)] = written.size
        warnings = study.run_results(int(index))["warnings"]  # stored with the run
        assert any("external_to_internal" in w and "default delay" in w for w in warnings)
    assert rates[40.0] != rates[10.0]  # the override reached the neurons
    assert sorted(CORPUS.rglob("*")) == corpus_outputs  # every output went to the run folders


def test_bad_override_of_a_simulation_config_is_refused_before_any_run(tmp_path: Path) -> None:
    from neuroloom.studyfile import prepare_study

    config = _study(tmp_path)
    config["study"] = {"path": str(tmp_path / "s")}
    config["simulation_config"]["node_types"] = {"internals": {"tau_m": "$tau"}}
    with pytest.raises(StudyFileError, match=r"s.toml: \[simulation_config\] node_types.internals"):
        prepare_study(parse_spec(config, tmp_path / "s.toml"), progress=False, echo=lambda _: None)


def test_study_over_a_config_on_neuron_equals_the_shipped_reference_run(tmp_path: Path) -> None:
    """NEURON in a study file: 300_intfire (IntFire1) per tstop, against the reference run's spikes."""
    import h5py

    from neuroloom.studyfile import run_spec

    folder = CORPUS.parent / "300_intfire"
    shipped = folder / "output" / "spikes.h5"
    with h5py.File(shipped, "r") as fh:
        ref_times = fh["spikes/v1/timestamps"][()]
    before = shipped.stat().st_mtime_ns
    config = {
        "study": {"path": str(tmp_path / "s"), "backend": "serial"},
        "params": {"t": 400.0},
        "explore": [{"grid": {"t": [400.0, 900.0]}}],
        "network": {"simulation_config": str(folder / "simulation_config.json")},
        "simulation": {"simulator": "neuron"},
        "simulation_config": {"run": {"tstop": "$t"}},
        "analysis": {"t_start": 0.0},
    }
    study, report = run_spec(parse_spec(config, tmp_path / "s.toml"), progress=False, echo=lambda _: None)
    assert study.catalog.count("done") == 2, report.first_error
    for index, tstop in study.runs["t"].items():
        results = study.run_results(int(index))
        seconds = float(tstop) / 1000.0
        expected = np.count_nonzero(ref_times < float(tstop)) / 300 / seconds
        assert results["rate_v1"] == pytest.approx(expected, abs=1 / 300 / seconds)  # one spike at most
    assert shipped.stat().st_mtime_ns == before  # the reference output stays untouched
