"""``neuroloom import-isf``: the manual's numbers, simrun folders checked against the raw CSV files,
damaged input refused with nothing left at DEST."""

from __future__ import annotations

import csv
import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import neuroloom as nl
import neuroloom.analysis as na
import neuroloom.isf as isf
from neuroloom.cli import main
from neuroloom.errors import NeuroloomError
from neuroloom.isf.importer import storable

from .isf_layout import new_db, new_key
from .simrun_raw import raw_counts

MANUAL = {
    "B1": 443, "B2": 212, "B3": 178, "C1": 669, "C2": 840,
    "C3": 553, "D1": 619, "D2": 535, "D3": 150, "E2": 216,
}  # fmt: skip


def _files(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


def _leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.startswith(".tmp-")]


@pytest.fixture(scope="module")
def imported_18k(isf_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("isf") / "st"
    result = CliRunner().invoke(
        main, ["import-isf", str(isf_corpus / "18k_trials"), str(dest), "--allow-pickle"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 18000 runs" in result.output
    printed = re.search(r"\((\d+) files, ([\d,]+) bytes\)", result.output)
    assert printed and int(printed.group(1)) == len(_files(dest))  # what stays on disk
    assert int(printed.group(2).replace(",", "")) == sum(f.stat().st_size for f in _files(dest))
    return dest


def test_manual_table(imported_18k: Path) -> None:
    study = nl.Study(imported_18k)
    overall = study.filter().trials_with_spike(245, 265)
    assert overall[["n_trials", "n_with_spike", "n_without_spike"]].iloc[0].tolist() == [18000, 4415, 13585]
    per = study.filter().trials_with_spike(245, 265, by="st_stim").set_index("st_stim")
    assert per["n_with_spike"].to_dict() == MANUAL
    assert (per["n_trials"] == 1800).all()


def test_18k_keys_runs_and_footprint(imported_18k: Path, isf_corpus: Path) -> None:
    study = nl.Study(imported_18k)
    source = isf.open(isf_corpus / "18k_trials", allow_pickle=True)["spike_times"]
    stored = study["isf", "spike_times"]
    pd.testing.assert_frame_equal(stored, source, check_exact=True)  # object index dtype kept
    meta = study.metadata(("isf", "spike_times"))
    assert meta["codec"] == "parquet"
    assert meta["meta"]["isf"]["dumper"] == "to_cloudpickle"
    runs = study.runs.set_index("sim_trial_index")
    first = source.index[3]
    assert runs.loc[first, ["stim", "trial", "simrun"]].tolist() == ["B1", 3, "20150817-1856_20686"]
    assert runs.loc[first, "condition"] == first.split("/")[0]
    spikes = study.filter(st_sim_trial_index=first).spikes()
    expected = source.loc[first].dropna().to_numpy()
    np.testing.assert_allclose(np.sort(spikes["time"].to_numpy()), np.sort(expected))
    files = _files(imported_18k)
    assert len(files) <= 100
    source_bytes = sum(f.stat().st_size for f in _files(isf_corpus / "18k_trials"))
    assert sum(f.stat().st_size for f in files) <= 2 * source_bytes  # issue 15: at most 2x the source
    codecs = {json.loads(f.read_text())["codec"] for f in files if f.name == "item.json"}
    assert codecs == {"parquet"}  # safe codecs only, never pickle
    assert not [f for f in files if "pickle" in f.name]
    assert not (imported_18k / "runs").joinpath("00000").exists()  # no folder per trial


def test_refuses_pickle_without_flag(isf_corpus: Path, tmp_path: Path) -> None:
    dest = tmp_path / "st"
    result = CliRunner().invoke(main, ["import-isf", str(isf_corpus / "18k_trials"), str(dest)])
    assert result.exit_code == 2
    assert "spike_times" in result.output and "allow" in result.output.lower()
    assert not dest.exists() and not _leftovers(tmp_path)


def test_refuses_existing_dest(isf_corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "st").mkdir()
    (tmp_path / "st" / "keep.txt").write_text("mine")
    with pytest.raises(NeuroloomError, match="not empty"):
        isf.import_(isf_corpus / "18k_trials", tmp_path / "st", allow_pickle=True)
    assert (tmp_path / "st" / "keep.txt").read_text() == "mine"


# ------------------------------------------------------------------ simrun
def _raw_trace(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path) as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    data = np.array([[float(x) for x in r] for r in rows])
    return data[:, 0], data[:, 1:]


@pytest.fixture(scope="module")
def simrun_study(isf_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    dest = tmp_path_factory.mktemp("simrun") / "study"
    result = CliRunner().invoke(main, ["import-isf", str(isf_corpus), str(dest)])
    assert result.exit_code == 0, result.output
    return nl.Study(dest)


def test_simrun_runs_and_spikes(simrun_study: nl.Study, simrun_folder: Path) -> None:
    runs = simrun_study.runs.sort_values("trial")
    assert runs["sim_trial_index"].tolist() == isf.trial_ids(simrun_folder)
    assert set(runs["simrun"]) == {"20150815-1530_20240"}
    assert runs["trial"].tolist() == list(range(6))
    t, v = _raw_trace(simrun_folder / "20240_vm_all_traces.csv")
    spikes = simrun_study.view.spikes()
    for trial in range(6):
        up = np.flatnonzero((v[:-1, trial] < 0.0) & (v[1:, trial] >= 0.0)) + 1
        got = np.sort(spikes.loc[spikes["st_trial"] == trial, "time"].to_numpy())
        np.testing.assert_allclose(got, t[up])
    assert len(spikes) > 0


def test_simrun_signals_and_sites(simrun_study: nl.Study, simrun_folder: Path) -> None:
    t, v = _raw_trace(simrun_folder / "20240_vm_all_traces.csv")
    traces = simrun_study.view.signals("cell", "v")
    run_of = dict(zip(simrun_study.runs["trial"], simrun_study.runs.index))
    for trial in range(6):
        row = traces.loc[(run_of[trial], 0)]
        np.testing.assert_array_equal(row.to_numpy(), v[:, trial])
    np.testing.assert_allclose(traces.columns.to_numpy(dtype=float), t, atol=1e-9)
    sites = simrun_study["isf", "recording_sites"].set_index("site_id")
    assert sites.loc[0, ["section", "segment", "x", "soma_distance"]].tolist() == [38, 32, 0.929, 920.7]
    raw_file = next(simrun_folder.glob("*_ID_001_*_vm_dend_traces.csv"))
    _t, dend = _raw_trace(raw_file)
    got = simrun_study.view.signals("cell", sites.loc[1, "variable"])
    np.testing.assert_array_equal(got.to_numpy(), dend.T)


@pytest.mark.parametrize(
    ("table", "pattern", "type_column"),
    [
        ("synapse_activation", "simulation_run{:04d}_synapses.csv", "synapse_type"),
        ("cell_activation", "simulation_run{:04d}_presynaptic_cells.csv", "presynaptic_cell_type"),
    ],
)
def test_simrun_activation_tables(
    simrun_study: nl.Study, simrun_folder: Path, table: str, pattern: str, type_column: str
) -> None:
    frame = simrun_study.view.table(table)
    for trial in range(6):
        raw = raw_counts(simrun_folder / pattern.format(trial))
        got = frame[frame["st_trial"] == trial].groupby(type_column).size().to_dict()
        assert got == dict(raw)
    assert frame["run"].nunique() == 6


def test_synapse_binning_on_imported_table(simrun_study: nl.Study) -> None:
    acts = simrun_study.view.table("synapse_activation")
    binned = na.synapse_activation_binning(acts, 0.0, 400.0, 100.0, by="synapse_type", per="run")
    inside = acts[(acts["time"] >= 0.0) & (acts["time"] < 400.0)]
    totals = binned.sum(axis=1).groupby(level="run").sum()
    assert totals.to_dict() == inside.groupby("run").size().to_dict()
    assert totals.sum() > 0


def test_simrun_param_files_stored_once(simrun_study: nl.Study, simrun_folder: Path) -> None:
    runs = simrun_study.runs
    assert runs["network_model_param"].nunique() == 1 and runs["neuron_model_param"].nunique() == 1
    digest = runs["network_model_param"].iloc[0]
    text = (simrun_folder / "20240_network_model.param").read_text()
    assert simrun_study["isf", "param_files", digest] == text
    neuron = simrun_study["isf", "param_files", runs["neuron_model_param"].iloc[0]]
    assert neuron == (simrun_folder / "20240_neuron_model.param").read_text()


def test_simrun_threshold_option(isf_corpus: Path, simrun_folder: Path, tmp_path: Path) -> None:
    study = isf.import_(simrun_folder.parent, tmp_path / "high", threshold=20.0)
    _t, v = _raw_trace(simrun_folder / "20240_vm_all_traces.csv")
    expected = int(((v[:-1] < 20.0) & (v[1:] >= 20.0)).sum())
    assert len(study.view.spikes()) == expected


# ---------------------------------------------------------------- bad input
def _copy_simrun(simrun_folder: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "src" / simrun_folder.parent.name / simrun_folder.name
    shutil.copytree(simrun_folder, dest)
    for path in dest.iterdir():
        path.chmod(0o644)
    return dest


def test_simrun_missing_synapse_file(simrun_folder: Path, tmp_path: Path) -> None:
    copy = _copy_simrun(simrun_folder, tmp_path)
    (copy / "simulation_run0002_synapses.csv").unlink()
    with pytest.raises(isf.SimrunError, match=r"trial 000002.*simulation_run0002_synapses\.csv"):
        isf.import_(tmp_path / "src", tmp_path / "dest")
    assert not (tmp_path / "dest").exists() and not _leftovers(tmp_path)


def test_simrun_ragged_csv(simrun_folder: Path, tmp_path: Path) -> None:
    copy = _copy_simrun(simrun_folder, tmp_path)
    path = copy / "simulation_run0004_presynaptic_cells.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].split("\t")[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(isf.SimrunError, match=r"simulation_run0004_presynaptic_cells\.csv.*trial"):
        isf.import_(tmp_path / "src", tmp_path / "dest")
    assert not (tmp_path / "dest").exists() and not _leftovers(tmp_path)


def _copy_db(isf_corpus: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "db"
    shutil.copytree(isf_corpus / "18k_trials", dest)
    for path in dest.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


@pytest.mark.parametrize("damage", ["no_loader", "truncated", "unknown_dumper"])
def test_damaged_database(isf_corpus: Path, tmp_path: Path, damage: str) -> None:
    db = _copy_db(isf_corpus, tmp_path)
    key = db / "spike_times"
    if damage == "no_loader":
        (key / "Loader.json").unlink()
        pattern = r"spike_times.*Loader\.json"
    elif damage == "truncated":
        dump = key / "to_pickle_dump"
        dump.write_bytes(dump.read_bytes()[:1000])
        pattern = r"spike_times.*spike_times/to_pickle_dump is damaged or truncated"
    else:
        (key / "Loader.json").write_text('{"Loader": "data_base.IO.LoaderDumper.no_such_dumper"}')
        pattern = r"spike_times.*no_such_dumper"
    result = CliRunner().invoke(main, ["import-isf", str(db), str(tmp_path / "dest"), "--allow-pickle"])
    assert result.exit_code == 2, result.output
    assert re.search(pattern, result.output, re.S), result.output
    assert not (tmp_path / "dest").exists() and not _leftovers(tmp_path)


def test_not_isf_input(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(NeuroloomError, match="neither an ISF database"):
        isf.import_(tmp_path / "empty", tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_voltage_traces_database(isf_corpus: Path, tmp_path: Path) -> None:
    study = isf.import_(isf_corpus / "voltage_traces", tmp_path / "vt", allow_pickle=True)
    source = isf.open(isf_corpus / "voltage_traces", allow_pickle=True)
    for key in source:
        t, v = source[key]
        stored = study["isf", key]
        np.testing.assert_array_equal(stored, np.stack([t, v]))
        assert stored.dtype == np.asarray(t).dtype == np.asarray(v).dtype
        meta = study.metadata(("isf", key))
        assert meta["codec"] == "npy"
        assert meta["meta"]["isf_conversion"] == {"converted": "tuple of 2 arrays -> rows"}
    assert study.catalog.count() == 0


def test_arrays_of_different_dtypes_keep_them() -> None:
    t, n = np.arange(3.0), np.arange(3, dtype=np.int32)
    stored, note = storable(("k",), (t, n))
    assert note == {"converted": "tuple of 2 arrays -> columns 0..1"}
    assert stored[0].dtype == t.dtype and stored[1].dtype == n.dtype
    np.testing.assert_array_equal(stored[1].to_numpy(), n)


def test_nested_database_folders_and_frames(tmp_path: Path) -> None:
    db = new_db(tmp_path / "db")
    folder = new_key(db, "files", "just_create_folder")
    (folder / "cell.hoc").write_text("x")
    (folder / "sub").mkdir()
    (folder / "sub" / "a.txt").write_text("y")
    inner = new_db(new_key(db, "sub", "just_create_isf_db") / "db")
    np.save(new_key(inner, "arr", "numpy_to_npy") / "np.npy", np.arange(3))
    frame = pd.DataFrame({0: [1.0, 2.0], "b": ["p", "q"]})
    frame.to_pickle(new_key(inner, "frame", "pandas_to_pickle") / "pandas_to_pickle.pickle")
    (new_key(db, "d", "to_cloudpickle") / "to_pickle_dump").write_bytes(pickle.dumps({"a": [1, 2], "b": "c"}))
    with pytest.raises(NeuroloomError, match=r"'d'.*to_cloudpickle.*--allow-pickle"):
        isf.import_(db, tmp_path / "refused")  # a pickled key without allow_pickle
    assert not (tmp_path / "refused").exists()
    study = isf.import_(db, tmp_path / "st", allow_pickle=True)
    assert (study.folder(("isf", "files")) / "cell.hoc").read_text() == "x"
    assert (study.folder(("isf", "files")) / "sub" / "a.txt").read_text() == "y"
    np.testing.assert_array_equal(study["isf", "sub", "arr"], np.arange(3))
    pd.testing.assert_frame_equal(study["isf", "sub", "frame"], frame)
    assert study["isf", "d"] == {"a": [1, 2], "b": "c"}
    assert study.metadata(("isf", "sub", "frame"))["meta"]["isf"]["dumper"] == "pandas_to_pickle"
    assert study.catalog.count() == 0


def test_many_simrun_folders_found_recursively(simrun_folder: Path, tmp_path: Path) -> None:
    first = _copy_simrun(simrun_folder, tmp_path)
    second = tmp_path / "src" / "deeper" / "D1_evoked" / "20160101-0000_1"
    shutil.copytree(first, second)
    study = isf.import_(tmp_path / "src", tmp_path / "dest")
    runs = study.runs
    assert len(runs) == 12
    assert set(runs["condition"]) == {simrun_folder.parent.name, "D1_evoked"}
    assert sorted(p.name for p in (tmp_path / "dest" / "runs" / "batches").iterdir()) == [
        "b-000001",
        "b-000002",
    ]
    counts = study.view.table("cell_activation").groupby("st_simrun").size()
    assert counts.iloc[0] == counts.iloc[1] > 0
    assert len(study["isf", "recording_sites"]) == 4
