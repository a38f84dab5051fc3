"""SimulationResult: tables, rates, and recording into a run-like object."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neuroloom.errors import SimulationError
from neuroloom.sim.result import Signal, SimulationResult, spike_table


class TinyRun:
    """A minimal run that keeps what it is given (the real Run comes with the study layer)."""

    def __init__(self) -> None:
        self.spikes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.sizes: dict[str, int | None] = {}
        self.signals: dict[tuple[str, str], tuple[Any, ...]] = {}

    def record_spikes(self, population: str, node_ids: Any, times: Any, *, size: int | None = None) -> None:
        ids, t = np.asarray(node_ids), np.asarray(times)
        if ids.shape != t.shape:
            raise ValueError("lengths differ")
        self.spikes[population] = (ids, t)
        self.sizes[population] = size

    def record_signal(
        self, population: str, variable: str, node_ids: Any, times_or_dt: Any, values: Any, unit: str
    ) -> None:
        self.signals[(population, variable)] = (np.asarray(node_ids), times_or_dt, np.asarray(values), unit)


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


def test_record_writes_every_population_and_signal() -> None:
    run = TinyRun()
    _result().record(run)
    assert sorted(run.spikes) == ["exc", "inh", "silent"]
    assert run.sizes == {"exc": 4, "inh": 1, "silent": 2}  # each run's own sizes reach the study
    ids, times = run.spikes["exc"]
    assert ids.tolist() == [1, 0, 1] and times.tolist() == [1.0, 2.0, 5.0]
    assert run.spikes["silent"][0].size == 0
    node_ids, times_or_dt, values, unit = run.signals[("exc", "v")]
    assert times_or_dt == pytest.approx(0.5) and values.shape == (4, 2) and unit == "mV"
    assert node_ids.tolist() == [0, 3]
    assert np.asarray(run.signals[("inh", "i_syn")][1]).tolist() == [0.0, 1.0, 3.0]


def test_signal_shape_checked() -> None:
    with pytest.raises(SimulationError, match="expected"):
        Signal(np.array([0]), np.arange(3.0), np.zeros((2, 1)), "mV")
    frame = _result().signals[("exc", "v")].to_frame()
    assert list(frame.columns) == [0, 3] and frame.index.name == "time"
