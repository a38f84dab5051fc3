"""Recordings of a run: spike trains and analog signals as SONATA reports.

In a job, ``run.record_spikes(population, node_ids, times)`` and
``run.record_signal(population, variable, node_ids, times_or_dt, values, unit)``
write into the run's folder:

- ``spikes.h5``: a SONATA spike report with one population per recorded
  population (times in ms, sorted by time);
- ``report_<variable>.h5``: a SONATA frame report per variable (``v``,
  ``g_exc``, ``i_syn``, ...), one population per recorded population.

Both files are rewritten atomically on every call, so a run folder never holds
a half-written report. The run also sends the coordinator a small summary of
what it recorded (result ``_recordings``), from which the study consolidates
its cross-run tables (see :mod:`neuroloom.datastore.consolidate`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroloom._io.names import REPORT_PREFIX as REPORT_PREFIX
from neuroloom._io.names import SPIKES_FILE as SPIKES_FILE  # re-exported
from neuroloom._io.names import TABLE_PREFIX as TABLE_PREFIX
from neuroloom.errors import RecordingError
from neuroloom.params.units import SIGNAL_UNITS as SIGNAL_UNITS  # re-exported
from neuroloom.sonata.reports import FrameReport, write_frame_report, write_spikes
from neuroloom.study.monitors import record_monitor

RECORDINGS = "_recordings"
TIME_UNIT = "ms"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,99}$")


def table_kind(name: str) -> str:
    """Name of a per-run table's file stem and consolidated table (``table_<name>``)."""
    return f"{TABLE_PREFIX}{name}"


def report_file(variable: str) -> str:
    """File name of the frame report holding ``variable``."""
    return f"{REPORT_PREFIX}{variable}.h5"


def check_name(kind: str, name: object, where: str) -> str:
    """A population or variable name: letters, digits, ``_ . -``, not starting with a digit."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise RecordingError(
            f"{where}: invalid {kind} name {name!r}; use letters, digits, '_', '.' or '-' "
            "(starting with a letter or '_', at most 100 characters)"
        )
    return name


def check_spikes(node_ids: Any, times: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(node_ids int64, times float64 ms)`` of one population's spikes."""
    try:
        ids = np.asarray(node_ids)
        stamps = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{where}: node ids and times must be numeric arrays ({exc})") from None
    if ids.ndim == 0:
        ids = np.full(stamps.shape, ids)
    ids, stamps = ids.ravel(), stamps.ravel()
    if ids.size != stamps.size:
        raise RecordingError(
            f"{where}: {ids.size} node ids but {stamps.size} spike times; give one node id per spike "
            "(or a single id for all spikes)"
        )
    if ids.size and ids.dtype.kind not in "iu":
        if ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
            ids = ids.astype(np.int64)
        else:
            raise RecordingError(f"{where}: node ids must be integers, got dtype {ids.dtype}")
    ids = ids.astype(np.int64, copy=False)
    if ids.size and ids.min() < 0:
        raise RecordingError(f"{where}: negative node id {int(ids.min())}; SONATA node ids start at 0")
    bad = ~np.isfinite(stamps)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise RecordingError(
            f"{where}: {int(bad.sum())} spike time(s) are NaN or infinite (first at position {first}); "
            "drop missing spikes before recording"
        )
    if stamps.size and stamps.min() < 0:
        raise RecordingError(
            f"{where}: negative spike time {float(stamps.min())} ms; times are ms from the start of the run"
        )
    return ids, stamps


def check_unit(unit: object, where: str) -> str:
    if not isinstance(unit, str) or unit not in SIGNAL_UNITS:
        raise RecordingError(
            f"{where}: unknown unit {unit!r}; use one of {', '.join(sorted(SIGNAL_UNITS))} "
            "('1' for dimensionless)"
        )
    return unit


def check_signal(
    node_ids: Any, times_or_dt: Any, values: Any, t_start: float, where: str
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Validated ``(node_ids, data (frames x nodes) float32, t_start, dt)``."""
    ids = np.atleast_1d(np.asarray(node_ids))
    if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
        raise RecordingError(
            f"{where}: node ids must be a 1-D sequence of integers, got {ids.dtype} {ids.shape}"
        )
    ids = ids.astype(np.int64)
    if ids.size and ids.min() < 0:
        raise RecordingError(f"{where}: negative node id {int(ids.min())}")
    if np.unique(ids).size != ids.size:
        raise RecordingError(f"{where}: node ids are repeated; record each node once per variable")
    try:
        data = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{where}: values must be numeric ({exc})") from None
    if data.ndim == 1 and ids.size == 1:
        data = data[:, None]
    if data.ndim != 2 or data.shape[1] != ids.size:
        raise RecordingError(
            f"{where}: values have shape {data.shape} but {ids.size} node id(s) were given; values must be "
            "(n_times, n_nodes), one column per node id"
        )
    n = data.shape[0]
    if n == 0:
        raise RecordingError(f"{where}: no time points to record")
    if np.ndim(times_or_dt) == 0:
        dt = float(times_or_dt)
        start = float(t_start)
        if not math.isfinite(start) or start < 0:
            raise RecordingError(f"{where}: t_start must be a finite time >= 0 ms, got {t_start!r}")
    else:
        times = np.asarray(times_or_dt, dtype=np.float64).ravel()
        if times.size != n:
            raise RecordingError(
                f"{where}: {times.size} time points but values have {n} rows; give one time per row, "
                "or the sampling interval dt in ms"
            )
        if not np.all(np.isfinite(times)) or (times.size and times.min() < 0):
            raise RecordingError(f"{where}: times must be finite and >= 0 ms")
        start = float(times[0])
        if n == 1:
            raise RecordingError(f"{where}: one time point; give dt in ms instead of a time array")
        steps = np.diff(times)
        dt = float(steps.mean())
        if not np.allclose(steps, dt, rtol=1e-6, atol=1e-9):
            raise RecordingError(
                f"{where}: times are not evenly spaced (steps from {steps.min()} to {steps.max()} ms); "
                "SONATA frame reports need a fixed dt, resample first"
            )
    if not math.isfinite(dt) or dt <= 0:
        raise RecordingError(f"{where}: the sampling interval dt must be > 0 ms, got {dt!r}")
    return ids, data, start, dt


class RunRecordings:
    """Recording methods of :class:`~neuroloom.study.run.Run` (mixed into it)."""

    __slots__ = ("_recorded",)

    name: str
    _results: dict[str, tuple[str, Any]]

    if TYPE_CHECKING:

        @property
        def folder(self) -> Path: ...

    def _recordings(self) -> dict[str, Any]:
        try:
            return self._recorded
        except AttributeError:
            self._recorded: dict[str, Any] = {"spikes": {}, "signals": {}, "tables": {}}
            return self._recorded

    def _note(self) -> None:
        rec = self._recordings()
        summary: dict[str, Any] = {
            "spikes": {p: int(ids.size) for p, (ids, _t) in rec["spikes"].items()},
            "signals": {
                var: {p: [int(r.node_ids.size), int(r.data.shape[0])] for p, r in pops.items()}
                for var, pops in rec["signals"].items()
            },
        }
        if rec.get("tables"):
            summary["tables"] = dict(rec["tables"])
        if rec.get("sizes"):
            summary["sizes"] = dict(rec["sizes"])
        self._results[RECORDINGS] = ("j", json.dumps(summary, separators=(",", ":")))

    def record(self, *monitors: Any, population: str | None = None, dtype: Any = np.float64) -> None:
        """Record Brian2 monitors (``SpikeMonitor``, ``StateMonitor``, ``PopulationRateMonitor``).

        Spikes become the population's spike train, state variables and rates
        become signals with their units (float64 unless ``dtype`` says
        otherwise). ``population`` defaults to the monitored group's name.
        """
        for monitor in monitors:
            record_monitor(self, monitor, population, dtype)

    def record_spikes(
        self,
        population: str,
        node_ids: Sequence[int] | np.ndarray | int,
        times: Sequence[float] | np.ndarray,
        *,
        size: int | None = None,
    ) -> None:
        """Record the spikes of ``population`` (one node id and one time in ms per spike).

        Written to ``<run folder>/spikes.h5`` as a SONATA spike report. Calling it
        again for the same population adds spikes to it. ``size`` is the number
        of neurons of the population in this run (node ids ``0..size-1``): the
        study's analyses then divide this run's rates by it, and count its
        silent neurons (give it whenever the network size varies between runs).

        Raises
        ------
        RecordingError
            Mismatched lengths, non-integer or negative ids, NaN/infinite or
            negative times, or an invalid population name.
        """
        where = f"{self.name}: record_spikes({population!r})"
        check_name("population", population, where)
        ids, stamps = check_spikes(node_ids, times, where)
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
                raise RecordingError(f"{where}: size= must be a whole number of neurons >= 0, got {size!r}")
            if ids.size and int(ids.max()) >= int(size):
                raise RecordingError(
                    f"{where}: node id {int(ids.max())} is outside a population of size={size} "
                    "(node ids run from 0 to size-1)"
                )
            self._recordings().setdefault("sizes", {})[population] = int(size)
        rec = self._recordings()["spikes"]
        if population in rec:
            old_ids, old_t = rec[population]
            ids, stamps = np.concatenate([old_ids, ids]), np.concatenate([old_t, stamps])
        rec[population] = (ids, stamps)
        write_spikes(self.folder / SPIKES_FILE, rec, sorting="by_time", units=TIME_UNIT)
        self._note()

    def record_signal(
        self,
        population: str,
        variable: str,
        node_ids: Sequence[int] | np.ndarray,
        times_or_dt: float | Sequence[float] | np.ndarray,
        values: Any,
        unit: str,
        *,
        t_start: float = 0.0,
        dtype: Any = np.float32,
        compress: bool = False,
    ) -> None:
        """Record an analog signal (``v``, ``g_exc``, ``i_syn``, ...) of some nodes.

        Parameters
        ----------
        population, variable
            Where the nodes live and what was recorded.
        node_ids
            The recorded nodes, one per column of ``values``.
        times_or_dt
            The sampling interval in ms (the first sample at ``t_start``), or the
            sample times in ms (evenly spaced).
        values
            ``(n_times, n_nodes)`` array (1-D for a single node).
        unit
            One of :data:`SIGNAL_UNITS` (``mV``, ``nA``, ``nS``, ...).
        dtype
            Stored data type: ``float32`` (default, as SONATA reports) or
            ``float64`` (exact; libsonata cannot read float64 reports, h5py,
            bmtk and neuroloom can).

        compress
            Store the data gzip-compressed (level 1, shuffled). Off by default:
            libsonata's wheels are built without zlib and cannot read it (h5py,
            bmtk and neuroloom can).

        Written to ``<run folder>/report_<variable>.h5`` as a SONATA frame report.

        Raises
        ------
        RecordingError
            Shapes that do not match, uneven times, unknown units, repeated
            recording of the same population and variable.
        """
        where = f"{self.name}: record_signal({population!r}, {variable!r})"
        check_name("population", population, where)
        check_name("variable", variable, where)
        check_unit(unit, where)
        ids, data, start, dt = check_signal(node_ids, times_or_dt, values, t_start, where)
        pops = self._recordings()["signals"].setdefault(variable, {})
        if population in pops:
            raise RecordingError(
                f"{where}: {variable!r} of {population!r} is already recorded in this run; record all its "
                "nodes in one call"
            )
        if pops and next(iter(pops.values())).units != unit:
            raise RecordingError(
                f"{where}: unit {unit!r} differs from the unit {next(iter(pops.values())).units!r} already "
                f"used for {variable!r} in this run; one variable has one unit"
            )
        order = np.argsort(ids, kind="stable")
        kept = np.dtype(dtype)
        if kept not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise RecordingError(f"{where}: dtype must be float32 or float64, not {kept}")
        pops[population] = FrameReport(
            ids[order].astype(np.uint64),
            data[:, order].astype(kept, copy=False),
            (start, start + dt * data.shape[0], dt),
            units=unit,
        )
        write_frame_report(self.folder / report_file(variable), pops, compress=compress, keep_float64=True)
        self._note()

    def record_table(self, name: str, frame: Any) -> None:
        """Record a per-run table (one row per event: synapse activations, cell spikes, ...).

        Written to ``<run folder>/table_<name>.parquet``; the study reads the
        tables of many runs at once with ``view.table(name)`` (a column ``run``
        added). Calling it again for the same name replaces the run's table.

        Raises
        ------
        RecordingError
            ``frame`` is not a DataFrame, has a column ``run`` (reserved) or a
            column Parquet cannot store, or ``name`` is not a valid name.
        """
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        from neuroloom._io.atomic import tmp_name

        where = f"{self.name}: record_table({name!r})"
        check_name("table", name, where)
        if not isinstance(frame, pd.DataFrame):
            raise RecordingError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}")
        if "run" in frame.columns:
            raise RecordingError(f"{where}: the column 'run' is reserved (added when tables are read)")
        try:
            table = pa.Table.from_pandas(
                frame.rename(columns=str).reset_index(drop=True), preserve_index=False
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise RecordingError(f"{where}: a column cannot be stored in Parquet: {exc}") from None
        path = self.folder / f"{table_kind(name)}.parquet"
        tmp = path.with_name(tmp_name(".parquet"))
        try:
            pq.write_table(table, tmp, compression="zstd")
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self._recordings()["tables"][name] = int(table.num_rows)
        self._note()
