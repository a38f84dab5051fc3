"""What a simulation returns, the same for every simulator.

A :class:`SimulationResult` holds

- ``spikes``: a DataFrame with columns ``population`` (categorical of the
  population names), ``node_id``
  (int64) and ``time`` (float64, ms), sorted by population, time, node id;
- ``signals``: ``(population, variable) -> Signal`` where a :class:`Signal`
  has ``node_ids``, ``times`` (ms), ``values`` shaped ``(n_times, n_nodes)``
  (the layout of a SONATA frame report) and ``unit``;
- ``sizes``: the number of nodes of each simulated population, so rates are
  per neuron even for neurons that never spiked;
- ``tables``: extra tables a simulator can give (e.g. NEURON's synapse
  placement and synapse activations);
- timing (``build_seconds``, ``run_seconds``) and the simulator's name.

``result.record(run)`` hands everything to a study run through
``run.record_spikes`` and ``run.record_signal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom.errors import SimulationError

__all__ = ["RecordingRun", "Signal", "SimulationResult", "concat_spike_tables", "spike_table"]


class RecordingRun(Protocol):
    """The two methods of a study run that a result writes through."""

    def record_spikes(
        self, population: str, node_ids: Any, times: Any, *, size: int | None = None
    ) -> Any: ...

    def record_signal(
        self, population: str, variable: str, node_ids: Any, times_or_dt: Any, values: Any, unit: str
    ) -> Any: ...


@dataclass(frozen=True)
class Signal:
    """Sampled values of one variable of some nodes: ``values[time, node]``."""

    node_ids: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    unit: str

    def __post_init__(self) -> None:
        if self.values.shape != (self.times.size, self.node_ids.size):
            raise SimulationError(
                f"signal values have shape {self.values.shape}, expected (times, nodes) = "
                f"({self.times.size}, {self.node_ids.size})"
            )

    @property
    def dt(self) -> float | None:
        """The sampling step if the samples are regular and start at 0 ms, else ``None``."""
        if self.times.size < 2 or abs(float(self.times[0])) > 1e-9:
            return None
        steps = np.diff(self.times)
        dt = float(steps.mean())
        return dt if np.allclose(steps, dt, rtol=1e-6, atol=1e-9) else None

    def to_frame(self) -> pd.DataFrame:
        """A wide table: one row per time (index ``time``), one column per node id."""
        frame = pd.DataFrame(self.values, columns=self.node_ids, index=pd.Index(self.times, name="time"))
        frame.columns.name = "node_id"
        return frame


def _categories(names: npt.ArrayLike) -> pd.Categorical:
    """Population names as a categorical (categories sorted, so it sorts as strings do)."""
    values = np.asarray(names, dtype=object).astype(str)
    categories, codes = np.unique(values, return_inverse=True)
    return pd.Categorical.from_codes(codes.reshape(-1), categories=categories.tolist())


def _time_ordered(times: np.ndarray, ids: np.ndarray) -> bool:
    """True if the spikes are sorted by time, then node id."""
    if times.size < 2:
        return True
    before, after = times[:-1], times[1:]
    return not (np.any(after < before) or np.any((after == before) & (ids[1:] < ids[:-1])))


def spike_table(
    population: npt.ArrayLike | str, node_ids: npt.ArrayLike, times: npt.ArrayLike
) -> pd.DataFrame:
    """A spike table with the standard columns and dtypes, sorted by population, time, node id.

    ``population`` is a categorical column (one code per spike, no string per spike).
    """
    ids = np.asarray(node_ids, dtype=np.int64).reshape(-1)
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    if isinstance(population, str):  # one population: a numpy sort, no string comparisons
        if not _time_ordered(t, ids):
            # a recorder's spikes are in time order per stretch of steps, by node within one:
            # a stable sort on time (fast on nearly sorted data) usually orders them already
            order = np.argsort(t, kind="stable")
            if not _time_ordered(t[order], ids[order]):
                order = np.lexsort((ids, t))
            ids, t = ids[order], t[order]
        pops = pd.Categorical.from_codes(np.zeros(ids.size, np.int8), dtype=pd.CategoricalDtype([population]))
        return pd.DataFrame({"population": pops, "node_id": ids, "time": t})
    named = _categories(population)
    order = np.lexsort((ids, t, named.codes))
    return pd.DataFrame({"population": named[order], "node_id": ids[order], "time": t[order]})


def concat_spike_tables(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Spike tables joined into one, sorted as :func:`spike_table` sorts (population categorical).

    The parts' arrays are concatenated and the population column is built
    from codes, so no string is made per spike.
    """
    single = [_single_population(p) for p in parts]
    named = [(s, p) for s, p in zip(single, parts) if s is not None]
    if len(named) == sum(len(p) > 0 for p in parts) and len({s for s, _ in named}) == len(named):
        # sorted single-population parts: join them in name order, each keeps its order
        if not named:
            return spike_table("", [], [])
        named.sort(key=lambda pair: pair[0])
        sizes = [len(p) for _, p in named]
        pops = pd.Categorical.from_codes(
            np.repeat(np.arange(len(named), dtype=np.int32), sizes),
            dtype=pd.CategoricalDtype([s for s, _ in named]),
        )
        return pd.DataFrame(
            {
                "population": pops,
                "node_id": np.concatenate([p["node_id"].to_numpy(np.int64) for _, p in named]),
                "time": np.concatenate([p["time"].to_numpy(np.float64) for _, p in named]),
            }
        )
    kept = [p for p in parts if len(p)]
    return spike_table(
        np.concatenate([p["population"].to_numpy(dtype=object) for p in kept]),
        np.concatenate([p["node_id"].to_numpy(np.int64) for p in kept]),
        np.concatenate([p["time"].to_numpy(np.float64) for p in kept]),
    )


def _single_population(part: pd.DataFrame) -> str | None:
    """The population of a non-empty table that holds one population, else ``None``."""
    if not len(part):
        return None
    column = part["population"]
    first = str(column.iat[0])
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        return first if bool(np.all(codes == codes[0])) else None
    return first if bool((column == first).all()) else None


@dataclass
class SimulationResult:
    """Spikes and signals of one simulation, in ms."""

    spikes: pd.DataFrame
    signals: dict[tuple[str, str], Signal] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    dt: float = 0.0
    simulator: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    build_seconds: float = 0.0
    run_seconds: float = 0.0

    def __post_init__(self) -> None:
        missing = {"population", "node_id", "time"} - set(self.spikes.columns)
        if missing:
            raise SimulationError(f"a spike table needs the columns {sorted(missing)}")

    @property
    def populations(self) -> list[str]:
        """Every population with spikes, signals or a known size, sorted."""
        names = set(self.sizes) | set(self.spikes["population"].unique()) | {p for p, _ in self.signals}
        return sorted(names)

    def spikes_of(self, population: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """``(node_ids, times)`` of one population."""
        rows = self.spikes[self.spikes["population"] == population]
        return rows["node_id"].to_numpy(np.int64), rows["time"].to_numpy(np.float64)

    def rate(self, population: str, *, start: float = 0.0, stop: float | None = None) -> float:
        """Mean firing rate (Hz) per neuron of ``population`` in ``[start, stop)`` ms."""
        if population not in self.sizes:
            raise SimulationError(
                f"population {population!r} was not simulated here; simulated: {sorted(self.sizes)}"
            )
        stop = self.duration if stop is None else stop
        _, times = self.spikes_of(population)
        count = int(np.count_nonzero((times >= start) & (times < stop)))
        n = self.sizes[population]
        return count / n / ((stop - start) / 1000.0) if n and stop > start else 0.0

    def rates(self, *, start: float = 0.0, stop: float | None = None) -> dict[str, float]:
        """:meth:`rate` of every simulated population."""
        return {p: self.rate(p, start=start, stop=stop) for p in sorted(self.sizes)}

    def record(self, run: RecordingRun) -> None:
        """Write spikes and signals into a study run.

        Calls ``run.record_spikes(population, node_ids, times)`` once per
        population that has a size or spikes (an empty train is recorded too,
        so "no spikes" differs from "not recorded"), and
        ``run.record_signal(population, variable, node_ids, times_or_dt,
        values, unit)`` once per signal (``times_or_dt`` is the step when the
        samples are regular from 0 ms, else the times).
        """
        pops = sorted(set(self.sizes) | set(self.spikes["population"].unique()))
        for population in pops:
            ids, times = self.spikes_of(population)
            size = self.sizes.get(population)
            if size is None:
                run.record_spikes(population, ids, times)
            else:
                run.record_spikes(population, ids, times, size=int(size))
        for (population, variable), sig in sorted(self.signals.items()):
            dt = sig.dt
            run.record_signal(
                population, variable, sig.node_ids, sig.times if dt is None else dt, sig.values, sig.unit
            )

    def summary(self) -> pd.DataFrame:
        """One row per population: size, spike count and mean rate (Hz)."""
        rows = []
        for population in sorted(self.sizes):
            ids, _ = self.spikes_of(population)
            rows.append(
                {
                    "population": population,
                    "size": self.sizes[population],
                    "spikes": int(ids.size),
                    "rate_hz": self.rate(population),
                }
            )
        return pd.DataFrame(rows, columns=["population", "size", "spikes", "rate_hz"])


def merge_signals(*parts: Mapping[tuple[str, str], Signal]) -> dict[tuple[str, str], Signal]:
    """Combine signal mappings; the same key twice is an error."""
    out: dict[tuple[str, str], Signal] = {}
    for part in parts:
        for key, sig in part.items():
            if key in out:
                raise SimulationError(f"signal {key} recorded twice")
            out[key] = sig
    return out
