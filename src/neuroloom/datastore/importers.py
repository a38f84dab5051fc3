"""Import recordings made elsewhere into a study as finished runs with parameters.

- SONATA spike reports and frame reports (bmtk, neurodamus, libsonata):
  ``study.import_spikes(path, params)``, ``study.import_reports([(params, spikes, {var: report})])``;
- in_silico_framework-style wide spike-time tables (one row per trial,
  spike-time columns padded with NaN, parameter columns such as ``stim``):
  ``study.import_spike_table(table, params)``.

Parameters the study does not have yet are added (default: the first imported
value) while the parameter tree is still unlocked. Each imported point becomes
a run (or finds its existing run: importing the same point twice does not
duplicate it), its recordings are written into its run folder as by
``run.record_spikes`` / ``run.record_signal``, and it is recorded as done by
this (coordinating) process, which also adds it to the consolidated tables.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from neuroloom._io.atomic import remove_path
from neuroloom.datastore.consolidate import add_batch_to_tables, after_record
from neuroloom.errors import NeuroloomError, ParameterError, RecordingError
from neuroloom.params.tree import Namespace, group_names
from neuroloom.sonata.reports import frame_populations, read_frame_report, read_spikes
from neuroloom.study.batches import (
    RunBatch,
    batch_path,
    catalog_batches,
    next_batch_number,
    sweep_batches,
)
from neuroloom.study.lock import StudyLock
from neuroloom.study.run import Run, run_folder
from neuroloom.study.worker import Outcome

if TYPE_CHECKING:
    from neuroloom.study.study import StudyCore as Study

_SECONDS = {"s", "sec", "second", "seconds"}


def _ensure_params(study: Study, points: Sequence[Mapping[str, Any]]) -> None:
    defaults = study.params.values()
    for point in points:
        for name, value in point.items():
            if name in defaults:
                continue
            if study.params.locked:
                raise ParameterError(
                    f"import: the study has no parameter {name!r} and its parameters are locked (runs have "
                    f"started); import into a new study or use its parameters: {', '.join(sorted(defaults))}"
                )
            study.params.add(name, value.item() if isinstance(value, np.generic) else value)
            defaults = study.params.values()


def _point_runs(
    study: Study, points: Sequence[Mapping[str, Any]]
) -> tuple[list[str], dict[str, Any], list[str], dict[str, list[Any]]]:
    """Explore ``points``; returns their content ids, the defaults, the explored names and the
    coerced columns."""
    _ensure_params(study, points)
    clean = [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in p.items()} for p in points]
    _added, ids, columns = study.explore_ids(clean)
    return ids, study.params.values(), list(columns), columns


def add_finished_runs(
    study: Study,
    points: Sequence[Mapping[str, Any]],
    write: Callable[[Run, int], None],
    *,
    progress: bool = True,
) -> list[int]:
    """Explore ``points``, call ``write(run, k)`` for each new one and record them as done.

    All or nothing: if any ``write`` (or the recording) fails, the runs this
    call added, their run folders, the parameters and explorations it added
    are taken back before the error is raised, so no pending run is left for
    the next ``study.run(job)`` to execute.
    """
    if not points:
        return []
    with _all_or_nothing(study):
        return _add_finished_runs(study, points, write, progress)


@contextlib.contextmanager
def _all_or_nothing(study: Study) -> Iterator[None]:
    """Take back what the block added to ``study`` if it raises (then raise again)."""
    before = _Undo(study)
    try:
        yield
    except BaseException:
        before.roll_back()
        raise


class _Undo:
    """What a failed import takes back: its new runs, run folders, parameters and explorations."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.marker = study.marker.snapshot()
        self.columns = set(study.catalog.param_names())
        self.first_new = study.catalog.next_index()

    def roll_back(self) -> None:
        study, catalog = self.study, self.study.catalog
        new = catalog.unfinished_from(self.first_new)
        with StudyLock(study.path, "undoing a failed import"):
            catalog.remove_runs(new)
            for idx in new:
                remove_path(run_folder(study.path, idx))
            catalog.drop_params(set(catalog.param_names()) - self.columns)
            study.marker.restore(self.marker)


def _add_finished_runs(
    study: Study,
    points: Sequence[Mapping[str, Any]],
    write: Callable[[Run, int], None],
    progress: bool,
) -> list[int]:
    from tqdm.auto import tqdm

    ids, defaults, names, columns = _point_runs(study, points)
    found = study.catalog.runs_by_id(ids)
    study.marker.lock_params()
    groups = group_names(defaults)
    indices = [found[i][0] for i in ids]
    outcomes: list[Outcome] = []
    seen: set[int] = set()
    with StudyLock(study.path, "importing runs"):
        session = study.catalog.begin_session("import", socket.gethostname(), os.getpid(), {})
        try:
            for k in tqdm(range(len(ids)), desc="importing", unit="run", disable=not progress):
                idx, status = found[ids[k]]
                if status == "done" or idx in seen:
                    continue
                seen.add(idx)
                params = dict(defaults)
                for n in names:
                    params[n] = columns[n][k]
                run = Run(study.path, study.id, study.seed, idx, ids[k], Namespace(params, groups))
                start = time.time()
                write(run, k)
                outcomes.append(
                    Outcome(
                        idx, True, start, time.time(), socket.gethostname(), os.getpid(), None, run.results()
                    )
                )
            study.catalog.record(outcomes, session)
        finally:
            study.catalog.end_session(session)
        after_record(study.catalog, outcomes)
    return indices


@dataclass(frozen=True)
class ImportedRun:
    """The outcome of an imported run as the catalog records it: done, with results, and no
    timing, host or process of its own (its import session has them)."""

    idx: int
    results: list[tuple[str, str, Any]]
    ok: bool = True
    start: float | None = None
    end: float | None = None
    host: str | None = None
    pid: int | None = None
    error: str | None = None


def add_batch_runs(
    study: Study,
    points: Sequence[Mapping[str, Any]],
    fill: Callable[[RunBatch, np.ndarray], None],
    results: Callable[[int], Sequence[tuple[str, str, Any]]] | None = None,
    *,
    tables: bool = True,
) -> list[int]:
    """Explore ``points`` and store the new ones as finished runs of one run batch.

    ``fill(batch, run_of_point)`` adds the recordings: ``run_of_point[k]`` is the
    run index of point ``k``, or -1 when that point is already done (skip it).
    The batch is written atomically before the runs are recorded as done (one
    transaction); ``results(k)`` adds scalar results ``(name, kind, value)``.
    ``tables=False`` leaves the consolidated tables to a later ``study.consolidate()``
    (an importer adding many batches consolidates once at the end).
    """
    if not points:
        return []
    with _all_or_nothing(study):
        return _add_batch_runs(study, points, fill, results, tables)


def _add_batch_runs(
    study: Study,
    points: Sequence[Mapping[str, Any]],
    fill: Callable[[RunBatch, np.ndarray], None],
    results: Callable[[int], Sequence[tuple[str, str, Any]]] | None,
    tables: bool,
) -> list[int]:
    ids, _defaults, _names, _columns = _point_runs(study, points)
    found = study.catalog.runs_by_id(ids)
    study.marker.lock_params()
    indices = np.asarray([found[i][0] for i in ids], dtype=np.int64)
    fresh = np.asarray([found[i][1] != "done" for i in ids], dtype=bool)
    _, first = np.unique(indices, return_index=True)
    once = np.zeros(len(ids), dtype=bool)
    once[first] = True
    run_of_point = np.where(fresh & once, indices, -1)
    new_runs = run_of_point[run_of_point >= 0]
    if not new_runs.size:
        return [int(i) for i in indices]
    with StudyLock(study.path, "importing runs"):
        sweep_batches(study.path, set(catalog_batches(study.catalog).values()))
        batch = RunBatch(new_runs, next_batch_number(study.path))
        fill(batch, run_of_point)
        batch.write(study.path)
        host, pid = socket.gethostname(), os.getpid()
        point_of_run = {int(r): k for k, r in enumerate(run_of_point.tolist()) if r >= 0}
        outcomes = [
            ImportedRun(idx, list(results(point_of_run[idx])) if results else []) for idx in point_of_run
        ]
        session = study.catalog.begin_session("import", host, pid, {})
        try:
            study.catalog.record(outcomes, session, batch.meta(study.catalog))
        except BaseException:
            remove_path(batch_path(study.path, batch.name))  # not in the catalog: the runs stay not done
            raise
        finally:
            study.catalog.end_session(session)
        if tables:
            add_batch_to_tables(study.path, study.catalog, batch.name, batch.runs)
    return [int(i) for i in indices]


def _spike_units(path: Path) -> float:
    try:
        with h5py.File(path, "r") as fh:
            root = fh["spikes"]
            groups = (
                [root] if "timestamps" in root else [g for g in root.values() if isinstance(g, h5py.Group)]
            )
            for grp in groups:
                units = grp["timestamps"].attrs.get("units", b"ms")
                text = units.decode() if isinstance(units, bytes) else str(units)
                if text.strip().lower() in _SECONDS:
                    return 1000.0
    except (OSError, KeyError):
        pass
    return 1.0


def _write_spikes(run: Run, path: Path, populations: Iterable[str] | None) -> None:
    try:
        frame = read_spikes(path, list(populations) if populations is not None else None)
    except NeuroloomError as exc:
        raise RecordingError(f"import of {path}: {exc}") from None
    except OSError as exc:
        raise RecordingError(f"import of {path}: not a readable SONATA spike report ({exc})") from None
    scale = _spike_units(path)
    for pop, grp in frame.groupby("population", observed=True):
        try:
            run.record_spikes(str(pop), grp["node_id"].to_numpy(), grp["timestamp"].to_numpy() * scale)
        except RecordingError as exc:
            raise RecordingError(f"import of {path}: {exc}") from None


def _write_frames(run: Run, variable: str, path: Path) -> None:
    try:
        pops = frame_populations(path)
        if not pops:
            raise RecordingError(
                f"import of {path}: no /report/<population> group; not a SONATA frame report"
            )
        for pop in pops:
            rep = read_frame_report(path, pop)
            assert rep.index_pointers is not None
            first = rep.index_pointers[:-1].astype(np.int64)
            data = np.asarray(rep.data)[:, first]  # one column per node: its first element (the soma)
            tstart, _tstop, dt = rep.times
            scale = 1000.0 if rep.time_units.strip().lower() in _SECONDS else 1.0
            run.record_signal(
                pop,
                variable,
                rep.node_ids.astype(np.int64),
                dt * scale,
                data,
                rep.units,
                t_start=tstart * scale,
            )
    except RecordingError:
        raise
    except (NeuroloomError, OSError, KeyError, ValueError) as exc:
        raise RecordingError(f"import of frame report {path}: {exc}") from None


def import_reports(
    study: Study,
    runs: Sequence[tuple[Mapping[str, Any], Any, Mapping[str, Any]]],
    *,
    populations: Iterable[str] | None = None,
) -> list[int]:
    """Import ``(params, spike report path or None, {variable: frame report path})`` runs."""
    for _p, spikes, frames in runs:
        for path in ([spikes] if spikes is not None else []) + list(frames.values()):
            if not Path(path).is_file():
                raise RecordingError(f"import: no such report file {path}")

    def write(run: Run, k: int) -> None:
        _params, spikes, frames = runs[k]
        if spikes is not None:
            _write_spikes(run, Path(spikes), populations)
        for variable, path in frames.items():
            _write_frames(run, variable, Path(path))

    return add_finished_runs(study, [dict(p) for p, _s, _f in runs], write, progress=len(runs) > 50)


ISF_INDEX_NAMES = ("sim_trial_index", "sim_trail_index")


def _is_number_label(label: Any) -> bool:
    return (isinstance(label, (int, np.integer)) and not isinstance(label, bool)) or (
        isinstance(label, str) and label.isdigit()
    )


def _split_columns(study: Study, table: pd.DataFrame, params: Any) -> tuple[pd.DataFrame, list[Any]]:
    """``(parameter frame, spike-time columns)`` of a wide table.

    With ``params=None``: when some columns are numbered (ISF's ``0, 1, ...``) those are
    the spike times and every other column is a parameter; otherwise the numeric
    columns are spike times except those named like a parameter of the study.
    """
    if isinstance(params, pd.DataFrame):
        if not params.index.equals(table.index):
            raise RecordingError(
                "import_spike_table: the params table must have the same index as the spike table"
            )
        return params, [c for c in table.columns if c not in params.columns]
    if params is None:
        numbered = [c for c in table.columns if _is_number_label(c)]
        known = set(study.params.values())
        names = (
            [c for c in table.columns if c not in numbered]
            if numbered
            else [
                c
                for c in table.columns
                if not pd.api.types.is_numeric_dtype(table[c]) or str(c) in known or str(c) == "trial"
            ]
        )
    else:
        names = list(params)
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise RecordingError(f"import_spike_table: no column(s) {missing}; columns: {list(table.columns)}")
    return table[names], [c for c in table.columns if c not in names]


def _label_param(study: Study, table: pd.DataFrame, param_frame: pd.DataFrame) -> str | None:
    """The parameter that keeps the row label (text), or None when the parameters name it already."""
    if table.index.name in ISF_INDEX_NAMES:
        name = "sim_trial_index"
    else:
        name = str(table.index.name) if table.index.name else "trial"
        default = study.params.values().get(name)
        if name == "trial" and default is not None and not isinstance(default, str):
            name = "sim_trial_index"
    return None if name in param_frame.columns else name


def import_wide_table(
    study: Study, table: pd.DataFrame, params: Any = None, *, population: str = "cell", node_id: int = 0
) -> list[int]:
    """Import a wide spike-time table: one row per trial, spike times (ms) in numeric columns
    padded with NaN, as in in_silico_framework's ``spike_times``.

    ``params``: ``None`` (see below), a list of column names, or a DataFrame of
    parameters with the same index. With ``None``, numbered columns (ISF's
    ``0, 1, 2, ...``) hold the spike times and every other column is a
    parameter; a table without numbered columns has its numeric columns read as
    spike times, except a column named ``trial`` or like a study parameter.
    The row label is kept as a text parameter: ``sim_trial_index`` for ISF's
    index (``sim_trail_index``) or when the study's ``trial`` is not text, else
    ``trial`` (or the index's name), unless ``params`` already has it.

    The runs are stored in one run batch (a few files for the whole table).
    """
    if not isinstance(table, pd.DataFrame):
        raise RecordingError(f"import_spike_table: expected a pandas DataFrame, got {type(table).__name__}")
    param_frame, spike_cols = _split_columns(study, table, params)
    bad = [c for c in spike_cols if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise RecordingError(
            f"import_spike_table: spike-time columns {bad} are not numeric; name them in params="
        )
    values = table[spike_cols].to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() < 0:
        raise RecordingError(f"import_spike_table: negative spike time {finite.min()} ms")
    if np.isinf(values).any():
        raise RecordingError("import_spike_table: infinite spike times; use NaN for padding")
    points: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in param_frame.to_dict("records")]
    label = _label_param(study, table, param_frame)
    if label is not None:
        for point, row_label in zip(points, table.index):
            point[label] = str(row_label)

    def fill(batch: RunBatch, run_of_point: np.ndarray) -> None:
        rows, _cols = np.nonzero(~np.isnan(values) & (run_of_point >= 0)[:, None])
        batch.add_spikes(population, run_of_point[rows], np.full(rows.size, node_id), values[rows, _cols])

    return add_batch_runs(study, points, fill)
