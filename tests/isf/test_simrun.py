"""Simrun folder parsing, checked against values computed here from the raw CSV files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom.isf as isf
from neuroloom.isf import SimrunError

from .simrun_raw import raw_counts

CONDITION = "C2_evoked_UpState_INH_PW_1.0_SuW_0.5_C2center"


def _raw_spikes(path: Path, column: int, threshold: float = 0.0) -> list[float]:
    with open(path) as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    t = [float(r[0]) for r in rows]
    v = [float(r[column]) for r in rows]
    return [t[i] for i in range(1, len(t)) if v[i - 1] < threshold <= v[i]]


def test_found_recursively_and_trial_ids(isf_corpus: Path, simrun_folder: Path) -> None:
    assert isf.find_simrun_folders(isf_corpus) == [simrun_folder]
    ids = isf.trial_ids(simrun_folder)
    assert ids == [f"{CONDITION}/20150815-1530_20240/{n:06d}" for n in range(6)]


def test_parse_trial_id(simrun_folder: Path) -> None:
    first = isf.parse_trial_id(isf.trial_ids(simrun_folder)[3])
    assert first == {"condition": CONDITION, "simrun": "20150815-1530_20240", "trial": 3}
    with pytest.raises(SimrunError, match="not an ISF sim_trial_index"):
        isf.parse_trial_id("no-trial-here")


def test_soma_vm_and_spikes(simrun_folder: Path) -> None:
    vm = isf.read_soma_vm(simrun_folder)
    assert vm.shape[0] == 6 and vm.index.name == "sim_trial_index"
    spikes = isf.detect_spikes(vm)
    raw_file = simrun_folder / "20240_vm_all_traces.csv"
    for column, trial in enumerate(vm.index, start=1):
        expected = _raw_spikes(raw_file, column)
        got = spikes.loc[spikes.sim_trial_index == trial, "time"].tolist()
        assert got == pytest.approx(expected)
    assert len(spikes) == sum(len(_raw_spikes(raw_file, c)) for c in range(1, 7)) > 0
    high = isf.detect_spikes(vm, threshold=20.0)
    assert len(high) == sum(len(_raw_spikes(raw_file, c, 20.0)) for c in range(1, 7))


def test_dendritic_sites(simrun_folder: Path) -> None:
    sites = isf.recording_sites(simrun_folder)
    first = sites.loc["apical_proximal_distal_rec_sites_ID_000_sec_038_seg_032_x_0.929_somaDist_920.7"]
    assert (first.section, first.segment, first.x, first.soma_distance) == (38, 32, 0.929, 920.7)
    assert len(sites) == 2
    dend = isf.read_dendritic_vm(simrun_folder, sites.index[1])
    raw = pd.read_csv(sites.iloc[1].file, sep="\t")
    np.testing.assert_allclose(dend.to_numpy(), raw.iloc[:, 1:].to_numpy().T)
    np.testing.assert_allclose(dend.columns.to_numpy(dtype=float), raw["t"].to_numpy())


@pytest.mark.parametrize(
    ("reader", "pattern", "type_column"),
    [
        (isf.read_synapse_activation, "simulation_run{:04d}_synapses.csv", "synapse_type"),
        (isf.read_cell_activation, "simulation_run{:04d}_presynaptic_cells.csv", "presynaptic_cell_type"),
    ],
)
def test_activation_counts_per_run_and_type(
    simrun_folder: Path, reader: object, pattern: str, type_column: str
) -> None:
    table = reader(simrun_folder)  # type: ignore[operator]
    for number, trial in enumerate(isf.trial_ids(simrun_folder)):
        expected = raw_counts(simrun_folder / pattern.format(number))
        got = table[table.sim_trial_index == trial].groupby(type_column).size().to_dict()
        assert got == dict(expected)


def test_synapse_columns(simrun_folder: Path) -> None:
    table = isf.read_synapse_activation(simrun_folder)
    assert list(table.columns) == [
        "sim_trial_index",
        "synapse_type",
        "synapse_ID",
        "soma_distance",
        "section_ID",
        "section_pt_ID",
        "dendrite_label",
        "time",
    ]
    first = table.iloc[0]
    assert (first.synapse_type, first.synapse_ID, first.section_ID, first.section_pt_ID) == (
        "L1_C1",
        19,
        50,
        80,
    )
    assert first.soma_distance == pytest.approx(1539.71545505)
    assert first.time == pytest.approx(14.3144635349)


def test_param_files(simrun_folder: Path) -> None:
    import hashlib

    params = isf.read_param_files(simrun_folder)
    assert sorted(params.index) == ["20240_network_model.param", "20240_neuron_model.param"]
    raw = (simrun_folder / "20240_neuron_model.param").read_bytes()
    row = params.loc["20240_neuron_model.param"]
    assert row.kind == "neuron_model" and row.sha256 == hashlib.sha256(raw).hexdigest()
    assert row.content == raw.decode()


@pytest.fixture
def copy(simrun_folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / CONDITION / simrun_folder.name
    shutil.copytree(simrun_folder, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def test_trial_missing_its_synapse_file(copy: Path) -> None:
    (copy / "simulation_run0003_synapses.csv").unlink()
    with pytest.raises(
        SimrunError,
        match=r"trial 000003 has simulation_run0003_presynaptic_cells.csv but no "
        r"simulation_run0003_synapses.csv",
    ):
        isf.read_synapse_activation(copy)


def test_ragged_csv(copy: Path) -> None:
    path = copy / "simulation_run0002_synapses.csv"
    lines = path.read_text().splitlines()
    lines[5] = "\t".join(lines[5].split("\t")[:4])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        SimrunError, match=r"simulation_run0002_synapses.csv \(trial .*/000002\): data line 5"
    ):
        isf.read_synapse_activation(copy)


def test_ragged_trace_file(copy: Path) -> None:
    path = copy / "20240_vm_all_traces.csv"
    lines = path.read_text().splitlines()
    lines[10] = "\t".join(lines[10].split("\t")[:3])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SimrunError, match=r"20240_vm_all_traces.csv"):
        isf.read_soma_vm(copy)
