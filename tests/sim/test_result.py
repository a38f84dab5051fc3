"""SimulationResult: tables, rates, and recording into a run-like object."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuroloom.errors import RunFailedError, SimulationError
from neuroloom.sim.result import Signal, SimulationResult, spike_table
from neuroloom.sonata.reports import spike_populations


def _result() -> SimulationResult:
    spikes = spike_table(
        np.array(["exc", "exc", "inh", "exc"]), np.array([1, 0, 0, 1]), np.array([5.0, 2.0, 3.0, 1.0])
    )
    v = Signal(np.array([0, 3]), np.arange(4) * 0.5, np.arange(8.0).reshape(4, 2), "mV")
    irregular = Signal(np.array([1]), np.array([0.0, 1.0, 3.0]), np.zeros((3, 1)), "nA")
    return SimulationResult(
        spikes,
        {("exc", "v"): v, ("inh", "i_syn"): irregular},
        sizes={"exc": 4, "inh": 1, "silent": 2},
        duration=1000.0,
        dt=0.1,
        simulator="test",
    )


def test_spike_table_sorted_with_dtypes() -> None:
    table = _result().spikes
    assert list(table.columns) == ["population", "node_id", "time"]
    assert table["node_id"].dtype == np.int64 and table["time"].dtype == np.float64
    assert table["time"].tolist() == [1.0, 2.0, 5.0, 3.0]


def test_rates_count_silent_neurons() -> None:
    result = _result()
    assert result.rate("exc") == pytest.approx(3 / 4 / 1.0)
    assert result.rate("silent") == 0.0
    assert result.rate("exc", start=1.5, stop=3.0) == pytest.approx(1 / 4 / 0.0015)
    with pytest.raises(SimulationError, match="not simulated"):
        result.rate("nope")
    assert result.summary()["spikes"].tolist() == [3, 1, 0]


def test_record_writes_every_population_and_signal(tmp_path: Path) -> None:
    """Recorded through the real ``Run`` of a study (which checks what it is given), read back from disk."""
    import neuroloom as nl
    from neuroloom.sonata.reports import read_frame_report, read_spikes
    from neuroloom.study.run import run_folder

    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("x", 0)
    study.explore(nl.grid(x=[0]))
    result = _result()
    irregular = result.signals[("inh", "i_syn")]
    with pytest.raises(RunFailedError, match=r"record_signal\('inh', 'i_syn'\): times are not evenly spaced"):
        study.run(lambda run: result.record(run), backend="serial", progress=False)
    result.signals[("inh", "i_syn")] = Signal(irregular.node_ids, np.arange(3.0), irregular.values, "nA")
    study.run(lambda run: result.record(run), backend="serial", progress=False, retry_failed=True)
    assert study.runs["status"].tolist() == ["done"]
    folder = run_folder(study.path, 0)
    spikes = read_spikes(folder / "spikes.h5")
    exc = spikes[spikes["population"] == "exc"].sort_values("timestamp")
    assert exc["node_id"].tolist() == [1, 0, 1] and exc["timestamp"].tolist() == [1.0, 2.0, 5.0]
    assert set(spikes["population"]) == {"exc", "inh"}
    assert "silent" in spike_populations(folder / "spikes.h5")  # an empty train is recorded too
    v = read_frame_report(folder / "report_v.h5", "exc")
    assert v.node_ids.tolist() == [0, 3] and v.data.shape == (4, 2) and v.units == "mV"
    assert v.times[2] == pytest.approx(0.5)
    i_syn = read_frame_report(folder / "report_i_syn.h5", "inh")
    assert i_syn.node_ids.tolist() == [1] and i_syn.data.shape == (3, 1)


def test_signal_shape_checked() -> None:
    with pytest.raises(SimulationError, match="expected"):
        Signal(np.array([0]), np.arange(3.0), np.zeros((2, 1)), "mV")
    frame = _result().signals[("exc", "v")].to_frame()
    assert list(frame.columns) == [0, 3] and frame.index.name == "time"
