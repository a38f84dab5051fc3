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

import os
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import h5py
import numpy as np
import pandas as pd

from neuroloom._io.atomic import remove_path
from neuroloom.datastore.consolidate import after_record
from neuroloom.errors import NeuroloomError, ParameterError, RecordingError
from neuroloom.params.tree import Namespace, group_names
from neuroloom.sonata.reports import frame_populations, read_frame_report, read_spikes
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
    before = _Undo(study)
    try:
        return _add_finished_runs(study, points, write, progress, before)
    except BaseException:
        before.roll_back()
        raise


class _Undo:
    """What a failed import takes back: its new runs, run folders, parameters and explorations."""

    def __init__(self, study: Study) -> None:
        self.study = study
        self.marker = study.marker_snapshot()
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
            study.restore_marker(self.marker)


def _add_finished_runs(
    study: Study,
    points: Sequence[Mapping[str, Any]],
    write: Callable[[Run, int], None],
    progress: bool,
    undo: _Undo,
) -> list[int]:
    from tqdm.auto import tqdm

    from neuroloom.params.values import coerce_column, content_ids

    _ensure_params(study, points)
    clean = [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in p.items()} for p in points]
    study.explore(clean)
    defaults = study.params.values()
    names = list(dict.fromkeys(n for p in clean for n in p))
    columns = {n: coerce_column(n, defaults[n], [p.get(n, defaults[n]) for p in clean]) for n in names}
    ids = content_ids(defaults, columns, len(clean))
    found = study.catalog.runs_by_id(ids)
    study.lock_params()
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


def import_wide_table(
    study: Study, table: pd.DataFrame, params: Any = None, *, population: str = "cell", node_id: int = 0
) -> list[int]:
    """Import a wide spike-time table: one row per trial, spike times (ms) in numeric columns
    padded with NaN, as in in_silico_framework's ``spike_times``.

    ``params``: ``None`` (non-numeric columns are parameters), a list of column
    names, or a DataFrame of parameters with the same index. The row label is
    kept as parameter ``trial`` (text) unless ``params`` already has one.
    """
    if not isinstance(table, pd.DataFrame):
        raise RecordingError(f"import_spike_table: expected a pandas DataFrame, got {type(table).__name__}")
    if isinstance(params, pd.DataFrame):
        if not params.index.equals(table.index):
            raise RecordingError(
                "import_spike_table: the params table must have the same index as the spike table"
            )
        param_frame = params
        spike_cols = [c for c in table.columns if c not in params.columns]
    else:
        names = (
            [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
            if params is None
            else list(params)
        )
        missing = [n for n in names if n not in table.columns]
        if missing:
            raise RecordingError(
                f"import_spike_table: no column(s) {missing}; columns: {list(table.columns)}"
            )
        param_frame = table[names]
        spike_cols = [c for c in table.columns if c not in names]
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
    if "trial" not in param_frame.columns:
        for point, label in zip(points, table.index):
            point["trial"] = str(label)

    def write(run: Run, k: int) -> None:
        row = values[k]
        times = row[~np.isnan(row)]
        run.record_spikes(population, np.full(times.size, node_id, np.int64), times)

    return add_finished_runs(study, points, write, progress=len(points) > 50)
