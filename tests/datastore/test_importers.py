"""Importing SONATA reports (written by bmtk) and ISF-style wide spike tables as runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.errors import ParameterError, RecordingError
from neuroloom.sonata.reports import FrameReport, write_frame_report


def _bmtk_spikes(path: Path, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from bmtk.utils.reports.spike_trains import SpikeTrains

    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 10, 30)
    times = np.round(rng.uniform(0, 500, 30), 3)
    trains = SpikeTrains(default_population="v1")
    trains.add_spikes(node_ids=ids, timestamps=times, population="v1")
    trains.to_sonata(str(path))
    return ids, times


def test_import_bmtk_spike_reports_and_frame_reports(tmp_path: Path) -> None:
    s = nl.Study(tmp_path / "s")
    truth = {}
    runs = []
    for k, contrast in enumerate([0.2, 0.8]):
        spikes = tmp_path / f"spikes_{k}.h5"
        truth[contrast] = _bmtk_spikes(spikes, k)
        data = np.arange(40.0).reshape(10, 4) + k
        frames = tmp_path / f"v_{k}.h5"
        write_frame_report(
            frames,
            {
                "v1": FrameReport(
                    [5, 6],
                    data,
                    (0.0, 1.0, 0.1),
                    element_ids=[0, 1, 0, 1],
                    index_pointers=[0, 2, 4],
                    units="mV",
                )
            },
        )
        runs.append(({"contrast": contrast}, spikes, {"v": frames}))
    indices = s.import_reports(runs)
    assert indices == [0, 1]
    assert s.import_reports(runs) == [0, 1]  # same points: no new runs
    assert len(s.runs) == 2 and set(s.runs["status"]) == {"done"}
    got = s.filter(st_contrast=0.8).spikes()
    ids, times = truth[0.8]
    # the same (node id, time) pairs, not only the same times
    want = np.lexsort((times, ids))
    have = np.lexsort((got["time"].to_numpy(), got["node_id"].to_numpy()))
    np.testing.assert_array_equal(got["node_id"].to_numpy()[have], ids[want])
    np.testing.assert_allclose(got["time"].to_numpy()[have], times[want])
    assert set(got["population"].astype(str)) == {"v1"}
    pv = s.filter(st_contrast=0.2).population("v1")
    np.testing.assert_allclose(pv.signal("v", 6), np.arange(40.0).reshape(10, 4)[:, 2])
    assert pv.signal_ids("v").tolist() == [5, 6]


def test_import_one_spike_report_and_errors(tmp_path: Path) -> None:
    s = nl.Study(tmp_path / "s")
    report = tmp_path / "a.h5"
    _bmtk_spikes(report, 3)
    idx = s.import_spikes(report, {"contrast": 1})
    assert s.runs.loc[idx, "contrast"] == 1
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not hdf5 at all")
    with pytest.raises(RecordingError, match=r"broken\.h5"):
        s.import_spikes(broken, {"contrast": 2})
    with pytest.raises(RecordingError, match="no such report"):
        s.import_spikes(tmp_path / "missing.h5", {"contrast": 3})
    with pytest.raises(ParameterError, match="locked"):
        s.import_spikes(report, {"other": 3})


def test_import_isf_wide_table(tmp_path: Path) -> None:
    index = [f"{stim}_evoked/2015/{i:06d}" for stim in ("B1", "C2") for i in range(3)]
    st = pd.DataFrame(
        [
            [173.6, 214.4, np.nan],
            [np.nan] * 3,
            [247.3, 265.7, np.nan],
            [181.6, 257.0, 260.0],
            [250.0, np.nan, np.nan],
            [np.nan] * 3,
        ],
        index=index,
    )
    st["stim"] = st.index.str.split("_").str[0]
    s = nl.Study(tmp_path / "isf")
    runs = s.import_spike_table(st)
    assert len(runs) == 6
    assert sorted(s.runs["trial"]) == sorted(index)
    table = s.filter().trials_with_spike(245, 265, by="st_stim")
    assert table.set_index("st_stim")["n_with_spike"].to_dict() == {"B1": 1, "C2": 2}
    assert table["n_trials"].tolist() == [3, 3]
    bad = st.copy()
    bad.iloc[0, 0] = -1.0
    with pytest.raises(RecordingError, match="negative spike time"):
        nl.Study(tmp_path / "bad").import_spike_table(bad)


def test_isf_table_into_study_with_int_trial(tmp_path: Path) -> None:
    """Issue 13: an ISF table into a study whose ``trial`` is an int; a numeric ``trial`` column
    is a parameter, not spike times."""
    index = pd.Index([f"C2_evoked/2015/{i:06d}" for i in range(4)], name="sim_trail_index")
    st = pd.DataFrame([[250.0, np.nan], [np.nan, np.nan], [10.0, 251.0], [300.0, np.nan]], index=index)
    st["stim"] = "C2"
    st["trial"] = [0, 1, 2, 3]
    s = nl.Study(tmp_path / "isf")
    s.params.add("trial", 0)
    s.import_spike_table(st)
    runs = s.runs.sort_values("trial")
    assert runs["trial"].tolist() == [0, 1, 2, 3]
    assert runs["sim_trial_index"].tolist() == list(index)
    spikes = s.view.spikes()
    assert sorted(spikes["time"]) == [10.0, 250.0, 251.0, 300.0]  # the trial column is no spike time
    table = s.filter().trials_with_spike(245, 265)
    assert table["n_with_spike"].tolist() == [2]
    assert table["n_trials"].tolist() == [4]
    assert not list((tmp_path / "isf" / "runs").glob("0*"))  # one batch, no folder per trial


def test_numeric_columns_without_numbered_labels(tmp_path: Path) -> None:
    st = pd.DataFrame({"t0": [1.0, 2.0], "t1": [np.nan, 3.0], "trial": [7, 8]})
    s = nl.Study(tmp_path / "plain")
    s.import_spike_table(st)
    assert sorted(s.runs["trial"]) == [7, 8]
    assert sorted(s.view.spikes()["time"]) == [1.0, 2.0, 3.0]


def test_merge_studies_with_run_batches(tmp_path: Path) -> None:
    from neuroloom.datastore.merge import merge

    def table(stim: str, first: float) -> pd.DataFrame:
        index = pd.Index([f"{stim}_x/sim/{i:06d}" for i in range(3)], name="sim_trail_index")
        frame = pd.DataFrame([[first, np.nan], [np.nan, np.nan], [250.0, 251.0]], index=index)
        frame["stim"] = stim
        return frame

    a, b = nl.Study(tmp_path / "a", seed=7), nl.Study(tmp_path / "b", seed=7)
    for s in (a, b):
        s.params.add("sim_trial_index", "")
        s.params.add("stim", "")
    a.import_spike_table(table("B1", 10.0))
    b.import_spike_table(table("C2", 20.0))
    b.import_spike_table(pd.concat([table("C2", 20.0).iloc[:1].rename(index=lambda s: s + "9")]))
    merged = merge(a, b, into=tmp_path / "m")
    spikes = merged.view.spikes()
    got = spikes.groupby("st_sim_trial_index")["time"].apply(sorted).to_dict()
    assert got == {
        "B1_x/sim/000000": [10.0], "B1_x/sim/000002": [250.0, 251.0],
        "C2_x/sim/000000": [20.0], "C2_x/sim/000002": [250.0, 251.0], "C2_x/sim/0000009": [20.0],
    }  # fmt: skip
    per = merged.filter().trials_with_spike(245, 265, by="st_stim").set_index("st_stim")
    assert per["n_trials"].to_dict() == {"B1": 3, "C2": 4}
    assert sorted(p.name for p in (tmp_path / "m" / "runs" / "batches").iterdir()) == [
        "b-000001", "b-000002", "b-000003",
    ]  # fmt: skip


@pytest.mark.parametrize("existing", [False, True])
def test_a_bad_report_in_a_batch_imports_nothing(tmp_path: Path, existing: bool) -> None:
    """S6: one unreadable report leaves no half-import: no pending runs, folders, parameters."""
    s = nl.Study(tmp_path / "s")
    if existing:
        s.import_spikes(_bmtk_report(tmp_path / "first.h5", 9), {"contrast": 0.1})
    before_runs = s.runs.copy()
    before_params = s.params.values()
    before_explorations = len(s.explorations)
    before_folders = sorted(p.name for p in (s.path / "runs").rglob("run_*"))
    broken = tmp_path / "broken.h5"
    broken.write_bytes(b"not hdf5 at all")
    extra = {} if existing else {"size": 3}  # a new parameter only while the tree is unlocked
    batch = [
        ({"contrast": 0.2, **extra}, _bmtk_report(tmp_path / "a.h5", 1), {}),
        ({"contrast": 0.4, **extra}, _bmtk_report(tmp_path / "b.h5", 2), {}),
        ({"contrast": 0.8, **extra}, broken, {}),
    ]
    with pytest.raises(RecordingError, match=r"broken\.h5"):
        s.import_reports(batch)
    for study in (s, nl.Study(s.path)):  # in memory and on disk
        pd.testing.assert_frame_equal(study.runs, before_runs)
        assert study.params.values() == before_params
        assert len(study.explorations) == before_explorations
    assert sorted(p.name for p in (s.path / "runs").rglob("run_*")) == before_folders
    assert s.catalog.counts()["pending"] == 0
    # the batch without the broken report then imports as usual
    assert len(s.import_reports(batch[:2])) == 2
    assert sorted(s.runs["status"]) == ["done"] * (3 if existing else 2)
    executed: list[int] = []
    s.run(lambda run: executed.append(run.index), backend="serial", progress=False)
    assert executed == []


def _bmtk_report(path: Path, seed: int) -> Path:
    _bmtk_spikes(path, seed)
    return path


def test_isf_table_trial_labels_and_column(tmp_path: Path) -> None:
    """Issue 13: a study with an int ``trial`` parameter imports ISF row labels (kept as the text
    parameter ``sim_trial_index``, ``trial`` keeps its value), and a numeric ``trial`` column is a
    parameter, never spike times."""
    times = pd.DataFrame({"0": [250.5, 12.0], "1": [255.0, np.nan]})
    s = nl.Study(tmp_path / "int")
    s.params["trial"] = 0
    s.import_spike_table(times.set_axis(["sim0", "sim1"]))
    assert sorted(s.runs["sim_trial_index"]) == ["sim0", "sim1"]
    assert "trial" not in s.runs.columns and s.params.values()["trial"] == 0  # not explored: kept
    column = nl.Study(tmp_path / "column")
    column.import_spike_table(times.assign(trial=[7, 8]))
    assert sorted(column.runs["trial"]) == [7, 8]
    spikes = column.filter().spikes()
    assert sorted(spikes["time"]) == [12.0, 250.5, 255.0]  # 7 and 8 are not spike times
