"""Single-cell simulations: placement, release, evoked input, recordings, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import InputSpecError, SimulationError
from neuroloom.sim.inputs import CurrentClamp, PoissonInput, PSTHInput, SpikeTrainInput
from neuroloom.sim.neuron import CellModel, RecordSite, SynapseGroup, simulate_cell
from neuroloom.sim.neuron.morphology import load_morphology
from neuroloom.sim.neuron.synapses import activations, place_synapses


def test_activations_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    syn_node = rng.integers(0, 7, size=40)
    spike_nodes = rng.integers(0, 7, size=90)
    spike_times = rng.random(90) * 100
    syn, times = activations(syn_node, spike_nodes, spike_times, 1.0, rng)
    expected = sorted((s, t) for s in range(40) for n, t in zip(spike_nodes, spike_times) if n == syn_node[s])
    assert sorted(zip(syn.tolist(), times.tolist())) == expected
    kept, _ = activations(syn_node, spike_nodes, spike_times, 0.3, rng)
    n = len(expected)
    assert abs(kept.size - 0.3 * n) < 5 * np.sqrt(n * 0.3 * 0.7)


def test_placement_by_density_and_table(demo_cell: CellModel) -> None:
    morph = load_morphology(demo_cell.morphology)
    rng = np.random.default_rng(0)
    group = SynapseGroup("L4", n_cells=10, density={"dend": 1.0, "apic": 0.5})
    table = place_synapses(morph, group, rng)
    for kind, density in {"dend": 1.0, "apic": 0.5}.items():
        expected = density * morph.lengths(kind).sum()
        assert abs((table["section_type"] == kind).sum() - expected) < 5 * np.sqrt(expected)
    assert table["x"].between(0, 1).all() and table["node_id"].between(0, 9).all()
    explicit = pd.DataFrame(
        {"section_type": ["apic", "dend"], "section_index": [1, 0], "x": [0.5, 0.1], "node_id": [0, 2]}
    )
    placed = place_synapses(morph, SynapseGroup("L4", n_cells=3, table=explicit), rng)
    assert placed[["section_type", "section_index", "x", "node_id"]].equals(explicit)
    with pytest.raises(SimulationError, match=r"apic\[9\]"):
        bad = explicit.assign(section_index=[9, 0])
        place_synapses(morph, SynapseGroup("L4", n_cells=3, table=bad), rng)


def test_current_clamp_drives_spikes(demo_cell: CellModel) -> None:
    quiet = simulate_cell(demo_cell, duration=100.0, seed=0)
    driven = simulate_cell(
        demo_cell, inputs=[CurrentClamp("cell", amplitude=1.0, delay=20.0, duration=60.0)], duration=100.0
    )
    assert quiet.spikes_of("cell")[1].size == 0
    times = driven.spikes_of("cell")[1]
    assert times.size >= 1 and times.min() > 20.0 and times.max() < 85.0
    v = driven.signals[("cell", "v")]
    assert v.unit == "mV" and v.values.shape[1] == 1
    assert v.values[: int(19 / 0.025)].max() < -60.0  # at rest before the pulse


def test_evoked_psth_with_offset_and_dendritic_recording(demo_cell: CellModel) -> None:
    groups = [SynapseGroup("VPM", n_cells=40, density={"dend": 0.3, "apic": 0.1}, weight=0.002)]
    evoked = PSTHInput(
        "VPM", intervals=[(0.0, 2.0), (2.0, 4.0)], probabilities=[0.6, 0.4], offset=60.0, release_prob=0.8
    )
    result = simulate_cell(
        demo_cell, groups, [evoked], 120.0, record=[RecordSite("apic300", "apic", distance=300.0)], seed=4
    )
    pre = result.spikes_of("VPM")[1]
    assert pre.size > 0 and pre.min() >= 60.0 and pre.max() <= 64.0
    post = result.spikes_of("cell")[1]
    assert post.size >= 1 and 60.0 < post.min() < 80.0  # the cell answers the stimulus
    acts = result.tables["synapse_activations"]
    assert acts["time"].between(60.0, 64.0).all() and len(acts) > 0
    soma = result.signals[("cell", "v")].values[:, 0]
    apic = result.signals[("cell", "v_apic300")].values[:, 0]
    assert soma[: int(59 / 0.025)].max() < -60.0 and apic.max() > -60.0
    placed = result.tables["synapses"]
    assert {"synapse_id", "distance", "section_type"} <= set(placed.columns)
    assert placed.loc[placed["section_type"] == "apic", "distance"].max() > 100.0


def test_release_probability_thins_activations(demo_cell: CellModel) -> None:
    table = pd.DataFrame(
        {
            "section_type": ["dend"] * 20,
            "section_index": [0] * 20,
            "x": np.linspace(0, 1, 20),
            "node_id": np.zeros(20, dtype=np.int64),
        }
    )
    spikes = SpikeTrainInput(
        "L2", node_ids=np.zeros(50, np.int64), times=np.linspace(1, 99, 50), release_prob=0.25
    )
    result = simulate_cell(
        demo_cell, [SynapseGroup("L2", n_cells=1, table=table, weight=1e-5)], [spikes], 100.0, seed=7
    )
    n = 20 * 50
    count = len(result.tables["synapse_activations"])
    assert abs(count - 0.25 * n) < 5 * np.sqrt(n * 0.25 * 0.75)


def test_ongoing_input_rate(demo_cell: CellModel) -> None:
    groups = [SynapseGroup("L5tt", n_cells=100, density={"apic": 0.05}, weight=1e-5)]
    result = simulate_cell(demo_cell, groups, [PoissonInput.from_interval("L5tt", 100.0)], 500.0, seed=2)
    assert result.rate("L5tt") == pytest.approx(10.0, rel=0.3)


def test_hoc_morphology(tmp_path: Path) -> None:
    hoc = tmp_path / "two.hoc"
    hoc.write_text(
        "create soma_t, dend_t[2]\n"
        "soma_t { L = 20 diam = 20 }\n"
        "for i = 0, 1 { dend_t[i] { L = 200 diam = 1 } connect dend_t[i](0), soma_t(1) }\n"
    )
    cell = CellModel(hoc, {"all": {"mechanisms": {"pas": {"g": 1e-4, "e": -65.0}}}}, v_init=-65.0)
    result = simulate_cell(cell, [SynapseGroup("x", n_cells=1, density={"dend": 0.1})], duration=20.0)
    assert result.signals[("cell", "v")].values.std() < 1e-6
    assert len(result.tables["synapses"]) > 0


def test_bad_input_messages(demo_cell: CellModel, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="does not exist"):
        simulate_cell(CellModel(tmp_path / "nope.swc", {}), duration=1.0)
    with pytest.raises(SimulationError, match=r"no mechanism 'kdr_missing'"):
        simulate_cell(
            CellModel(demo_cell.morphology, {"soma": {"mechanisms": {"kdr_missing": {}}}}), duration=1.0
        )
    with pytest.raises(SimulationError, match=r"no parameter 'gbar'"):
        simulate_cell(
            CellModel(demo_cell.morphology, {"soma": {"mechanisms": {"pas": {"gbar": 1}}}}), duration=1.0
        )
    with pytest.raises(SimulationError, match="unknown section type 'Spine'"):
        simulate_cell(CellModel(demo_cell.morphology, {"Spine": {}}), duration=1.0)
    with pytest.raises(InputSpecError, match="neither the cell"):
        simulate_cell(demo_cell, [], [PoissonInput("L4", rate=1.0)], duration=1.0)
    with pytest.raises(SimulationError, match="places synapses on 'basal'"):
        simulate_cell(demo_cell, [SynapseGroup("L4", n_cells=1, density={"basal": 0.1})], duration=1.0)
    with pytest.raises(SimulationError, match="no point process 'AmpaNope'"):
        simulate_cell(
            demo_cell,
            [SynapseGroup("L4", n_cells=1, density={"dend": 0.1}, mechanism="AmpaNope", params={})],
            duration=1.0,
        )
