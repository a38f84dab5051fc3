"""Spike and frame reports: libsonata reads what we write; we read bmtk's spikes."""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest

from neuroloom.errors import SonataFormatError, UnknownPopulationError
from neuroloom.sonata import (
    FrameReport,
    read_frame_report,
    read_spikes,
    spike_sorting,
    write_frame_report,
    write_spikes,
)


def test_spikes_round_trip_and_libsonata(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 100, 500)
    times = rng.uniform(0, 1000, 500)
    path = write_spikes(tmp_path / "spikes.h5", {"v1": (ids, times), "lgn": ([1, 2], [5.0, 1.0])})
    frame = read_spikes(path)
    assert list(frame.columns) == ["population", "node_id", "timestamp"]
    v1 = frame[frame.population == "v1"]
    assert sorted(zip(v1.node_id, v1.timestamp)) == sorted(zip(ids.tolist(), times.tolist()))
    assert np.all(np.diff(v1.timestamp.to_numpy()) >= 0)
    reader = libsonata.SpikeReader(str(path))
    assert sorted(reader.get_population_names()) == ["lgn", "v1"]
    lib = reader["v1"]
    assert lib.sorting == "by_time"
    got = lib.get()
    assert sorted(got) == sorted(zip(ids.tolist(), times.tolist()))
    assert spike_sorting(path, "v1") == "by_time"
    with h5py.File(path) as fh:
        assert h5py.check_enum_dtype(fh["spikes/v1"].attrs.get_id("sorting").dtype) is not None
        assert fh["spikes/v1/timestamps"].attrs["units"] == "ms"


def test_spikes_by_id_and_errors(tmp_path: Path) -> None:
    path = write_spikes(tmp_path / "s.h5", {"p": ([3, 1, 2], [1.0, 2.0, 3.0])}, sorting="by_id")
    assert libsonata.SpikeReader(str(path))["p"].sorting == "by_id"
    assert read_spikes(path).node_id.tolist() == [1, 2, 3]
    with pytest.raises(SonataFormatError, match="2 times"):
        write_spikes(tmp_path / "bad.h5", {"p": ([1, 2, 3], [1.0, 2.0])})
    with pytest.raises(UnknownPopulationError):
        read_spikes(path, "nope")
    assert not (tmp_path / "bad.h5").exists()


def test_read_bmtk_spikes(tmp_path: Path) -> None:
    from bmtk.utils.reports.spike_trains import SpikeTrains

    trains = SpikeTrains(population="v1")
    trains.add_spikes(node_ids=[0, 0, 3], timestamps=[10.0, 20.0, 5.0])
    trains.to_sonata(str(tmp_path / "bmtk_spikes.h5"))
    frame = read_spikes(tmp_path / "bmtk_spikes.h5")
    assert sorted(zip(frame.node_id, frame.timestamp)) == [(0, 10.0), (0, 20.0), (3, 5.0)]


def test_frame_report_round_trip_and_libsonata(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = rng.normal(size=(20, 5)).astype(np.float32)
    report = FrameReport(
        node_ids=[4, 7, 9],
        data=data,
        times=(0.0, 2.0, 0.1),
        element_ids=[0, 1, 0, 1, 2],
        index_pointers=[0, 2, 3, 5],
    )
    path = write_frame_report(tmp_path / "v.h5", {"v1": report})
    back = read_frame_report(path)
    np.testing.assert_array_equal(back.data, data)
    assert back.node_ids.tolist() == [4, 7, 9]
    assert back.units == "mV"
    part = read_frame_report(path, "v1", node_ids=[7, 9])
    np.testing.assert_array_equal(part.data, data[:, 2:])
    frame = back.to_frame()
    assert frame.shape == (20, 5) and frame.columns[2] == (7, 0)
    lib = libsonata.ElementReportReader(str(path))["v1"]
    assert sorted(lib.get_node_ids()) == [4, 7, 9]
    got = lib.get(node_ids=[7])
    np.testing.assert_allclose(np.asarray(got.data)[:, 0], data[:, 2])


def test_frame_report_validation() -> None:
    with pytest.raises(SonataFormatError, match="index_pointers"):
        FrameReport(node_ids=[1, 2], data=np.zeros((3, 3)), times=(0, 1, 0.5))


def test_bmtk_reads_our_spikes(tmp_path: Path) -> None:
    from bmtk.utils.reports.spike_trains import SpikeTrains

    path = write_spikes(tmp_path / "ours.h5", {"v1": ([5, 2, 5], [3.0, 1.0, 7.5])})
    trains = SpikeTrains.load(str(path))
    frame = trains.to_dataframe()
    assert sorted(zip(frame["node_ids"], frame["timestamps"])) == [(2, 1.0), (5, 3.0), (5, 7.5)]
