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
    """Issue 13: an int ``trial`` parameter takes whole-number labels, refuses others saying what to
    do, and a numeric ``trial`` column is a parameter, never spike times."""
    times = pd.DataFrame({"0": [250.5, 12.0], "1": [255.0, np.nan]})
    s = nl.Study(tmp_path / "int")
    s.params["trial"] = 0
    with pytest.raises(RecordingError, match=r"row label 'sim0'.*int.*reset_index"):
        s.import_spike_table(times.set_axis(["sim0", "sim1"]))
    assert len(s.runs) == 0
    s.import_spike_table(times.set_axis([3, 4]))
    assert sorted(s.runs["trial"]) == [3, 4]
    column = nl.Study(tmp_path / "column")
    column.import_spike_table(times.assign(trial=[7, 8]))
    assert sorted(column.runs["trial"]) == [7, 8]
    spikes = column.filter().spikes()
    assert sorted(spikes["time"]) == [12.0, 250.5, 255.0]  # 7 and 8 are not spike times
