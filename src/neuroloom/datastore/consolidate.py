"""Consolidated Parquet tables of a study's recordings, for questions across runs.

Layout (all under ``<study>/tables/``)::

    manifest.json                  which part files make up each table (replaced atomically)
    runs-<uid>.parquet             run, status and explored parameters of every run
    spikes/part-<uid>.parquet      run, population, node_id, time (ms); sorted in that order
    signals/part-<uid>.parquet     one row per (run, population, variable, node): unit,
                                   t_start, dt, n_frames, mean, std, min, max
    recorded/part-<uid>.parquet    one row per recorded (run, kind, population, variable); kind
                                   "size" rows hold a population's neuron count in ``n``
    table_<name>/part-<uid>.parquet  run + the columns of the per-run table ``name``
                                   (``run.record_table``, ISF synapse/cell activations)

A run's recordings are read from its run folder, or, for runs written in a
batch by an importer (``"batch"`` in its summary), from the batch's files
(:mod:`neuroloom.study.batches`), one read per batch.

New runs become new part files; the manifest naming the parts is then replaced
atomically, and only after that are parts it no longer names removed. A reader
therefore always sees a complete set of parts, and a crash at any point leaves
either the old tables or the new ones. Parts are merged into one sorted file
when there are more than :data:`MAX_PARTS` of them.

The coordinating process updates the tables after recording finished runs
(:func:`after_record`, called by the runner); ``study.consolidate()`` brings
them up to date at any time (runs recorded but not yet in the tables are read,
runs that are no longer recorded are dropped).

A run whose files cannot be read (a truncated ``spikes.h5``) is quarantined:
reported once with a warning, named in the manifest (``quarantined``: index ->
reason) and left out of the tables and of every view, so the other runs can
still be queried. ``consolidate(rebuild=True)`` tries it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import uuid
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neuroloom._io.atomic import remove_path, write_json
from neuroloom._io.names import MANIFEST as MANIFEST
from neuroloom._io.names import TABLES_DIR as TABLES  # re-exported
from neuroloom.errors import RecordingError, StorageError
from neuroloom.sonata.reports import read_frame_report
from neuroloom.study.batches import (
    BATCH_RECORDED,
    BATCH_SPIKES,
    catalog_batches,
    read_batch_parquet,
    read_batch_signals,
)
from neuroloom.study.recordings import RECORDINGS, SPIKES_FILE, TABLE_PREFIX, report_file, table_kind
from neuroloom.study.run import run_folder

if TYPE_CHECKING:
    from neuroloom.study.catalog import Catalog

TABLES_FORMAT = 1
BATCH_FIELD = "batch"
MAX_PARTS = 8
KINDS = ("spikes", "signals", "recorded")

SPIKES_SCHEMA = pa.schema(
    [
        ("run", pa.int64()),
        ("population", pa.dictionary(pa.int32(), pa.string())),
        ("node_id", pa.int64()),
        ("time", pa.float64()),
    ]
)
SIGNALS_SCHEMA = pa.schema(
    [
        ("run", pa.int64()),
        ("population", pa.string()),
        ("variable", pa.string()),
        ("node_id", pa.int64()),
        ("unit", pa.string()),
        ("t_start", pa.float64()),
        ("dt", pa.float64()),
        ("n_frames", pa.int64()),
        ("mean", pa.float64()),
        ("std", pa.float64()),
        ("min", pa.float64()),
        ("max", pa.float64()),
    ]
)
RECORDED_SCHEMA = pa.schema(
    [
        ("run", pa.int64()),
        ("kind", pa.string()),
        ("population", pa.string()),
        ("variable", pa.string()),
        ("n", pa.int64()),
    ]
)
SCHEMAS = {"spikes": SPIKES_SCHEMA, "signals": SIGNALS_SCHEMA, "recorded": RECORDED_SCHEMA}
SORT_KEYS = {
    "spikes": [
        ("run", "ascending"),
        ("population", "ascending"),
        ("node_id", "ascending"),
        ("time", "ascending"),
    ],
    "signals": [
        ("run", "ascending"),
        ("population", "ascending"),
        ("variable", "ascending"),
        ("node_id", "ascending"),
    ],
    "recorded": [("run", "ascending"), ("kind", "ascending"), ("population", "ascending")],
}


# ------------------------------------------------------------------ manifest
def tables_dir(study_path: Path) -> Path:
    return study_path / TABLES


def empty_manifest() -> dict[str, Any]:
    return {
        "format": TABLES_FORMAT,
        "fingerprint": None,
        "recorded_runs": 0,
        "runs": None,
        "params": [],
        "parts": {k: [] for k in KINDS},
        "tables": [],
    }


def read_manifest(study_path: Path) -> dict[str, Any]:
    """The manifest of the study's tables (an empty one before the first consolidation)."""
    path = tables_dir(study_path) / MANIFEST
    try:
        text = path.read_text()
    except FileNotFoundError:
        return empty_manifest()
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc}") from None
    try:
        data: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError:
        raise StorageError(
            f"{path} is not valid JSON; run study.consolidate(rebuild=True) to rebuild the tables"
        ) from None
    if data.get("format", 0) > TABLES_FORMAT:
        raise StorageError(f"{path}: tables format {data.get('format')} is newer than this neuroloom reads")
    return data


def catalog_stat(study_path: Path) -> list[int]:
    """Modification time and size of the catalog and its WAL: unchanged means no commit since."""
    out: list[int] = []
    for suffix in ("", "-wal"):
        try:
            st = os.stat(study_path / f"catalog.sqlite{suffix}")
            out += [st.st_mtime_ns, st.st_size] if st.st_size else [0, 0]
        except FileNotFoundError:
            out += [0, 0]
    return out


def is_fresh(manifest: Mapping[str, Any], current: Sequence[int]) -> bool:
    return manifest.get("fingerprint") == list(current) and manifest.get("recorded_runs") == current[2]


@contextlib.contextmanager
def tables_lock(study_path: Path) -> Iterator[None]:
    """Exclusive lock of the tables directory (one consolidating process at a time)."""
    folder = tables_dir(study_path)
    folder.mkdir(exist_ok=True)
    with open(folder / ".lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def part_paths(study_path: Path, manifest: Mapping[str, Any], kind: str) -> list[Path]:
    folder = tables_dir(study_path)
    return [folder / p["file"] for p in manifest["parts"].get(kind, [])]


def table_kinds(manifest: Mapping[str, Any]) -> list[str]:
    """Every table of the manifest: spikes, signals, recorded and the per-run tables."""
    return list(KINDS) + sorted(k for k in manifest["parts"] if k.startswith(TABLE_PREFIX))


_CACHE: dict[tuple[str, tuple[str, ...]], pa.Table] = {}
_CACHE_ROWS = 2_000_000


def load_parquet(path: Path, columns: Sequence[str]) -> pa.Table:
    """Columns of a table file. Part and runs files are immutable (fresh unique names),
    so small ones are kept in memory by name."""
    key = (str(path), tuple(columns))
    table = _CACHE.get(key)
    if table is not None:
        return table
    try:
        table = pq.ParquetFile(path, memory_map=True).read(columns=list(columns))
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowInvalid) as exc:
        raise StorageError(
            f"cannot read the consolidated table {path}: {exc}; rebuild with study.consolidate(rebuild=True)"
        ) from None
    if table.num_rows <= _CACHE_ROWS:
        if len(_CACHE) >= 64:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = table
    return table


def read_parts(
    study_path: Path, manifest: Mapping[str, Any], kind: str, columns: Sequence[str] | None = None
) -> pa.Table:
    """One table of the manifest (selected columns), parts concatenated."""
    paths = part_paths(study_path, manifest, kind)
    schema = SCHEMAS.get(kind) or (pq.read_schema(paths[0]) if paths else pa.schema([("run", pa.int64())]))
    cols = list(columns) if columns is not None else schema.names
    tables = [load_parquet(path, cols) for path in paths]
    if not tables:
        return pa.schema([schema.field(c) for c in cols if c in schema.names]).empty_table()
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables, promote_options="permissive")


# ------------------------------------------------------------- run folders
def _read_spike_file(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    try:
        import libsonata

        reader = libsonata.SpikeReader(str(path))
        out = {}
        for pop in reader.get_population_names():
            data = reader[pop].get_dict()
            out[pop] = (np.asarray(data["node_ids"], np.int64), np.asarray(data["timestamps"], np.float64))
        return out
    except ImportError:  # pragma: no cover - libsonata is optional
        from neuroloom.sonata.reports import read_spikes

        frame = read_spikes(path)
        return {
            str(pop): (g["node_id"].to_numpy(np.int64), g["timestamp"].to_numpy(np.float64))
            for pop, g in frame.groupby("population", observed=True)
        }


def read_run(study_path: Path, idx: int, summary: Mapping[str, Any]) -> dict[str, list[pa.Table]]:
    """The rows a run adds to each table, read from its run folder."""
    folder = run_folder(study_path, idx)
    out: dict[str, list[pa.Table]] = {k: [] for k in KINDS}
    rec_rows: dict[str, list[Any]] = {n: [] for n in RECORDED_SCHEMA.names}

    def note(kind: str, pop: str, var: str, n: int) -> None:
        for k, v in zip(RECORDED_SCHEMA.names, (idx, kind, pop, var, n)):
            rec_rows[k].append(v)

    spikes = summary.get("spikes") or {}
    if spikes:
        path = folder / SPIKES_FILE
        try:
            data = _read_spike_file(path)
        except Exception as exc:
            raise RecordingError(f"run {idx}: cannot read its spike report {path}: {exc}") from None
        for pop in sorted(spikes):
            ids, times = data.get(pop, (np.zeros(0, np.int64), np.zeros(0)))
            note("spikes", pop, "", int(ids.size))
            if ids.size:
                out["spikes"].append(
                    pa.table(
                        {
                            "run": np.full(ids.size, idx, np.int64),
                            "population": pa.DictionaryArray.from_arrays(
                                np.zeros(ids.size, np.int32), pa.array([pop])
                            ),
                            "node_id": ids,
                            "time": times,
                        },
                        schema=SPIKES_SCHEMA,
                    )
                )
    for pop, size in sorted((summary.get("sizes") or {}).items()):
        note("size", pop, "", int(size))  # the population's neuron count in this run
    for var, pops in sorted((summary.get("signals") or {}).items()):
        path = folder / report_file(var)
        for pop in sorted(pops):
            try:
                rep = read_frame_report(path, pop)
            except Exception as exc:
                raise RecordingError(f"run {idx}: cannot read its frame report {path}: {exc}") from None
            note("signals", pop, var, int(rep.node_ids.size))
            signal = (rep.node_ids, rep.data, rep.times[0], rep.times[2], rep.units)
            out["signals"].append(_signal_rows(idx, pop, var, signal))
    for name in sorted(summary.get("tables") or {}):
        path = folder / f"{table_kind(name)}.parquet"
        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise RecordingError(f"run {idx}: cannot read its table {name!r} ({path}): {exc}") from None
        note("table", name, "", int(table.num_rows))
        runs = pa.array(np.full(table.num_rows, idx, np.int64))
        out.setdefault(table_kind(name), []).append(table.add_column(0, "run", runs))
    if not rec_rows["run"]:
        note("none", "", "", 0)
    out["recorded"].append(pa.table(rec_rows, schema=RECORDED_SCHEMA))
    return out


def _signal_rows(idx: int, pop: str, var: str, signal: tuple[Any, ...]) -> pa.Table:
    ids, data, t_start, dt, unit = signal
    frames = np.asarray(data, dtype=np.float64)
    n = int(ids.size)
    return pa.table(
        {
            "run": np.full(n, idx, np.int64),
            "population": [pop] * n,
            "variable": [var] * n,
            "node_id": np.asarray(ids, np.int64),
            "unit": [unit] * n,
            "t_start": np.full(n, t_start),
            "dt": np.full(n, dt),
            "n_frames": np.full(n, frames.shape[0], np.int64),
            "mean": frames.mean(axis=0),
            "std": frames.std(axis=0),
            "min": frames.min(axis=0),
            "max": frames.max(axis=0),
        },
        schema=SIGNALS_SCHEMA,
    )


def read_batch_runs(
    study_path: Path, batch: str, summaries: Mapping[int, Mapping[str, Any]]
) -> dict[str, list[pa.Table]]:
    """The rows the runs of one batch add to each table, read with one pass over the batch's files."""
    runs = sorted(summaries)
    out: dict[str, list[pa.Table]] = {k: [] for k in KINDS}
    recorded = read_batch_parquet(study_path, batch, BATCH_RECORDED, runs)
    if recorded is None:
        raise RecordingError(f"runs {runs[0]}..{runs[-1]}: their batch {batch} has no {BATCH_RECORDED}")
    missing = set(runs) - set(recorded.column("run").to_pylist())
    if missing:
        raise RecordingError(f"run batch {batch} does not hold runs {sorted(missing)[:10]}")
    kinds = recorded.column("kind").to_pylist()
    if "spikes" in kinds:
        spikes = read_batch_parquet(study_path, batch, BATCH_SPIKES, runs)
        if spikes is None:
            raise RecordingError(f"runs {runs[0]}..{runs[-1]}: their batch {batch} has no {BATCH_SPIKES}")
        out["spikes"].append(spikes.cast(SPIKES_SCHEMA))
    rows = recorded.to_pylist()
    keys = [(r["run"], r["variable"], r["population"]) for r in rows if r["kind"] == "signals"]
    for (run, variable, population), signal in zip(keys, read_batch_signals(study_path, batch, keys)):
        out["signals"].append(_signal_rows(run, population, variable, signal))
    for name in sorted({r["population"] for r in rows if r["kind"] == "table"}):
        table = read_batch_parquet(study_path, batch, f"{table_kind(name)}.parquet", runs)
        if table is None:
            raise RecordingError(f"runs {runs[0]}..{runs[-1]}: their batch {batch} has no table {name!r}")
        out[table_kind(name)] = [table]
    out["recorded"].append(recorded.cast(RECORDED_SCHEMA))
    return out


# ------------------------------------------------------------------ writing
def _write_part(folder: Path, kind: str, table: pa.Table) -> dict[str, Any]:
    if kind == "spikes":
        pops = table.column("population").cast(pa.string())
        table = table.set_column(1, "population", pops).sort_by(SORT_KEYS[kind])
        table = table.set_column(1, "population", pc.dictionary_encode(table.column("population")))
        table = table.cast(SPIKES_SCHEMA).combine_chunks()
    else:
        table = table.sort_by(SORT_KEYS.get(kind, [("run", "ascending")]))
    (folder / kind).mkdir(parents=True, exist_ok=True)
    name = f"{kind}/part-{uuid.uuid4().hex[:16]}.parquet"
    tmp = folder / kind / f".tmp-{uuid.uuid4().hex[:12]}.parquet"
    try:
        pq.write_table(table, tmp, compression="zstd", row_group_size=1 << 20)
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    runs = table.column("run")
    return {
        "file": name,
        "rows": table.num_rows,
        "run_min": int(pc.min(runs).as_py()) if table.num_rows else None,
        "run_max": int(pc.max(runs).as_py()) if table.num_rows else None,
    }


def _runs_table(catalog: Catalog) -> tuple[pa.Table, list[str]]:
    names = catalog.param_names()
    cols, rows = catalog.run_rows()
    pos = {c: i for i, c in enumerate(cols)}
    data: dict[str, Any] = {
        "run": np.asarray([r[pos["idx"]] for r in rows], dtype=np.int64),
        "status": [r[pos["status"]] for r in rows],
    }
    for n in names:
        values = [r[pos["p:" + n]] for r in rows]
        try:
            data["p:" + n] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            data["p:" + n] = pa.array([None if v is None else json.dumps(v) for v in values])
    return pa.table(data), names


def _recorded_in_catalog(catalog: Catalog) -> dict[int, Any]:
    """Every finished run with recordings: its ``_recordings`` summary, or ``{"batch": name}``."""
    out: dict[int, Any] = dict(catalog.recorded_runs())
    batches = catalog_batches(catalog)
    if batches:
        done = catalog.done_indices()
        for idx, name in batches.items():
            if idx in done and idx not in out:
                out[idx] = {BATCH_FIELD: name}
    return out


def add_batch_to_tables(study_path: Path, catalog: Catalog, name: str, runs: Any) -> None:
    """Importer hook: add the runs of the run batch ``name`` to the tables (as :func:`after_record`,
    a failure is a warning; the next view catches up)."""
    try:
        update(study_path, catalog, {int(r): {BATCH_FIELD: name} for r in runs})
    except Exception as exc:
        warnings.warn(
            f"could not add run batch {name} to the consolidated tables of {study_path}: {exc}; "
            "run study.consolidate() to retry",
            RuntimeWarning,
            stacklevel=2,
        )


def _add_runs(
    study_path: Path,
    folder: Path,
    manifest: dict[str, Any],
    todo: Mapping[int, Any],
    quarantined: dict[str, str],
    progress: bool,
) -> None:
    """Append the recordings of the runs in ``todo`` to the manifest's parts (damaged runs
    quarantined): run folders one by one, batches one read per batch."""
    from tqdm.auto import tqdm

    collected: dict[str, list[pa.Table]] = {k: [] for k in KINDS}
    batches: dict[str, list[int]] = {}
    singles: list[tuple[int, dict[str, Any]]] = []
    for idx, text in sorted(todo.items()):
        if str(idx) in quarantined:
            continue
        summary = json.loads(text) if isinstance(text, str) else dict(text)
        if BATCH_FIELD in summary:
            batches.setdefault(str(summary[BATCH_FIELD]), []).append(idx)
        else:
            singles.append((idx, summary))
    for batch, runs in sorted(batches.items()):
        try:
            rows = read_batch_runs(study_path, batch, {i: {} for i in runs})
        except RecordingError as exc:
            for idx in runs:
                quarantined[str(idx)] = str(exc)
            _report_quarantine(study_path, f"runs {runs[0]}..{runs[-1]} (batch {batch})", exc)
            continue
        for kind, tables in rows.items():
            collected.setdefault(kind, []).extend(tables)
    for idx, summary in tqdm(singles, desc="consolidating", unit="run", disable=not progress):
        try:
            rows = read_run(study_path, idx, summary)
        except RecordingError as exc:
            quarantined[str(idx)] = str(exc)
            _report_quarantine(study_path, f"run {idx}", exc)
            continue
        for kind, tables in rows.items():
            collected.setdefault(kind, []).extend(tables)
    for kind, tables in collected.items():
        if tables:
            manifest["parts"].setdefault(kind, []).append(
                _write_part(folder, kind, pa.concat_tables(tables, promote_options="permissive"))
            )


def _describe_recordings(study_path: Path, manifest: dict[str, Any]) -> None:
    """The manifest's populations per kind and recorded variables, from its ``recorded`` parts."""
    recorded = read_parts(study_path, manifest, "recorded", ["kind", "population", "variable"])
    manifest["populations"] = {
        kind: sorted(
            set(recorded.filter(pc.equal(recorded.column("kind"), kind)).column("population").to_pylist())
        )
        for kind in ("spikes", "signals")
    }
    manifest["variables"] = sorted(set(recorded.column("variable").to_pylist()) - {""})


def update(
    study_path: Path,
    catalog: Catalog,
    new: Mapping[int, Any] | None = None,
    *,
    rebuild: bool = False,
    progress: bool = False,
    compact: bool = False,
) -> dict[str, Any]:
    """Bring the tables up to date; ``new`` limits the work to those runs (the runner's hook).

    Returns the new manifest.
    """

    folder = tables_dir(study_path)
    with tables_lock(study_path):
        previous = read_manifest(study_path)
        manifest = empty_manifest() if rebuild else previous
        old_files = {p["file"] for parts in previous["parts"].values() for p in parts}
        have = read_parts(study_path, manifest, "recorded", ["run"]).column("run").to_numpy()
        have_set = set(np.unique(have).tolist())
        drop: set[int] = set()
        if new is None:
            wanted = _recorded_in_catalog(catalog)
            drop = have_set - set(wanted)
            todo = {i: v for i, v in wanted.items() if i not in have_set}
        else:
            todo = {i: v for i, v in new.items() if i not in have_set}
        if drop:
            keep = pa.array(sorted(drop), pa.int64())
            for kind in table_kinds(manifest):
                table = read_parts(study_path, manifest, kind)
                table = table.filter(pc.invert(pc.is_in(table.column("run"), keep)))
                manifest["parts"][kind] = [_write_part(folder, kind, table)] if table.num_rows else []
        quarantined: dict[str, str] = dict(manifest.get("quarantined") or {})
        if new is None:  # runs no longer recorded (deleted, run again) leave quarantine
            quarantined = {k: v for k, v in quarantined.items() if int(k) in wanted}
        if todo:
            _add_runs(study_path, folder, manifest, todo, quarantined, progress)
        for kind in table_kinds(manifest):
            if len(manifest["parts"][kind]) > (1 if compact else MAX_PARTS):
                table = read_parts(study_path, manifest, kind)
                manifest["parts"][kind] = [_write_part(folder, kind, table)]
        runs, names = _runs_table(catalog)
        runs_name = f"runs-{uuid.uuid4().hex[:16]}.parquet"
        tmp = folder / f".tmp-{runs_name}"
        pq.write_table(runs, tmp, compression="zstd")
        os.replace(tmp, folder / runs_name)
        old_runs = manifest.get("runs")
        manifest["runs"] = runs_name
        manifest["params"] = names
        manifest["recorded_runs"] = len(have_set - drop) + len(todo)  # quarantined runs count as seen
        manifest["quarantined"] = quarantined
        manifest["fingerprint"] = catalog.fingerprint()
        _describe_recordings(study_path, manifest)
        manifest["tables"] = sorted(k[len(TABLE_PREFIX) :] for k in table_kinds(manifest)[len(KINDS) :])
        write_json(folder / MANIFEST, manifest)
        now = {p["file"] for parts in manifest["parts"].values() for p in parts}
        for name in old_files - now:
            remove_path(folder / name)
        if old_runs and old_runs != runs_name:
            remove_path(folder / old_runs)
        _sweep(folder, now | {runs_name})
    return manifest


def _report_quarantine(study_path: Path, what: str, exc: Exception) -> None:
    """Say once (when it is found) that a run's files are damaged and what that means."""
    warnings.warn(
        f"{exc}; {what} of {study_path} is quarantined: its recordings are left out of the "
        "tables and views (other runs are not affected) and this is not reported again; restore or "
        "re-create its files, then study.consolidate(rebuild=True), or run it again",
        RuntimeWarning,
        stacklevel=3,
    )


def quarantined_runs(manifest: Mapping[str, Any]) -> dict[int, str]:
    """Runs whose recordings could not be read: index -> why (see :func:`update`)."""
    return {int(k): str(v) for k, v in (manifest.get("quarantined") or {}).items()}


def _sweep(folder: Path, keep: Iterable[str]) -> None:
    """Remove part files no manifest names (debris of a crash)."""
    keep = set(keep)
    kinds = [*KINDS, *(p.name for p in folder.glob(f"{TABLE_PREFIX}*") if p.is_dir())]
    for kind in kinds:
        sub = folder / kind
        if sub.is_dir():
            for path in sub.iterdir():
                if f"{kind}/{path.name}" not in keep and not path.name.startswith(".tmp-"):
                    remove_path(path)
    for path in folder.glob("runs-*.parquet"):
        if path.name not in keep:
            remove_path(path)


def after_record(catalog: Catalog, outcomes: Sequence[Any]) -> None:
    """Runner hook (coordinating process): add the recordings of finished runs to the tables.

    Never raises: a failure is reported as a warning, and ``study.consolidate()``
    (or the next view) catches up.
    """
    new = {}
    for o in outcomes:
        if o.ok:
            for name, _kind, value in o.results:
                if name == RECORDINGS:
                    new[int(o.idx)] = value
    if not new:
        return
    study_path = catalog.file.parent
    try:
        update(study_path, catalog, new)
    except Exception as exc:  # the runner must go on; the tables catch up later
        warnings.warn(
            f"could not add {len(new)} run(s) to the consolidated tables of {study_path}: {exc}; "
            "the recordings are safe in the run folders, run study.consolidate() to retry",
            RuntimeWarning,
            stacklevel=2,
        )
