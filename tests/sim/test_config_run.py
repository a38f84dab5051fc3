"""SONATA simulation configs from the public corpus, run with run_config and checked against references.

References: bmtk pointnet on NEST (300_pointneurons), a plain NEST script
reading the circuit files with h5py (the sim_tests/intfire NEST cases, which
this bmtk version cannot run as shipped: its current clamp finds no cells for
the ``model_type`` node sets and its default weight function needs ``nsyns``),
and the reference run's shipped ``output/spikes.h5`` (300_intfire on NEURON).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from neuroloom.errors import NeuroloomError
from neuroloom.sim import run_config

from .references import INTFIRE, bmtk_pointnet, corpus_file, nest_by_hand, read_json

SHARED = INTFIRE.parent / "shared_components"


def _counts(run, population: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    ids, _ = run.result.spikes_of(population)
    return np.bincount(ids, minlength=run.result.sizes[population])


def test_300_pointneurons_on_nest_equals_bmtk_pointnet(tmp_path: Path) -> None:
    config = corpus_file("300_pointneurons", "simulation_config.json")
    reference = bmtk_pointnet(config, tmp_path / "bmtk")["internal"]
    run = run_config(config, output_dir=tmp_path / "ours")  # target_simulator NEST
    assert run.simulator == "nest"
    ours = _counts(run, "internal")
    assert reference.sum() > 10_000
    assert abs(ours.sum() - reference.sum()) <= 0.05 * reference.sum()
    assert np.corrcoef(ours, reference)[0, 1] >= 0.99
    np.testing.assert_array_equal(ours, reference)  # same NEST, same network, same inputs
    # the external edges have no delay anywhere: NEST's default, said in the warnings and the log
    assert any("external_to_internal" in w and "default delay" in w for w in run.warnings)
    assert "WARNING" in (tmp_path / "ours" / "log.txt").read_text()
    # outputs open in libsonata and bmtk's readers
    import libsonata
    from bmtk.utils.reports.spike_trains import SpikeTrains

    spikes = libsonata.SpikeReader(str(run.outputs["spikes"]))
    assert spikes.get_population_names() == ["internal"]
    assert len(spikes["internal"].get()) == ours.sum()
    assert len(SpikeTrains.load(str(run.outputs["spikes"])).to_dataframe()) == ours.sum()
    report = libsonata.SomaReportReader(str(run.outputs["membrane_potential"]))["internal"]
    assert report.get_node_ids() == [0, 80, 160, 240, 270]
    frame = report.get(node_ids=[80])
    assert len(frame.data) == len(frame.times) > 100_000 and -90 < float(np.mean(frame.data)) < -40


def test_compare_300_pointneurons_nest_and_brian2(tmp_path: Path) -> None:
    """NEST here equals bmtk pointnet spike for spike (test above): Brian2 is held to it."""
    from neuroloom.sim.compare import compare_config, write_html

    config = corpus_file("300_pointneurons", "simulation_config.json")
    comparison = compare_config(config, ["nest", "brian2"], target="numpy")
    assert comparison.deterministic  # spike-file input: first spikes are compared too
    nest, brian = comparison.row("internal", "nest"), comparison.row("internal", "brian2")
    assert nest["count_corr"] == 1.0 and nest["isi_ks"] == 0.0
    assert brian["count_corr"] >= 0.9  # per-neuron spike counts
    assert abs(brian["rate_rel_diff"]) <= 0.05  # population rate
    assert brian["isi_ks"] <= 0.05  # ISI distributions
    assert brian["first_spike_mae_ms"] <= 1.0
    page = write_html(comparison, tmp_path / "compare.html").read_text()
    assert "internal" in page and "<svg" in page and "default delay" in page


def test_cli_compare_writes_the_report(tmp_path: Path) -> None:
    from neuroloom.cli import main

    config = INTFIRE / "one_cell_iclamp_nest" / "input" / "simulation_config.json"
    out = tmp_path / "c.html"
    args = ["compare", str(config), "--simulators", "nest,brian2", "--target", "numpy", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "one_cell_iclamp" in result.output and out.is_file()
    bad = CliRunner().invoke(main, ["compare", str(config), "--simulators", "nest"])
    assert bad.exit_code == 2 and "at least two simulators" in bad.output


def _iclamp_cells(folder: Path, file: str, pop: str) -> tuple[list[dict[str, float]], np.ndarray]:
    with h5py.File(folder / file, "r") as fh:
        type_ids = fh[f"nodes/{pop}/node_type_id"][()]
    types = {100: "472363762_point.json", 101: "472363762_point.json"}
    if pop == "one_cell_iclamp":
        types = {100: "473863035_point.json"}
    params = [read_json(SHARED / "point_neuron_models_dir" / types[int(t)]) for t in type_ids]
    return params, type_ids


def test_one_cell_iclamp_equals_a_plain_nest_script(tmp_path: Path) -> None:
    config = INTFIRE / "one_cell_iclamp_nest" / "input" / "simulation_config.json"
    network = config.parent / "network"
    params, _ = _iclamp_cells(network, "one_cell_iclamp_nodes.h5", "one_cell_iclamp")
    reference = nest_by_hand(
        {"one_cell_iclamp": ("iaf_psc_alpha", params)},
        [],
        {},
        [("one_cell_iclamp", np.arange(1), 190.0, 100.0, 900.0)],
        1000.0,
        0.01,
    )["one_cell_iclamp"]
    run = run_config(config, output_dir=tmp_path)
    ours = _counts(run, "one_cell_iclamp")
    assert reference.sum() > 20
    assert abs(int(ours.sum()) - int(reference.sum())) <= max(1, 0.05 * reference.sum())
    brian = _counts(run_config(config, "brian2", write=False, target="numpy"), "one_cell_iclamp")
    assert abs(int(brian.sum()) - int(reference.sum())) <= 0.10 * reference.sum()


def test_ten_cells_iclamp_equals_a_plain_nest_script(tmp_path: Path) -> None:
    config = INTFIRE / "ten_cells_iclamp_nest" / "input" / "config.json"  # bmtk's composite config
    network = config.parent / "network"
    params, type_ids = _iclamp_cells(network, "ten_cells_iclamp_nodes.h5", "ten_cells_iclamp")
    with h5py.File(network / "ten_cells_iclamp_ten_cells_iclamp_edges.h5", "r") as fh:
        grp = fh["edges/ten_cells_iclamp_to_ten_cells_iclamp"]
        src, trg, nsyns = grp["source_node_id"][()], grp["target_node_id"][()], grp["0/nsyns"][()]
    excitatory = np.flatnonzero(type_ids == 100)
    pop = "ten_cells_iclamp"
    reference = nest_by_hand(
        {pop: ("iaf_psc_alpha", params)},
        [(pop, pop, src, trg, 10.0 * nsyns, np.full(src.size, 2.0))],  # bmtk: syn_weight x nsyns
        {},
        [(pop, excitatory, 190.0, 100.0, 900.0)],
        1000.0,
        0.01,
    )[pop]
    run = run_config(config, output_dir=tmp_path)
    ours = _counts(run, pop)
    assert reference[type_ids == 100].sum() > 20  # the clamped cells fire
    assert abs(int(ours.sum()) - int(reference.sum())) <= max(1, 0.05 * reference.sum())
    assert np.abs(ours - reference).max() <= 1
    brian = _counts(run_config(config, "brian2", write=False, target="numpy"), pop)
    assert abs(int(brian.sum()) - int(reference.sum())) <= 0.10 * reference.sum()


def _old_layout(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with h5py.File(path, "r") as fh:
        return fh["spikes/gids"][()].astype(np.int64), fh["spikes/timestamps"][()]


def test_ten_cells_spikes_old_layout_equals_a_plain_nest_script(tmp_path: Path) -> None:
    config = INTFIRE / "ten_cells_spikes_nest" / "input" / "config.json"
    folder = config.parent
    ids, times = _old_layout(folder / "external_spike_trains.h5")
    with h5py.File(folder / "network" / "pre_post_edges.h5", "r") as fh:
        grp = fh["edges/pre_to_post"]
        src, trg, weights = grp["source_node_id"][()], grp["target_node_id"][()], grp["0/syn_weight"][()]
    params = [read_json(SHARED / "nest_models" / "cell_models" / "472363762_point.json")] * 5
    reference = nest_by_hand(
        {"post": ("iaf_psc_alpha", params)},
        [("pre", "post", src, trg, weights, np.full(src.size, 0.1))],
        {"pre": (ids, times)},
        [],
        400.0,
        0.001,
        record_v="post",
    )
    run = run_config(config, output_dir=tmp_path)
    np.testing.assert_array_equal(_counts(run, "pre"), np.bincount(ids[times < 400.0], minlength=5))
    np.testing.assert_array_equal(_counts(run, "post"), reference["post"])  # no spike: sub-threshold
    # the membrane report (recorded_cells = post 0..4) equals the plain script's trace: same arrival
    # steps of the off-grid input spikes, weights from the edge file, delay from the edge types
    signal = run.result.signals[("post", "v")]
    assert signal.node_ids.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(signal.values, reference["V_m"][: signal.times.size], atol=1e-9)
    assert np.ptp(signal.values[:, 0]) > 1.0  # the inputs move the membrane


def _config_with_input(tmp_path: Path, spec: dict[str, object]) -> Path:
    source = INTFIRE / "ten_cells_spikes_nest" / "input"
    raw = json.loads((source / "simulation_config.json").read_text())
    raw["manifest"] = {"$INPUT_DIR": str(source), "$OUTPUT_DIR": str(tmp_path / "out")}
    raw["network"] = "$INPUT_DIR/circuit_config.json"
    raw["inputs"] = {"trains": {"input_type": "spikes", "node_set": "pre", **spec}}
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "simulation_config.json"
    path.write_text(json.dumps(raw))
    return path


def test_spike_inputs_in_every_layout_give_the_same_run(tmp_path: Path) -> None:
    from neuroloom.sonata import write_spikes

    source = INTFIRE / "ten_cells_spikes_nest" / "input"
    ids, times = _old_layout(source / "external_spike_trains.h5")
    write_spikes(tmp_path / "new.h5", {"pre": (ids, times)})
    (tmp_path / "spikes.csv").write_text(
        "timestamps population node_ids\n"
        + "".join(f"{float(t)!r} pre {int(i)}\n" for t, i in zip(times, ids))
    )
    with h5py.File(tmp_path / "spikes.nwb", "w") as fh:
        for node in np.unique(ids):
            fh.create_dataset(f"processing/trial_0/spike_train/{node}/data", data=times[ids == node])
    old = _config_with_input(
        tmp_path / "old", {"module": "h5", "input_file": str(source / "external_spike_trains.h5")}
    )
    expected = run_config(old, write=False).result.signals[("post", "v")].values
    kept = times < 400.0
    for module, file in (("sonata", "new.h5"), ("csv", "spikes.csv"), ("nwb", "spikes.nwb")):
        config = _config_with_input(tmp_path / module, {"module": module, "input_file": str(tmp_path / file)})
        run = run_config(config, write=False)
        np.testing.assert_array_equal(run.result.signals[("post", "v")].values, expected, err_msg=module)
        np.testing.assert_array_equal(
            _counts(run, "pre"), np.bincount(ids[kept], minlength=5), err_msg=module
        )


def test_poisson_input_and_overwrite_refusal(tmp_path: Path) -> None:
    config = _config_with_input(tmp_path, {"module": "poisson", "rate": 200.0})
    run = run_config(config)
    assert 5 * 200 * 0.4 * 0.7 < _counts(run, "pre").sum() < 5 * 200 * 0.4 * 1.3
    raw = json.loads(config.read_text())
    raw["run"]["overwrite_output_dir"] = False
    config.write_text(json.dumps(raw))
    with pytest.raises(NeuroloomError, match="overwrite_output_dir"):
        run_config(config)


def test_300_intfire_on_neuron_equals_the_shipped_reference_run(tmp_path: Path) -> None:
    config = corpus_file("300_intfire", "simulation_config.json")
    run = run_config(config, output_dir=tmp_path)  # target_simulator NEURON
    assert run.simulator == "neuron"
    with h5py.File(corpus_file("300_intfire", "output", "spikes.h5"), "r") as fh:
        ref_ids, ref_times = fh["spikes/v1/node_ids"][()].astype(np.int64), fh["spikes/v1/timestamps"][()]
    ids, times = run.result.spikes_of("v1")
    assert ids.size == ref_ids.size == 4322
    np.testing.assert_array_equal(np.bincount(ids, minlength=300), np.bincount(ref_ids, minlength=300))
    np.testing.assert_allclose(np.sort(times), np.sort(ref_times), atol=1e-6)


def test_ten_cells_spikes_on_neuron_follows_intfire1(tmp_path: Path) -> None:
    """IntFire1 with weight 5 > 1: every input spike makes its target fire (outside refractoriness)."""
    config = INTFIRE / "ten_cells_spikes_nrn" / "input" / "simulation_config.json"
    run = run_config(config, output_dir=tmp_path)
    source = config.parent
    ids, times = _old_layout(source / "tw_spikes.h5")
    with h5py.File(source / "network" / "pre_post_edges.h5", "r") as fh:
        grp = fh["edges/pre_to_post"]
        src, trg = grp["source_node_id"][()], grp["target_node_id"][()]
    refrac = read_json(SHARED / "point_neuron_models_dir" / "IntFire1_exc_1.json")["refrac"] * 1000.0
    post_ids, post_times = run.result.spikes_of("post")
    for node in np.unique(trg):
        arrivals = np.sort(np.concatenate([times[ids == s] for s in src[trg == node]]))
        expected, last = [], -np.inf
        for t in arrivals:
            if t - last >= refrac:
                expected.append(t)
                last = t
        np.testing.assert_allclose(np.sort(post_times[post_ids == node]), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"run": {"tstop": 0, "dt": 0.1}}, "run.tstop"),
        ({"network": "$INPUT_DIR/nowhere.json"}, "network"),
        (
            {"inputs": {"x": {"input_type": "spikes", "module": "smoke", "node_set": "pre"}}},
            "inputs.x.module",
        ),
        (
            {
                "inputs": {
                    "x": {"input_type": "spikes", "module": "h5", "node_set": "nope", "input_file": "a.h5"}
                }
            },
            "inputs.x.node_set",
        ),
        (
            {
                "inputs": {
                    "x": {
                        "input_type": "spikes",
                        "module": "h5",
                        "node_set": "pre",
                        "input_file": "$INPUT_DIR/none.h5",
                    }
                }
            },
            "inputs.x.input_file",
        ),
    ],
)
def test_config_errors_name_file_and_key_and_the_cli_exits_2(
    tmp_path: Path, change: dict[str, object], key: str
) -> None:
    from neuroloom.cli import main

    config = _config_with_input(
        tmp_path, {"module": "h5", "input_file": "$INPUT_DIR/external_spike_trains.h5"}
    )
    raw = json.loads(config.read_text())
    raw.update(change)
    config.write_text(json.dumps(raw))
    with pytest.raises(NeuroloomError, match=rf"{config}.*{key.replace('.', '[.]')}"):
        run_config(config)
    result = CliRunner().invoke(main, ["run", str(config)])
    assert result.exit_code == 2 and key in result.output


def test_cli_runs_a_simulation_config(tmp_path: Path) -> None:
    from neuroloom.cli import main

    config = _config_with_input(
        tmp_path, {"module": "h5", "input_file": "$INPUT_DIR/external_spike_trains.h5"}
    )
    result = CliRunner().invoke(
        main, ["run", str(config), "--simulator", "nest", "--output-dir", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "post: 5 nodes" in result.output and (tmp_path / "o" / "spikes.h5").is_file()


def test_brian2_cython_target_equals_numpy(tmp_path: Path, _sim_cache: Path) -> None:
    """Brian2's default target compiles into the test cache and gives the numpy target's spikes."""
    from neuroloom.sim.brian2 import choose_target

    assert choose_target("auto") == "cython", "a C compiler and Cython are part of the test environment"
    config = INTFIRE / "ten_cells_iclamp_nest" / "input" / "config.json"
    compiled = run_config(config, "brian2", write=False, target="cython").result
    plain = run_config(config, "brian2", write=False, target="numpy").result
    assert compiled.simulator == "brian2-cython" and plain.simulator == "brian2-numpy"
    assert len(compiled.spikes) > 20
    np.testing.assert_array_equal(compiled.spikes["node_id"], plain.spikes["node_id"])
    np.testing.assert_allclose(compiled.spikes["time"], plain.spikes["time"], atol=1e-9)
    assert any(_sim_cache.rglob("*.so")), "the compiled code objects land in the test cache"


def test_a_relative_output_dir_is_taken_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = corpus_file("300_pointneurons", "simulation_config.json")
    before = sorted(p.name for p in config.parent.iterdir())
    monkeypatch.chdir(tmp_path)
    run = run_config(config, "nest", output_dir="out-300")
    assert run.outputs["spikes"] == tmp_path / "out-300" / "spikes.h5"
    assert run.outputs["spikes"].is_file()
    assert sorted(p.name for p in config.parent.iterdir()) == before  # nothing written beside the config
