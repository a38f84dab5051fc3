"""Inputs to a simulation, described once for every simulator.

An input names the population it drives and says what happens there:

- :class:`PoissonInput`: independent Poisson spike trains at a rate (Hz), one
  per node, between ``start`` and ``stop``. :meth:`PoissonInput.from_interval`
  spells it as in_silico_framework's *ongoing activity* (mean inter-spike
  interval in ms).
- :class:`SpikeTrainInput`: given spike times (from arrays, a table, or a
  SONATA spike report).
- :class:`PSTHInput`: *evoked* activity as in_silico_framework describes it:
  a list of time intervals with, for each, the probability that a presynaptic
  cell spikes once in it (uniformly within the interval), shifted by
  ``offset`` (the time the stimulus starts).
- :class:`CurrentClamp`: a step current into nodes of a population.

Spike sources (the first three) carry ``release_prob``: the probability that
one synapse transmits a presynaptic spike (each synapse draws independently).

Several inputs may drive the same population (e.g. ongoing + evoked); their
spike trains are merged. Times are in ms, rates in Hz, currents in nA.
Every generator is vectorised (one numpy call per input, never per spike).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from neuroloom.errors import InputSpecError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CurrentClamp",
    "Input",
    "PSTHInput",
    "PoissonInput",
    "SpikeSource",
    "SpikeTrainInput",
    "clamps_for",
    "merged_spikes",
    "release_prob_for",
    "spike_sources_for",
]


def _check_population(population: Any, kind: str) -> str:
    if not isinstance(population, str) or not population:
        raise InputSpecError(f"{kind}: population must be a non-empty string, got {population!r}")
    return population


def _ids(node_ids: Any, kind: str, population: str) -> IntArray | None:
    if node_ids is None:
        return None
    ids = np.asarray(node_ids)
    if ids.ndim == 0:
        ids = ids.reshape(1)
    if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
        raise InputSpecError(f"{kind} for population {population!r}: node_ids must be a 1-D integer array")
    if ids.size and ids.min() < 0:
        raise InputSpecError(f"{kind} for population {population!r}: node_ids must be >= 0")
    return ids.astype(np.int64, copy=False)


def _targets(node_ids: IntArray | None, available: IntArray, kind: str, population: str) -> IntArray:
    if node_ids is None:
        return available
    missing = np.setdiff1d(node_ids, available)
    if missing.size:
        raise InputSpecError(
            f"{kind} for population {population!r} names node ids not in the population "
            f"(first: {missing[:5].tolist()}); the population has {available.size} nodes"
        )
    return node_ids


@dataclass(frozen=True)
class Input:
    """Base class: something that drives ``population`` during a simulation."""

    population: str

    def __post_init__(self) -> None:
        _check_population(self.population, type(self).__name__)


@dataclass(frozen=True)
class SpikeSource(Input):
    """An input that produces spikes in a (usually virtual) population."""

    release_prob: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        p = float(self.release_prob)
        if not 0.0 < p <= 1.0:
            raise InputSpecError(
                f"{type(self).__name__} for population {self.population!r}: release_prob must be in (0, 1], "
                f"got {self.release_prob!r}"
            )

    def spikes(
        self, node_ids: IntArray, duration: float, rng: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        """Spike trains of ``node_ids`` in ``[0, duration)`` ms as (node_ids, times), unsorted."""
        raise NotImplementedError


@dataclass(frozen=True)
class PoissonInput(SpikeSource):
    """Independent Poisson trains at ``rate`` Hz (scalar or one per selected node).

    Parameters
    ----------
    population
        The population whose nodes spike (a virtual population in a circuit, or
        a presynaptic cell type of a NEURON single-cell model).
    rate
        Rate in Hz; a scalar or one value per node of ``node_ids``.
    node_ids
        Which nodes; ``None`` means all nodes of the population.
    start, stop
        Active window in ms; ``stop=None`` means the end of the simulation.
    release_prob
        Probability that a synapse transmits a spike of these sources.
    """

    rate: float | Sequence[float] | FloatArray = 0.0
    node_ids: Sequence[int] | IntArray | None = None
    start: float = 0.0
    stop: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        rate = np.asarray(self.rate, dtype=np.float64)
        if rate.ndim > 1 or not np.all(np.isfinite(rate)) or np.any(rate < 0):
            raise InputSpecError(
                f"PoissonInput for population {self.population!r}: rate must be finite and >= 0 Hz "
                "(a scalar or one value per node)"
            )
        object.__setattr__(self, "node_ids", _ids(self.node_ids, "PoissonInput", self.population))
        if self.stop is not None and self.stop < self.start:
            raise InputSpecError(
                f"PoissonInput for population {self.population!r}: stop ({self.stop} ms) is before "
                f"start ({self.start} ms)"
            )

    @classmethod
    def from_interval(cls, population: str, interval: float, **kwargs: Any) -> PoissonInput:
        """Ongoing activity with a mean inter-spike ``interval`` in ms (in_silico_framework's spelling)."""
        if not interval > 0:
            raise InputSpecError(
                f"ongoing activity of {population!r}: interval must be > 0 ms, got {interval}"
            )
        return cls(population, rate=1000.0 / float(interval), **kwargs)

    def spikes(
        self, node_ids: IntArray, duration: float, rng: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        ids = _targets(self.node_ids, node_ids, "PoissonInput", self.population)  # type: ignore[arg-type]
        if np.ndim(self.rate) == 1 and np.size(self.rate) != ids.size:
            raise InputSpecError(
                f"PoissonInput for population {self.population!r}: {np.size(self.rate)} rates for "
                f"{ids.size} nodes"
            )
        rate = np.broadcast_to(np.asarray(self.rate, dtype=np.float64), ids.shape)
        start = max(0.0, float(self.start))
        stop = float(duration) if self.stop is None else min(float(self.stop), float(duration))
        span = max(0.0, stop - start)
        counts = rng.poisson(rate * span / 1000.0)
        owners = np.repeat(ids, counts)
        times = start + rng.random(owners.size) * span
        return owners, times


@dataclass(frozen=True)
class SpikeTrainInput(SpikeSource):
    """Given spike times (ms) of nodes of ``population``."""

    node_ids: Sequence[int] | IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    times: Sequence[float] | FloatArray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        super().__post_init__()
        ids = _ids(self.node_ids, "SpikeTrainInput", self.population)
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        assert ids is not None
        if ids.size != times.size:
            raise InputSpecError(
                f"SpikeTrainInput for population {self.population!r}: {ids.size} node ids but "
                f"{times.size} times"
            )
        if not np.all(np.isfinite(times)) or (times.size and times.min() < 0):
            raise InputSpecError(
                f"SpikeTrainInput for population {self.population!r}: times must be finite and >= 0 ms"
            )
        object.__setattr__(self, "node_ids", ids)
        object.__setattr__(self, "times", times)

    @classmethod
    def from_table(
        cls, table: pd.DataFrame, population: str, *, release_prob: float = 1.0
    ) -> SpikeTrainInput:
        """From a table with ``node_id`` and ``time`` columns (and optionally ``population``)."""
        if "population" in table.columns:
            table = table[table["population"] == population]
        for column in ("node_id", "time"):
            if column not in table.columns:
                raise InputSpecError(
                    f"spike table for population {population!r} has no {column!r} column "
                    f"(columns: {list(table.columns)})"
                )
        return cls(
            population,
            release_prob=release_prob,
            node_ids=table["node_id"].to_numpy(np.int64),
            times=table["time"].to_numpy(np.float64),
        )

    @classmethod
    def from_sonata(
        cls,
        path: str | Path,
        population: str,
        *,
        source_population: str | None = None,
        release_prob: float = 1.0,
    ) -> SpikeTrainInput:
        """Spikes of ``source_population`` (default: ``population``) from a SONATA spike file."""
        from neuroloom.sonata.reports import read_spikes

        table = read_spikes(Path(path), populations=source_population or population)
        column = "time" if "time" in table.columns else "timestamp"
        return cls(
            population,
            release_prob=release_prob,
            node_ids=table["node_id"].to_numpy(np.int64),
            times=table[column].to_numpy(np.float64),
        )

    def spikes(
        self, node_ids: IntArray, duration: float, rng: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        ids = np.asarray(self.node_ids, dtype=np.int64)
        times = np.asarray(self.times, dtype=np.float64)
        unknown = ~np.isin(ids, node_ids)
        if unknown.any():
            raise InputSpecError(
                f"SpikeTrainInput for population {self.population!r} has spikes of node ids not in the "
                f"population (first: {np.unique(ids[unknown])[:5].tolist()})"
            )
        keep = times < duration
        return ids[keep], times[keep]


@dataclass(frozen=True)
class PSTHInput(SpikeSource):
    """Evoked activity: per interval, each node spikes once with the given probability.

    Parameters
    ----------
    intervals
        ``(k, 2)`` array of ``(begin, end)`` in ms, relative to ``offset``.
    probabilities
        ``k`` spike probabilities (0..1), one per interval.
    offset
        Time (ms) at which the evoked activity starts.
    node_ids
        Which nodes; ``None`` means all nodes of the population.
    """

    intervals: Sequence[Sequence[float]] | FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    probabilities: Sequence[float] | FloatArray = field(default_factory=lambda: np.zeros(0))
    offset: float = 0.0
    node_ids: Sequence[int] | IntArray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        iv = np.asarray(self.intervals, dtype=np.float64)
        pr = np.asarray(self.probabilities, dtype=np.float64).reshape(-1)
        if iv.ndim != 2 or iv.shape[1:] != (2,) or iv.shape[0] != pr.size:
            raise InputSpecError(
                f"PSTHInput for population {self.population!r}: intervals must be (k, 2) and match "
                f"{pr.size} probabilities, got shape {iv.shape}"
            )
        if np.any(iv[:, 1] < iv[:, 0]) or np.any(pr < 0) or np.any(pr > 1):
            raise InputSpecError(
                f"PSTHInput for population {self.population!r}: each interval needs begin <= end and "
                "each probability must be in [0, 1]"
            )
        object.__setattr__(self, "intervals", iv)
        object.__setattr__(self, "probabilities", pr)
        object.__setattr__(self, "node_ids", _ids(self.node_ids, "PSTHInput", self.population))

    def spikes(
        self, node_ids: IntArray, duration: float, rng: np.random.Generator
    ) -> tuple[IntArray, FloatArray]:
        ids = _targets(self.node_ids, node_ids, "PSTHInput", self.population)  # type: ignore[arg-type]
        iv = np.asarray(self.intervals)
        fire = rng.random((ids.size, iv.shape[0])) < np.asarray(self.probabilities)[None, :]
        node_idx, interval_idx = np.nonzero(fire)
        lo, hi = iv[interval_idx, 0], iv[interval_idx, 1]
        times = float(self.offset) + lo + rng.random(lo.size) * (hi - lo)
        keep = (times >= 0) & (times < duration)
        return ids[node_idx][keep], times[keep]


@dataclass(frozen=True)
class CurrentClamp(Input):
    """A step current of ``amplitude`` nA from ``delay`` for ``duration`` ms.

    ``node_ids=None`` means every node of the population. ``section`` and ``x``
    place the electrode on a NEURON cell (ignored by point-neuron adapters).
    """

    amplitude: float = 0.0
    delay: float = 0.0
    duration: float = 0.0
    node_ids: Sequence[int] | IntArray | None = None
    section: str = "soma"
    x: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        if not np.isfinite(self.amplitude) or self.delay < 0 or self.duration < 0:
            raise InputSpecError(
                f"CurrentClamp for population {self.population!r}: amplitude must be finite, delay and "
                "duration >= 0 ms"
            )
        object.__setattr__(self, "node_ids", _ids(self.node_ids, "CurrentClamp", self.population))

    def targets(self, node_ids: IntArray) -> IntArray:
        """The clamped node ids among ``node_ids``."""
        return _targets(self.node_ids, node_ids, "CurrentClamp", self.population)  # type: ignore[arg-type]


def spike_sources_for(inputs: Iterable[Input], population: str) -> list[SpikeSource]:
    """The spike-source inputs that drive ``population``."""
    return [i for i in inputs if isinstance(i, SpikeSource) and i.population == population]


def clamps_for(inputs: Iterable[Input], population: str) -> list[CurrentClamp]:
    """The current clamps on ``population``."""
    return [i for i in inputs if isinstance(i, CurrentClamp) and i.population == population]


def release_prob_for(inputs: Iterable[Input], population: str) -> float:
    """The release probability of synapses from ``population`` (1.0 without spike sources).

    Sources of one population must agree on it.
    """
    values = {float(s.release_prob) for s in spike_sources_for(inputs, population)}
    if len(values) > 1:
        raise InputSpecError(
            f"inputs of population {population!r} disagree on release_prob ({sorted(values)}); "
            "give every input of one population the same value"
        )
    return values.pop() if values else 1.0


def merged_spikes(
    inputs: Iterable[Input],
    population: str,
    node_ids: IntArray,
    duration: float,
    rng: np.random.Generator,
) -> tuple[IntArray, FloatArray]:
    """All spikes the inputs give ``population``, sorted by time then node id."""
    parts = [s.spikes(node_ids, duration, rng) for s in spike_sources_for(inputs, population)]
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    ids = np.concatenate([p[0] for p in parts]).astype(np.int64, copy=False)
    times = np.concatenate([p[1] for p in parts]).astype(np.float64, copy=False)
    order = np.lexsort((ids, times))
    return ids[order], times[order]


def check_inputs(inputs: Iterable[Input] | None) -> list[Input]:
    """Validate that ``inputs`` is a collection of :class:`Input` and return it as a list."""
    if inputs is None:
        return []
    if isinstance(inputs, Input):
        return [inputs]
    out = list(inputs)
    for item in out:
        if not isinstance(item, Input):
            raise InputSpecError(
                f"inputs must be neuroloom.sim.inputs.Input objects (PoissonInput, SpikeTrainInput, "
                f"PSTHInput, CurrentClamp), got {type(item).__name__}"
            )
    return out
