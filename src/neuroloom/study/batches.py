"""Run batches: the recordings of many runs written together, in a few files.

Importers (a wide ISF spike table of 18,000 trials, a folder of simrun output)
produce many small runs at once. Writing a folder per run costs a few files
and inodes per trial; a batch instead holds every run of one import step::

    runs/batches/<batch>/
        spikes.parquet           run, population, node_id, time (ms)
        signals.h5               /<variable>/<population>/<run>: frames x nodes,
                                 attributes node_ids, t_start, dt, unit
        table_<name>.parquet     run + the columns of a per-run table
        recorded.parquet         run, kind, population, variable, n: what each run recorded

A batch is written into a ``.tmp-`` folder and renamed into place when
complete, before any of its runs is recorded as done in the catalog. Batches
are numbered (``b-000001``, ...; the coordinating process holds the study lock
while it writes one). The catalog names a batch's runs once, in its ``meta``
table (key ``batch:b-000001``, value ``{"n": 18000, "runs": [[0, 17999]]}``:
ranges of run indices), written in the same transaction that records the runs
as done, so an imported run costs no catalog row besides its own. A run that
also has a ``_recordings`` result (it was run again by a job) is read from its
folder; a run named by several batches belongs to the newest. A batch that no
catalog entry names (a crash between the rename and the commit) is debris that
:func:`sweep_batches` removes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neuroloom._io.atomic import remove_path
from neuroloom._io.names import BATCH_RECORDED as BATCH_RECORDED
from neuroloom._io.names import BATCH_SIGNALS as BATCH_SIGNALS
from neuroloom._io.names import BATCH_SPIKES as BATCH_SPIKES
from neuroloom._io.names import BATCHES_DIR as BATCHES_DIR
from neuroloom._io.names import RUNS_DIR, TMP_PREFIX
from neuroloom.errors import RecordingError, StorageError
from neuroloom.study.catalog import BATCH_META as BATCH_META  # re-exported
from neuroloom.study.catalog import Catalog
from neuroloom.study.recordings import check_name, check_unit, table_kind

RECORDED_COLUMNS = ("run", "kind", "population", "variable", "n")

SPIKE_COLUMNS = ("run", "population", "node_id", "time")


def batches_dir(study_path: Path) -> Path:
    """``<study>/runs/batches``."""
    return study_path / RUNS_DIR / BATCHES_DIR


def batch_name(number: int) -> str:
    """``b-000042`` for batch 42."""
    return f"b-{int(number):06d}"


def batch_path(study_path: Path, name: str) -> Path:
    """The folder of batch ``name`` (checked to be a plain batch name)."""
    if not name.startswith("b-") or not name[2:].isdigit():
        raise StorageError(f"{study_path}: {name!r} is not a run batch name; the catalog may be damaged")
    return batches_dir(study_path) / name


def next_batch_number(study_path: Path) -> int:
    """One more than the largest batch number on disk (finished or temporary)."""
    folder = batches_dir(study_path)
    numbers = [0]
    if folder.is_dir():
        for entry in folder.iterdir():
            tail = entry.name.removeprefix(TMP_PREFIX).removeprefix("b-")
            if tail.isdigit():
                numbers.append(int(tail))
    return max(numbers) + 1


def run_ranges(runs: Any) -> list[list[int]]:
    """``[[first, last], ...]`` covering the sorted unique run indices ``runs``."""
    values = np.unique(np.asarray(runs, dtype=np.int64))
    if not values.size:
        return []
    breaks = np.flatnonzero(np.diff(values) != 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [values.size - 1]])
    return [[int(values[a]), int(values[b])] for a, b in zip(starts, ends)]


def expand_ranges(ranges: Any) -> np.ndarray:
    """The run indices of ``[[first, last], ...]``."""
    parts = [np.arange(int(a), int(b) + 1, dtype=np.int64) for a, b in ranges]
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def batch_meta(name: str, runs: Any) -> tuple[str, str]:
    """The catalog ``meta`` row ``(key, JSON value)`` naming the runs of batch ``name``."""
    ranges = run_ranges(runs)
    count = sum(b - a + 1 for a, b in ranges)
    return BATCH_META + name, json.dumps({"n": count, "runs": ranges}, separators=(",", ":"))


def catalog_batches(catalog: Catalog) -> dict[int, str]:
    """Run index -> batch name of every run the catalog's ``meta`` table assigns to a batch
    (the newest batch when several name a run)."""
    rows = catalog.meta_rows(BATCH_META)
    out: dict[int, str] = {}
    for key, value in rows:
        name = str(key)[len(BATCH_META) :]
        try:
            runs = expand_ranges(json.loads(value)["runs"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(f"catalog meta entry {key!r} is damaged ({exc}); it names no runs") from None
        out.update(dict.fromkeys(runs.tolist(), name))
    return out


class RunBatch:
    """Collects the recordings of many runs and writes them as one batch.

    Parameters
    ----------
    runs
        The indices of the runs in the batch (each gets a summary, even if it
        recorded nothing).
    number
        The batch number (:func:`next_batch_number` while holding the study lock).
    """

    def __init__(self, runs: Sequence[int] | np.ndarray, number: int) -> None:
        self.number = int(number)
        self.name = batch_name(number)
        self.runs = np.asarray(runs, dtype=np.int64)
        self._spikes: list[pa.Table] = []
        self._spike_counts: dict[str, np.ndarray] = {}
        self._signals: list[tuple[int, str, str, np.ndarray, float, float, np.ndarray, str]] = []
        self._tables: dict[str, list[pd.DataFrame]] = {}
        self._table_rows: dict[str, dict[int, int]] = {}

    def add_spikes(self, population: str, runs: Any, node_ids: Any, times: Any) -> None:
        """Spikes of ``population`` in many runs: one run index, node id and time (ms) per spike."""
        where = f"run batch: spikes of {population!r}"
        check_name("population", population, where)
        run = np.asarray(runs, dtype=np.int64).ravel()
        ids = np.asarray(node_ids, dtype=np.int64).ravel()
        stamps = np.asarray(times, dtype=np.float64).ravel()
        if not run.size == ids.size == stamps.size:
            raise RecordingError(f"{where}: runs, node ids and times differ in length")
        if stamps.size and (not np.all(np.isfinite(stamps)) or stamps.min() < 0):
            raise RecordingError(f"{where}: spike times must be finite and >= 0 ms")
        if ids.size and ids.min() < 0:
            raise RecordingError(f"{where}: negative node id {int(ids.min())}")
        order = np.argsort(self.runs, kind="stable")
        ordered = self.runs[order]
        pos = np.searchsorted(ordered, run)
        inside = pos < ordered.size
        inside[inside] &= ordered[pos[inside]] == run[inside]
        if not inside.all():
            raise RecordingError(f"{where}: a spike belongs to a run outside the batch")
        counts = self._spike_counts.setdefault(population, np.zeros(self.runs.size, np.int64))
        counts += np.bincount(order[pos], minlength=self.runs.size)
        self._spikes.append(
            pa.table(
                {
                    "run": run,
                    "population": pa.array([population] * run.size, pa.string()),
                    "node_id": ids,
                    "time": stamps,
                }
            )
        )

    def add_signal(
        self,
        run: int,
        population: str,
        variable: str,
        node_ids: Any,
        t_start: float,
        dt: float,
        data: Any,
        unit: str,
    ) -> None:
        """One run's ``(frames x nodes)`` signal of ``variable`` in ``population``."""
        where = f"run batch: run {run} signal {variable!r} of {population!r}"
        check_name("population", population, where)
        check_name("variable", variable, where)
        check_unit(unit, where)
        ids = np.asarray(node_ids, dtype=np.int64).ravel()
        values = np.asarray(data)
        if values.dtype.kind != "f":
            values = values.astype(np.float64)  # floats keep their precision as given
        if values.ndim == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != ids.size or not dt > 0:
            raise RecordingError(f"{where}: values must be (frames, {ids.size}) with dt > 0")
        self._signals.append((int(run), population, variable, ids, float(t_start), float(dt), values, unit))

    def add_table(self, name: str, runs: Any, frame: pd.DataFrame) -> None:
        """Rows of the per-run table ``name`` for many runs (one run index per row)."""
        check_name("table", name, f"run batch: table {name!r}")
        run = np.asarray(runs, dtype=np.int64).ravel()
        if run.size != len(frame):
            raise RecordingError(f"run batch: table {name!r}: {run.size} run indices for {len(frame)} rows")
        if "run" in frame.columns:
            raise RecordingError(f"run batch: table {name!r} has a column 'run'; that name is reserved")
        part = frame.reset_index(drop=True).copy()
        part.insert(0, "run", run)
        self._tables.setdefault(name, []).append(part)
        rows = self._table_rows.setdefault(name, {})
        uniq, counts = np.unique(run, return_counts=True)
        for r, c in zip(uniq.tolist(), counts.tolist()):
            rows[r] = rows.get(r, 0) + c

    def meta(self, catalog: Catalog) -> list[tuple[str, str]]:
        """The catalog ``meta`` rows naming the runs of this batch (see the module docstring),
        and older batches' rows without the runs this batch takes over (an import that
        crashed before its commit left them claimed); what each run recorded is in the
        batch's ``recorded.parquet``."""
        older = catalog_batches(catalog)
        mine = set(self.runs.tolist())
        taken = {older[r] for r in mine if r in older}
        rows = [batch_meta(self.name, self.runs)]
        for name in sorted(taken):
            rows.append(batch_meta(name, [r for r, n in older.items() if n == name and r not in mine]))
        return rows

    def recorded(self) -> pa.Table:
        """One row per recorded (run, kind, population, variable) with its size ``n``;
        a run that recorded nothing has kind ``none``."""
        cols: dict[str, list[Any]] = {n: [] for n in RECORDED_COLUMNS}

        def note(run: Any, kind: str, pop: str, var: str, n: Any) -> None:
            for key, value in zip(RECORDED_COLUMNS, (run, kind, pop, var, n)):
                cols[key].extend(value if isinstance(value, list) else [value] * len(run))

        runs = self.runs.tolist()
        for pop, counts in sorted(self._spike_counts.items()):
            note(runs, "spikes", pop, "", counts.tolist())
        for run, pop, var, ids, _t0, _dt, _values, _unit in self._signals:
            note([run], "signals", pop, var, [int(ids.size)])
        for name, rows in sorted(self._table_rows.items()):
            note(list(rows), "table", name, "", list(rows.values()))
        empty = sorted(set(runs) - set(cols["run"]))
        note(empty, "none", "", "", [0] * len(empty))
        table = pa.table(
            {
                "run": pa.array(cols["run"], pa.int64()),
                "kind": pa.array(cols["kind"], pa.string()),
                "population": pa.array(cols["population"], pa.string()),
                "variable": pa.array(cols["variable"], pa.string()),
                "n": pa.array(cols["n"], pa.int64()),
            }
        )
        return table.sort_by([("run", "ascending"), ("kind", "ascending"), ("population", "ascending")])

    def write(self, study_path: Path) -> Path:
        """Write the batch atomically (temporary folder renamed into place); returns its folder."""
        final = batch_path(study_path, self.name)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f"{TMP_PREFIX}{self.name}"
        try:
            tmp.mkdir()
            if self._spikes:
                table = pa.concat_tables(self._spikes).sort_by(
                    [
                        ("run", "ascending"),
                        ("population", "ascending"),
                        ("node_id", "ascending"),
                        ("time", "ascending"),
                    ]
                )
                table = table.set_column(1, "population", pc.dictionary_encode(table.column("population")))
                pq.write_table(table, tmp / BATCH_SPIKES, compression="zstd")
            if self._signals:
                self._write_signals(tmp / BATCH_SIGNALS)
            pq.write_table(self.recorded(), tmp / BATCH_RECORDED, compression="zstd")
            for name, parts in self._tables.items():
                frame = pd.concat(parts, ignore_index=True)
                pq.write_table(
                    pa.Table.from_pandas(frame, preserve_index=False),
                    tmp / f"{table_kind(name)}.parquet",
                    compression="zstd",
                )
            os.replace(tmp, final)
        except BaseException:
            remove_path(tmp)
            raise
        return final

    def _write_signals(self, path: Path) -> None:
        with h5py.File(path, "w") as fh:
            for run, pop, var, ids, t0, dt, values, unit in self._signals:
                ds = fh.create_dataset(
                    f"{var}/{pop}/{run}", data=values, compression="gzip", compression_opts=4, shuffle=True
                )
                ds.attrs["node_ids"] = ids
                ds.attrs["t_start"] = t0
                ds.attrs["dt"] = dt
                ds.attrs["unit"] = unit


# ------------------------------------------------------------------ reading
def read_batch_parquet(
    study_path: Path, batch: str, file: str, runs: Sequence[int] | None
) -> pa.Table | None:
    """Rows of ``file`` in a batch (only ``runs`` when given); None when the batch has no such file."""
    path = batch_path(study_path, batch) / file
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        return None
    except (OSError, pa.ArrowInvalid) as exc:
        raise RecordingError(f"cannot read the run batch file {path}: {exc}") from None
    if runs is not None:
        table = table.filter(pc.is_in(table.column("run"), pa.array(list(runs), pa.int64())))
    return table


def read_batch_signals(
    study_path: Path, batch: str, keys: Iterable[tuple[int, str, str]]
) -> Iterator[tuple[np.ndarray, np.ndarray, float, float, str]]:
    """For each ``(run, variable, population)`` of ``keys``, in order: ``(node_ids, data frames x
    nodes, t_start, dt, unit)`` of that signal in a batch (its signals file opened once)."""
    path = batch_path(study_path, batch) / BATCH_SIGNALS
    run, variable, population = -1, "", ""
    try:
        with h5py.File(path, "r") as fh:
            for run, variable, population in keys:
                ds = fh[f"{variable}/{population}/{run}"]
                unit = ds.attrs["unit"]
                yield (
                    np.asarray(ds.attrs["node_ids"], np.int64),
                    np.asarray(ds[()]),
                    float(ds.attrs["t_start"]),
                    float(ds.attrs["dt"]),
                    unit.decode() if isinstance(unit, bytes) else str(unit),
                )
    except (OSError, KeyError) as exc:
        raise RecordingError(
            f"run {run}: cannot read {variable!r} of {population!r} from the run batch file {path}: {exc}"
        ) from None


def read_batch_signal(
    study_path: Path, batch: str, run: int, variable: str, population: str
) -> tuple[np.ndarray, np.ndarray, float, float, str]:
    """``(node_ids, data frames x nodes, t_start, dt, unit)`` of one run's signal in a batch."""
    (signal,) = read_batch_signals(study_path, batch, [(run, variable, population)])
    return signal


def sweep_batches(study_path: Path, referenced: Mapping[str, Any] | set[str]) -> int:
    """Remove batch folders no run refers to (debris of an interrupted import); returns how many."""
    folder = batches_dir(study_path)
    if not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if entry.name not in referenced:
            remove_path(entry)
            removed += 1
    return removed


def copy_batches(source: Path, dest: Path, mapping: Mapping[int, int]) -> dict[str, str]:
    """Copy the run batches of study ``source`` into study ``dest`` with runs renumbered by
    ``mapping`` (old index -> new index; runs not in it are left out). Returns old batch
    name -> new batch name, for the runs' summaries."""
    folder = batches_dir(source)
    renamed: dict[str, str] = {}
    if not folder.is_dir():
        return renamed
    keep = pa.array(sorted(mapping), pa.int64())
    old_ids = np.asarray(sorted(mapping), np.int64)
    new_ids = np.asarray([mapping[i] for i in sorted(mapping)], np.int64)
    for entry in sorted(folder.iterdir()):
        if not entry.is_dir() or entry.name.startswith(TMP_PREFIX):
            continue
        name = batch_name(next_batch_number(dest))
        target = batches_dir(dest) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f"{TMP_PREFIX}{name}"
        try:
            tmp.mkdir()
            for file in entry.glob("*.parquet"):
                table = pq.read_table(file)
                table = table.filter(pc.is_in(table.column("run"), keep))
                runs = new_ids[np.searchsorted(old_ids, table.column("run").to_numpy())]
                table = table.set_column(0, "run", pa.array(runs, pa.int64()))
                pq.write_table(table, tmp / file.name, compression="zstd")
            if (entry / BATCH_SIGNALS).is_file():
                _copy_signals(entry / BATCH_SIGNALS, tmp / BATCH_SIGNALS, mapping)
            os.replace(tmp, target)
        except BaseException:
            remove_path(tmp)
            raise
        renamed[entry.name] = name
    return renamed


def _copy_signals(source: Path, dest: Path, mapping: Mapping[int, int]) -> None:
    with h5py.File(source, "r") as src, h5py.File(dest, "w") as out:
        for var in src:
            for pop in src[var]:
                for run in src[var][pop]:
                    if int(run) in mapping:
                        src.copy(
                            src[f"{var}/{pop}/{run}"],
                            out.require_group(f"{var}/{pop}"),
                            str(mapping[int(run)]),
                        )


def renamed_meta(
    catalog: Catalog, renamed: Mapping[str, str], mapping: Mapping[int, int]
) -> list[tuple[str, str]]:
    """The ``meta`` rows of batches copied to another study (:func:`copy_batches`), with the
    runs renumbered by ``mapping`` (runs not in it left out)."""
    rows = []
    for run, name in sorted(catalog_batches(catalog).items()):
        if name in renamed and run in mapping:
            rows.append((renamed[name], mapping[run]))
    by_batch: dict[str, list[int]] = {}
    for name, run in rows:
        by_batch.setdefault(name, []).append(run)
    return [batch_meta(name, runs) for name, runs in sorted(by_batch.items())]
