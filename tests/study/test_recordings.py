"""Recordings written by jobs: SONATA files other tools read, and bad input."""

from __future__ import annotations

from pathlib import Path

import libsonata
import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import RecordingError
from neuroloom.study.run import run_folder


def _job(run: nl.study.run.Run) -> int:  # type: ignore[name-defined]
    rng = run.rng()
    n = 20
    ids = rng.integers(0, 5, n)
    times = rng.uniform(0.0, 100.0, n)
    run.record_spikes("exc", ids, times)
    run.record_spikes("inh", [7, 7], [5.0, 2.5])
    v = rng.normal(-65.0, 1.0, (50, 3))
    run.record_signal("exc", "v", [4, 0, 2], 0.5, v, "mV")
    run.save("truth", {"ids": ids.tolist(), "times": times.tolist(), "v": v.tolist()})
    return n


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=3)
    s.params.add("rate", 1.0)
    s.explore(nl.grid(rate=[1.0, 2.0]))
    s.run(_job, backend="serial", progress=False)
    return s


def test_libsonata_reads_spike_and_frame_reports(study: nl.Study) -> None:
    for idx in (0, 1):
        folder = run_folder(study.path, idx)
        truth = study.run_results(idx)["truth"]
        reader = libsonata.SpikeReader(str(folder / "spikes.h5"))
        assert sorted(reader.get_population_names()) == ["exc", "inh"]
        exc = reader["exc"]
        assert exc.sorting == "by_time"
        got = exc.get_dict()
        order = np.lexsort((got["node_ids"], got["timestamps"]))
        want = np.lexsort((truth["ids"], truth["times"]))
        np.testing.assert_allclose(np.asarray(got["timestamps"])[order], np.asarray(truth["times"])[want])
        np.testing.assert_array_equal(np.asarray(got["node_ids"])[order], np.asarray(truth["ids"])[want])
        frames = libsonata.ElementReportReader(str(folder / "report_v.h5"))["exc"]
        assert frames.data_units == "mV"
        assert frames.time_units == "ms"
        assert frames.get_node_ids() == [0, 2, 4]
        data = frames.get()
        v = np.asarray(truth["v"])
        assert np.asarray(data.data).shape == (50, 3)
        np.testing.assert_allclose(np.asarray(data.data), v[:, [1, 2, 0]], rtol=1e-6)
        np.testing.assert_allclose(np.asarray(data.times), np.arange(50) * 0.5)


def test_recordings_reach_the_consolidated_tables(study: nl.Study) -> None:
    spikes = study.filter().spikes()
    assert len(spikes) == 2 * 22
    assert set(spikes["population"]) == {"exc", "inh"}
    assert spikes.groupby("run")["st_rate"].first().tolist() == [1.0, 2.0]
    summary = study.filter(population="exc").signal_summary("v")
    assert len(summary) == 6
    v = np.asarray(study.run_results(1)["truth"]["v"])
    row = summary[(summary["run"] == 1) & (summary["node_id"] == 4)].iloc[0]
    assert row["mean"] == pytest.approx(v[:, 0].mean(), rel=1e-5)
    assert row["unit"] == "mV" and row["dt"] == 0.5 and row["n_frames"] == 50


@pytest.mark.parametrize(
    ("ids", "times", "message"),
    [
        ([1, 2, 3], [1.0, 2.0], "3 node ids but 2 spike times"),
        ([1, 2], [1.0, np.nan], "NaN"),
        ([1, 2], [1.0, -2.0], "negative spike time"),
        ([1.5, 2], [1.0, 2.0], "integers"),
        ([-1, 2], [1.0, 2.0], "negative node id"),
    ],
)
def test_bad_spikes_are_refused(tmp_path: Path, ids: list[float], times: list[float], message: str) -> None:
    s = nl.Study(tmp_path / "s")
    s.params.add("x", 1)
    s.explore(nl.grid(x=[1]))

    def job(run: object) -> None:
        run.record_spikes("exc", ids, times)  # type: ignore[attr-defined]

    with pytest.raises(nl.NeuroloomError, match="failed") as info:
        s.run(job, backend="serial", progress=False)
    assert message in str(info.value)
    assert "run_00000000" in str(info.value)


def _run_in_job(tmp_path: Path, fn: object) -> str:
    s = nl.Study(tmp_path / "s")
    s.params.add("x", 1)
    s.explore(nl.grid(x=[1]))
    with pytest.raises(nl.NeuroloomError) as info:
        s.run(fn, backend="serial", progress=False)  # type: ignore[arg-type]
    return str(info.value)


def test_bad_signals_are_refused(tmp_path: Path) -> None:
    def bad_unit(run: object) -> None:
        run.record_signal("exc", "v", [0], 0.1, np.zeros(10), "millivolt")  # type: ignore[attr-defined]

    assert "unknown unit 'millivolt'" in _run_in_job(tmp_path / "a", bad_unit)

    def bad_shape(run: object) -> None:
        run.record_signal("exc", "v", [0, 1], 0.1, np.zeros((10, 3)), "mV")  # type: ignore[attr-defined]

    assert "(n_times, n_nodes)" in _run_in_job(tmp_path / "b", bad_shape)

    def uneven(run: object) -> None:
        run.record_signal("exc", "v", [0], [0.0, 0.1, 0.3], np.zeros(3), "mV")  # type: ignore[attr-defined]

    assert "not evenly spaced" in _run_in_job(tmp_path / "c", uneven)

    def nan_times(run: object) -> None:
        run.record_signal("exc", "v", [0], [0.0, np.nan], np.zeros(2), "mV")  # type: ignore[attr-defined]

    assert "finite" in _run_in_job(tmp_path / "d", nan_times)

    def twice(run: object) -> None:
        run.record_signal("exc", "v", [0], 0.1, np.zeros(3), "mV")  # type: ignore[attr-defined]
        run.record_signal("exc", "v", [1], 0.1, np.zeros(3), "mV")  # type: ignore[attr-defined]

    assert "already recorded" in _run_in_job(tmp_path / "e", twice)


def test_check_functions_raise_recording_error() -> None:
    from neuroloom.study.recordings import check_name, check_spikes

    with pytest.raises(RecordingError, match="invalid population name"):
        check_name("population", "a/b", "here")
    ids, times = check_spikes(3, [1.0, 2.0], "here")
    assert ids.tolist() == [3, 3] and times.tolist() == [1.0, 2.0]
