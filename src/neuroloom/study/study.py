"""``StudyCore``: a study that holds its parts (item store, catalog, marker) and runs its jobs.

On disk (all paths relative)::

    <study>/neuroloom.json        format, kind "study", id, seed, parameter tree, explorations
    <study>/catalog.sqlite        runs, scalar results, sessions (see catalog.py)
    <study>/coordinator.lock      pid/host of the process running or extending the study
    <study>/runs/<shard>/<run>/   files and items of one run (written by its worker only)
    <study>/items/<key>/          the study's own items (``study["x"] = obj``)
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from neuroloom._io.processes import MAIN_GUARD, spawned_import
from neuroloom.errors import ItemNotFoundError, ParameterError, RunFailedError, StudyError
from neuroloom.params.explore import Design, as_design
from neuroloom.params.tree import ParamTree, resolve
from neuroloom.params.values import catalog_form, coerce_column, content_ids
from neuroloom.store import registry
from neuroloom.store.database import Database
from neuroloom.store.keys import Key, normalize_key
from neuroloom.study.backends import Backend, make_backend
from neuroloom.study.catalog import Catalog
from neuroloom.study.lock import StudyLock
from neuroloom.study.marker import STUDY_KIND, StudyMarker
from neuroloom.study.provenance import job_files, prepare_git, session_provenance
from neuroloom.study.run import COMMENTS, DERIVED, RUNS_DIR, Run, run_name, run_seed
from neuroloom.study.run_mount import RunsMount
from neuroloom.study.run_pack import PACK_KIND
from neuroloom.study.run_table import (
    CACHE_MIN_ROWS,
    TABLES_DIR,
    LazyItem,
    RunTable,
    decode_params,
    decode_values,
    find_indices,
    read_cached_table,
    write_cached_table,
)
from neuroloom.study.runlog import LOG
from neuroloom.study.runner import RunReport, run_rounds
from neuroloom.study.worker import WorkerContext

T = TypeVar("T")


class StudyCore(MutableMapping[Key, Any]):
    """The core of a parameter study stored in a directory: it holds its parts.

    - ``store``: the study's item store (a :class:`~neuroloom.store.database.Database`
      of kind ``"study"``), with the runs' values mounted under ``runs``
      (:class:`~neuroloom.study.run_mount.RunsMount`);
    - ``catalog``: runs, results and sessions (:class:`~neuroloom.study.catalog.Catalog`);
    - ``marker``: ``neuroloom.json``, with the seed, the parameter tree and the
      "parameters locked" rule (:class:`~neuroloom.study.marker.StudyMarker`).

    A study is an item store for its users (``study["x"] = obj``, iteration,
    ``metadata``, ``uri``, ``folder``, ...): those calls are forwarded to
    ``store``. The user-facing :class:`neuroloom.Study` (in
    :mod:`neuroloom.datastore.study`) adds the recordings, views and analysis
    results. Parameters are those of :class:`neuroloom.Study` (``path``,
    ``seed``, ``fsync``, ``overwrite``), with its examples.
    """

    kind = STUDY_KIND

    def recorded(self, outcomes: Sequence[Any]) -> None:
        """Hook called by the runner after it recorded finished runs (the data store consolidates)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        seed: int | None = None,
        fsync: bool = False,
        overwrite: bool = False,
    ) -> None:
        if overwrite:
            remove_study(Path(path))
        self.store = Database(path, fsync=fsync, kind=STUDY_KIND)
        self.path: Path = self.store.path
        self.id: str = self.store.id
        self.marker = StudyMarker(self.path, self.store.info, seed=seed, fsync=fsync)
        self.seed: int = self.marker.seed
        self.catalog = Catalog(self.path)
        self.store.mount(RUNS_DIR, RunsMount(self.path, self.catalog))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StudyCore) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def params(self) -> ParamTree:
        """The parameter tree (``study.params.add(name, default, unit=..., comment=...)``)."""
        return self.marker.params

    @property
    def comment(self) -> str:
        """A free-text comment on the study (kept in ``neuroloom.json``)."""
        return self.marker.comment

    @comment.setter
    def comment(self, text: str) -> None:
        self.marker.comment = text

    @property
    def explored(self) -> list[str]:
        """Full names of the explored parameters (pypet ``traj.f_get_explored_parameters()``);
        each run's values are the columns of the same names in :attr:`runs`."""
        return list(self.catalog.param_names())

    @property
    def explorations(self) -> list[dict[str, Any]]:
        """What each ``explore`` call added (kind, ranges, counts, time)."""
        return self.marker.explorations

    def close(self) -> None:
        """Close the catalog connection."""
        self.catalog.close()

    # ------------------------------------------- the item store, forwarded
    def __getitem__(self, key: Key) -> Any:
        return self.store[key]

    def __setitem__(self, key: Key, value: Any) -> None:
        self.store[key] = value

    def __delitem__(self, key: Key) -> None:
        del self.store[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self.store)

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, key: object) -> bool:
        return key in self.store

    def clear(self) -> None:
        """Delete every item of the study (its runs stay; nothing is loaded)."""
        self.store.clear()

    def get(  # type: ignore[override]
        self, key: Key, default: Any = None, *, allow_pickle: bool = False, **options: Any
    ) -> Any:
        """The value of ``key`` or ``default`` (:meth:`Database.get <neuroloom.store.database.Database.get>`).

        ``study.get(("runs", "run_00000003", "rate"))`` reads a run's value.
        """
        return self.store.get(key, default, allow_pickle=allow_pickle, **options)

    def set(
        self, key: Key, value: Any, *, codec: str | None = None, meta: dict[str, Any] | None = None
    ) -> None:
        """Store a study item (:meth:`Database.set <neuroloom.store.database.Database.set>`).

        Keys under ``"runs"`` belong to the runs and are refused.
        """
        self.store.set(key, value, codec=codec, meta=meta)

    def metadata(self, key: Key) -> dict[str, Any]:
        """Codec, provenance, size and URI of an item or a run's value (see ``Database.metadata``)."""
        return self.store.metadata(key)

    def uri(self, key: Key, *inside: str) -> str:
        """``neuroloom://<study-id>/<key>`` of an item or of a run's value (see ``Database.uri``)."""
        return self.store.uri(key, *inside)

    def folder(self, key: Key) -> Path:
        """A managed folder of the study (see ``Database.folder``)."""
        return self.store.folder(key)

    def sub(self, key: Key) -> Database:
        """A sub-database of the study (see ``Database.sub``)."""
        return self.store.sub(key)

    def cached(self, key: Key, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The value of ``key``, computed by ``fn(*args, **kwargs)`` and stored if absent."""
        return self.store.cached(key, fn, *args, **kwargs)

    def change_codec(self, key: Key, codec: str, *, allow_pickle: bool = False) -> None:
        """Store an item again with another codec (see ``Database.change_codec``)."""
        self.store.change_codec(key, codec, allow_pickle=allow_pickle)

    def vacuum(self, min_age: float = 600.0) -> int:
        """Remove debris of crashed writers from the study's items (see ``Database.vacuum``)."""
        return self.store.vacuum(min_age)

    # ----------------------------------------------------------- explore
    def explore(self, design: Design | dict[str, Any] | Sequence[dict[str, Any]]) -> int:
        """Add the points of ``design`` as pending runs; return how many were new.

        Calling it again extends the study (pypet ``f_expand``); a point that is
        already a run (same content id) is not added twice.

        Raises
        ------
        ParameterError
            If the design names a parameter the tree does not have.
        ExplorationError
            If a value does not fit its parameter or the ranges are malformed.
        """
        return self.explore_ids(design)[0]

    def explore_ids(
        self, design: Design | dict[str, Any] | Sequence[dict[str, Any]]
    ) -> tuple[int, list[str], dict[str, list[Any]]]:
        """:meth:`explore`, also returning each point's content id and the coerced columns.

        Returns
        -------
        tuple
            ``(new runs, content id of every point in order, {name: coerced values})``.
        """
        design = as_design(design)
        defaults = self.params.values()
        full: dict[str, str] = {}
        for name in design.names:
            try:
                full[name] = self.params.resolve(name)
            except ParameterError as exc:
                hint = (
                    ""
                    if "ambiguous" in str(exc)
                    else f"; add it first with study.params.add({name!r}, default)"
                )
                raise ParameterError(f"cannot explore {name!r}: {exc}{hint}") from None
        columns = {
            full[n]: coerce_column(full[n], defaults[full[n]], [self.params.plain(full[n], x) for x in v])
            for n, v in design.columns.items()
        }
        names = list(columns)
        ids = content_ids(defaults, columns, design.size)
        with StudyLock(self.path, "adding runs"):
            seen: dict[str, int] = {}
            for pos, run_id in enumerate(ids):
                seen.setdefault(run_id, pos)
            existing = set(self.catalog.runs_by_id(list(seen)))
            keep = [pos for run_id, pos in seen.items() if run_id not in existing]
            start = self.catalog.next_index()
            stored = [_catalog_column(columns[n], defaults[n]) for n in names]
            rows = ((start + k, ids[pos], *(col[pos] for col in stored)) for k, pos in enumerate(keep))
            self.catalog.add_runs(names, rows)
            record = dict(design.description)
            record.update(
                added=len(keep),
                skipped=design.size - len(keep),
                first_index=start if keep else None,
                time=time.time(),
            )
            self.marker.add_exploration(record)
        return len(keep), ids, columns

    # -------------------------------------------------------------- runs
    @property
    def runs(self) -> RunTable:
        """Table of every run: name, id, status, explored parameters, timing, host, error."""
        names = self.catalog.param_names()
        columns, rows = self.catalog.run_rows()
        frame = pd.DataFrame.from_records(rows, columns=columns)
        frame = frame.rename(columns={f"p:{n}": n for n in names}).set_index("idx")
        frame.index.name = "index"
        decode_params(frame, names, self.params.values())
        frame.insert(0, "name", [run_name(i) for i in frame.index])
        for col in ("start", "end"):
            frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
        frame["duration"] = (frame["end"] - frame["start"]).dt.total_seconds()
        frame["seed"] = [run_seed(self.seed, i) for i in frame["id"]]
        order = [
            "name",
            "id",
            "status",
            *names,
            "start",
            "end",
            "duration",
            "host",
            "pid",
            "seed",
            "session",
            "attempts",
            "error",
        ]
        return RunTable(frame[order])

    def find(self, fn: Callable[..., Any], names: Sequence[str] | str | None = None) -> list[int]:
        """Indices of runs whose explored values satisfy ``fn`` (pypet ``f_find_idx``).

        ``study.find(lambda x, y: x == 2 or y == 8)``: argument names select
        parameters (full name with ``_`` for ``.``, or the last component);
        ``names`` (a list, or one name) selects them instead, in order.
        """
        return find_indices(self.runs, fn, names)

    def status(self) -> dict[str, Any]:
        """Counts of pending/done/failed runs and the progress of a running session."""
        from neuroloom.study.lock import lock_is_live, read_lock

        counts = self.catalog.counts()
        lock = read_lock(self.path)
        return {
            **counts,
            "total": sum(counts.values()),
            "running": bool(lock and lock_is_live(lock) and lock.get("purpose") == "running"),
            "lock": lock,
            "progress": self.catalog.get_meta("progress"),
        }

    # ----------------------------------------------------------- results
    def results(self, name: str = "return", *, load: bool = False) -> pd.DataFrame:
        """One row per run holding result ``name``: explored parameters and the value.

        Scalars come from the catalog in one query; values stored in run folders
        appear as :class:`~neuroloom.study.run_table.LazyItem` handles (``load=True``
        reads them all). Large scalar tables are also kept as Parquet in
        ``tables/`` and reread from there until a run records something new.
        """
        (name,) = normalize_key(name)
        known = self.catalog.result_names()
        if name not in known:
            members = [n for n in known if n.startswith(name + ".")]
            if members:
                return self._grouped_results(name, members, load)
            public = [n for n in known if not n.startswith("_")]
            if any(n.endswith("." + name) for n in public):
                return self.results(resolve(name, public, "result"), load=load)
        version = self.catalog.results_version()
        cache = self.path / TABLES_DIR / "results" / f"{name}.parquet"
        cached = read_cached_table(cache, version)
        if cached is not None:
            return cached
        native = self.catalog.results_all_native(name)
        names, rows = self.catalog.results(name, with_kind=not native)
        if not rows and name not in known:
            public = [n for n in known if not n.startswith("_")]  # _: internal
            raise ItemNotFoundError(
                f"no run of study {self.path} has a result {name!r}; "
                f"results: {', '.join(public) or 'none yet'}"
            )
        columns = ["run", *names, *([] if native else [".kind"]), name]
        frame = pd.DataFrame.from_records(rows, columns=columns, index="run")
        decode_params(frame, names, self.params.values())
        if not native:
            kinds = frame.pop(".kind").to_numpy(dtype=object)
            values = decode_values(self.store, name, frame.index.to_numpy(), kinds, frame[name].tolist())
            if load:
                values = [
                    v.load(**({"mmap": False} if v.codec == "npy" else {})) if isinstance(v, LazyItem) else v
                    for v in values
                ]
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
        elif len(frame) >= CACHE_MIN_ROWS:
            write_cached_table(cache, frame, version)
        return frame

    def _grouped_results(self, name: str, members: list[str], load: bool) -> pd.DataFrame:
        """The members ``name.a``, ``name.b`` of a grouped result as columns ``a``, ``b``."""
        frames = [self.results(m, load=load) for m in members]
        params = [c for c in frames[0].columns if c != members[0]]
        parts = [frames[0][params]] + [
            f[[m]].rename(columns={m: m[len(name) + 1 :]}) for m, f in zip(members, frames)
        ]
        return pd.concat(parts, axis=1, join="outer")

    def result_comments(self) -> dict[str, str]:
        """The comments given with results (``run.save(name, value, comment=...)``): name -> comment."""
        import json

        out: dict[str, str] = {}
        if COMMENTS in self.catalog.result_names():
            for row in self.catalog.results(COMMENTS, with_kind=False)[1]:
                out.update(json.loads(row[-1]))
        return out

    def run_log(self, index: int) -> str:
        """What run ``index``'s job printed and logged (stdout, stderr, logging), ``""`` if nothing.

        A failed run's log tail is part of its error (``study.runs.error``).
        """
        if not self.catalog.run_rows("WHERE idx=?", (int(index),))[1]:
            raise StudyError(
                f"study {self.path} has no run {index}; runs are 0 to {self.catalog.next_index() - 1}"
            )
        row = self.catalog.result(LOG, int(index))
        if row is None:
            return ""
        if row[0] in ("item", PACK_KIND):  # a long log: an item of the run, or in its archive
            return bytes(LazyItem(self.store, int(index), LOG, str(row[1])).load()).decode("utf-8")
        return str(row[1])

    def run_result(self, index: int, name: str, default: Any = None) -> Any:
        """Result ``name`` of run ``index`` (an item read from its folder), ``default`` if it has none."""
        row = self.catalog.result(name, int(index))
        if row is None:
            return default
        value = decode_values(
            self.store, name, np.asarray([int(index)]), np.asarray([row[0]], dtype=object), [row[1]]
        )[0]
        return value.load() if hasattr(value, "load") else value

    def derived_values(self, index: int) -> dict[str, Any]:
        """Derived parameters of run ``index`` (``study.params.derive``, ``run.derive``): name -> value."""
        return {name: self.run_result(index, name) for name in self.run_result(index, DERIVED, [])}

    def run_results(self, index: int) -> dict[str, Any]:
        """Every result of run ``index`` (items read from its folder)."""
        out: dict[str, Any] = {}
        for name, kind, value in self.catalog.run_results(index):
            out[name] = decode_values(
                self.store, name, np.asarray([index]), np.asarray([kind], dtype=object), [value]
            )[0]
            if hasattr(out[name], "load"):
                out[name] = out[name].load()
        return out

    # --------------------------------------------------------------- run
    def run(
        self,
        job: Callable[[Run], Any],
        *,
        backend: str | Backend = "processes",
        workers: int | None = None,
        address: str | None = None,
        client: Any = None,
        retry_failed: bool = False,
        chunk_size: int | None = None,
        progress: bool = True,
        then: Callable[[StudyCore], Any] | None = None,
        max_rounds: int = 100,
        git_commit: bool = False,
        git_fail: bool = False,
        git_repo: str | os.PathLike[str] | None = None,
        raise_on_failure: bool = True,
        quantities: bool = True,
    ) -> RunReport:
        """Call ``job(run)`` for every pending run and record what it returns.

        Parameters
        ----------
        job
            ``job(run) -> value``; the value is stored as result ``"return"``.
        backend
            ``"serial"``, ``"processes"`` (default) or ``"dask"``.
        workers
            Worker processes (default: CPU count; dask: LocalCluster size).
        address, client
            dask: a scheduler address, or an existing ``distributed.Client``.
        retry_failed
            Run failed runs again too.
        chunk_size
            Runs per task (default: chosen from the number of runs and workers).
        progress
            Show a progress bar (done, failed, rate, ETA).
        then
            ``then(study)`` after the runs; runs it adds are run, and ``then``
            is called again (pypet's adaptive post-processing loop).
        git_commit, git_fail, git_repo
            Commit the user's code first / refuse a dirty tree; ``git_repo``
            names the repository (default: the running script's directory).
        raise_on_failure
            Raise :class:`~neuroloom.errors.RunFailedError` after the runs if
            any failed (finished runs are kept either way).
        quantities
            Give the job parameters declared as quantities (Brian2, ...) back
            as quantities; ``False`` gives the plain numbers in their units.

        Returns
        -------
        RunReport
            Counts, time and the names of failed runs.
        """
        if spawned_import():
            raise StudyError(f"study.run() in {self.path}: {MAIN_GUARD}")
        report, t0 = RunReport(), time.monotonic()
        with StudyLock(self.path, "running"):
            chosen, session = self._begin_run(
                job, backend, workers, address, client, git_repo, git_commit, git_fail
            )
            try:
                run_rounds(
                    self._next_specs,
                    self._backend_starter(chosen, job, quantities),
                    self.catalog,
                    session,
                    report,
                    retry_failed=retry_failed,
                    chunk_size=chunk_size,
                    progress=progress,
                    then=(lambda: then(self)) if then is not None else None,
                    on_recorded=self.recorded,
                    max_rounds=max_rounds,
                )
            finally:
                self._end_run(session, report, t0)
        return self._finish_run(report, raise_on_failure)

    def _begin_run(
        self,
        job: Callable[[Run], Any],
        backend: str | Backend,
        workers: int | None,
        address: str | None,
        client: Any,
        git_repo: str | os.PathLike[str] | None,
        git_commit: bool,
        git_fail: bool,
    ) -> tuple[Backend, int]:
        """Git state, parameters locked, the backend chosen and a session begun: ``(backend, session)``."""
        git = prepare_git(
            Path(git_repo) if git_repo is not None else None,
            commit=git_commit,
            fail=git_fail,
            message=f"neuroloom: code of study {self.path.name} ({self.id})",
            code_files=job_files(job),
        )
        self.params.check_presets()
        self.marker.lock_params()
        chosen = make_backend(backend, workers, address, client)
        provenance = session_provenance(git, chosen.name, chosen.workers)
        session = self.catalog.begin_session(chosen.name, socket.gethostname(), os.getpid(), provenance)
        return chosen, session

    def _end_run(self, session: int, report: RunReport, t0: float) -> None:
        """End the session; the report's time and the runs still pending."""
        self.catalog.end_session(session)
        report.seconds = time.monotonic() - t0
        report.pending = self.catalog.count("pending")

    def _next_specs(self, retry: bool) -> list[tuple[Any, ...]]:
        """The runs of the next round (failed ones too with ``retry``, their results cleared)."""
        specs = self.catalog.pending(retry)
        if retry:
            self.catalog.clear_results([s[0] for s in specs])
        return specs

    def _backend_starter(
        self, chosen: Backend, job: Callable[[Run], Any], quantities: bool
    ) -> Callable[[], Backend]:
        """A function, called before each round, starting ``chosen`` (again if the explored names changed)."""
        state: dict[str, Any] = {}

        def start_backend() -> Backend:
            explored = self.catalog.param_names()
            if state.get("explored") == explored:
                backend_now: Backend = state["backend"]
                return backend_now
            if "backend" in state:
                state["backend"].stop()
            derived = {n: f for n, (f, _u, _c) in self.params.derived.items()}
            ctx = WorkerContext(self.path, self.id, self.seed, self.params.values(), explored, job, derived)
            if quantities:
                ctx.units = {
                    n: (p.unit, p.library) for n in self.params if (p := self.params.info(n)).library
                }
            chosen.start(ctx)
            state.update(explored=explored, backend=chosen)
            return chosen

        return start_backend

    def _finish_run(self, report: RunReport, raise_on_failure: bool) -> RunReport:
        """``report``, or (``raise_on_failure``) RunFailedError if runs failed; finished runs are kept."""
        if not (report.failed and raise_on_failure):
            return report
        shown = ", ".join(report.failures[:5]) + (" ..." if report.failed > 5 else "")
        raise RunFailedError(
            f"{report.failed} run(s) of study {self.path} failed ({shown}); the {report.done} finished "
            f"runs are kept. First error:\n{report.first_error}\nSee study.runs.where(status='failed'); "
            "fix the job and rerun with study.run(job, retry_failed=True)"
        )

    def provenance(self) -> list[dict[str, Any]]:
        """Every coordinating session: start/end, host, pid, backend, versions, git state."""
        return self.catalog.sessions()


# ------------------------------------------------------------------ helpers
def study_store(path: str | os.PathLike[str]) -> Database:
    """The item store of the study at ``path``, its runs' values mounted (``store.uri.OPENERS``)."""
    return StudyCore(path).store


def remove_study(path: Path) -> None:
    """Delete the study at ``path`` (``overwrite=True``); refuse anything that is not one.

    Raises
    ------
    StudyError
        If ``path`` is a file, a folder that is neither empty nor a neuroloom
        study, or a study another live process is running.
    """
    import json
    import shutil

    from neuroloom._io.atomic import tmp_name
    from neuroloom.study.lock import lock_is_live, read_lock

    if not path.exists():
        return
    if not path.is_dir():
        raise StudyError(f"overwrite: {path} is a file, not a study folder; choose another path")
    if not any(path.iterdir()):
        return
    marker = path / registry.MARKER
    try:
        kind = json.loads(marker.read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind != STUDY_KIND:
        raise StudyError(
            f"overwrite: {path} is not a neuroloom study (no {registry.MARKER} of kind 'study'); "
            "refusing to delete it: choose another path or delete it yourself"
        )
    lock = read_lock(path)
    if lock and lock_is_live(lock):
        raise StudyError(
            f"overwrite: study {path} is in use by pid {lock.get('pid')} on {lock.get('host')} "
            f"({lock.get('purpose')}); stop it first"
        )
    trash = path.with_name(tmp_name(path.name))
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def _catalog_column(values: list[Any], default: Any) -> list[Any]:
    native = type(default) in (bool, int, float, str)
    if native and all(type(v) in (int, float, str) for v in values):
        return values
    return [catalog_form(v, native) for v in values]
