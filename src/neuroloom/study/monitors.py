"""Brian2 monitors as run recordings: ``run.record(spike_mon, state_mon, rate_mon)``.

- ``SpikeMonitor``: its spikes (``i``, ``t``) as the population's spike train;
- ``StateMonitor``: each recorded variable as a signal of the recorded
  neurons, in a unit of :data:`~neuroloom.params.units.SIGNAL_UNITS` of
  the variable's dimension, float64 unless ``dtype`` says otherwise;
- ``PopulationRateMonitor``: the population rate as signal ``rate`` (Hz) of
  node 0.

The population is the monitored group's name unless ``population=`` is
given. Brian2 is not imported here: monitors are recognised by class name.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from neuroloom.errors import ParameterError, RecordingError
from neuroloom.params.units import SIGNAL_UNITS, is_quantity, split


class Recorder(Protocol):
    """What a monitor is recorded into: a run's recordings (:class:`~neuroloom.study.run.Run`)."""

    name: str

    def record_spikes(self, population: str, node_ids: Any, times: Any) -> None:
        """Add spikes of ``population``."""

    def record_signal(
        self,
        population: str,
        variable: str,
        node_ids: Any,
        times_or_dt: Any,
        values: Any,
        unit: str,
        *,
        dtype: Any,
    ) -> None:
        """Add a signal of ``population``."""


MONITORS = ("SpikeMonitor", "StateMonitor", "PopulationRateMonitor")


def _ms(times: Any) -> np.ndarray:
    if is_quantity(times):
        return np.asarray(split(times, "ms").magnitude, dtype=np.float64)
    return np.asarray(times, dtype=np.float64) * 1000.0  # Brian2 plain arrays are in seconds


def signal_unit(values: Any, where: str) -> tuple[np.ndarray, str]:
    """``values`` as numbers in a recording unit of their dimension, and that unit."""
    if not is_quantity(values):
        return np.asarray(values, dtype=np.float64), "1"
    preferred = str(values.get_best_unit()) if hasattr(values, "get_best_unit") and np.size(values) else ""
    if preferred in SIGNAL_UNITS:  # mV rather than V for a membrane potential
        return np.asarray(split(values, preferred).magnitude), preferred
    magnitude, best, _library = split(values)
    if best in SIGNAL_UNITS:
        return np.asarray(magnitude), best
    if best == "":
        return np.asarray(magnitude), "1"
    for unit in sorted(SIGNAL_UNITS - {"1", "%"}):
        try:
            return np.asarray(split(values, unit).magnitude), unit
        except (ParameterError, Exception):
            continue
    raise RecordingError(
        f"{where}: values in {best} have no recording unit ({', '.join(sorted(SIGNAL_UNITS))}); "
        "record them with run.save(name, values) instead"
    )


def record_monitor(run: Recorder, monitor: Any, population: str | None, dtype: Any) -> None:
    """Record one Brian2 monitor into ``run`` (see the module docstring)."""
    kind = type(monitor).__name__
    source = getattr(monitor, "source", None)
    pop = population or str(getattr(source, "name", "") or "brian2")
    where = f"{run.name}: record({kind} {getattr(monitor, 'name', '')!r})"
    if kind == "SpikeMonitor":
        run.record_spikes(pop, np.asarray(monitor.i[:], dtype=np.int64), _ms(monitor.t[:]))
    elif kind == "StateMonitor":
        times = _ms(monitor.t[:])
        ids = np.asarray(monitor.record, dtype=np.int64).ravel()
        for variable in monitor.record_variables:
            values, unit = signal_unit(getattr(monitor, variable), f"{where} {variable!r}")
            run.record_signal(pop, variable, ids, _times(times, monitor), values.T, unit, dtype=dtype)
    elif kind == "PopulationRateMonitor":
        rate = monitor.rate[:]
        values = (
            np.asarray(split(rate, "Hz").magnitude) if is_quantity(rate) else np.asarray(rate, np.float64)
        )
        run.record_signal(pop, "rate", [0], _times(_ms(monitor.t[:]), monitor), values, "Hz", dtype=dtype)
    else:
        raise RecordingError(
            f"{run.name}: record() takes Brian2 monitors ({', '.join(MONITORS)}), not a "
            f"{type(monitor).__module__}.{kind}; use run.record_spikes / run.record_signal / run.save"
        )


def _times(times: np.ndarray, monitor: Any) -> Any:
    """The sample times, or the clock's dt (ms) when there are fewer than two samples."""
    if times.size >= 2:
        return times
    return float(_ms(monitor.clock.dt)) if hasattr(monitor, "clock") else 0.1
