"""``catalog.sqlite``: the runs of a study and their scalar results.

Tables
------
``runs``      one row per run: ``idx`` (primary key), ``id`` (content hash,
              unique), ``status`` (``pending``/``done``/``failed``), ``start``,
              ``end`` (Unix seconds), ``host``, ``pid``, ``session``, ``attempts``,
              ``error`` (traceback of the last failure) and one ``p:<name>``
              column per explored parameter (SQLite scalars natively, other
              values as canonical JSON text; NULL = the parameter's default).
``results``   ``(name, idx)`` -> ``kind`` and ``value``: scalars live here
              (``kind`` ``v``: native, ``b``: bool, ``j``: JSON text); ``item``
              marks a value stored by the run's worker in its run folder.
``sessions``  one row per coordinating session: times, host, pid, backend and
              provenance (versions, git state) as JSON.
``meta``      key -> JSON text (``progress`` of the running session, ...).
``analysis_results``  named analysis results of the data store
              (:mod:`neuroloom.datastore.results`): ``id`` (hash of name and
              parameters), ``name``, ``params`` and ``tags`` (JSON text),
              ``kind`` and ``value`` as in ``results``, ``created``.

Every table is defined here and every SQL statement on the catalog is a
method of :class:`Catalog` (merging two studies included); other modules call
those methods and never hold SQL of their own.

The coordinating process is the only writer (SQLite WAL mode, many runs per
transaction); ``neuroloom status`` and other readers open it read-only.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from neuroloom._io.names import CATALOG as CATALOG  # re-exported
from neuroloom.errors import StudyError, StudyLockedError
from neuroloom.study.recordings import RECORDINGS

PENDING, DONE, FAILED = "pending", "done", "failed"
PARAM_PREFIX = "p:"
BATCH_META = "batch:"
"""Prefix of the ``meta`` keys naming the runs of a run batch (:mod:`neuroloom.study.batches`)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs(
    idx INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',
    start REAL, "end" REAL, host TEXT, pid INTEGER, session INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE TABLE IF NOT EXISTS results(
    name TEXT NOT NULL, idx INTEGER NOT NULL, kind TEXT NOT NULL, value,
    PRIMARY KEY(name, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions(
    session INTEGER PRIMARY KEY, start REAL, "end" REAL, host TEXT, pid INTEGER,
    backend TEXT, provenance TEXT
);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS analysis_results(
    id TEXT PRIMARY KEY, name TEXT NOT NULL, params TEXT NOT NULL, tags TEXT NOT NULL,
    kind TEXT NOT NULL, value, created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS analysis_results_name ON analysis_results(name);
"""
ANALYSIS_COLUMNS = ("id", "name", "params", "tags", "kind", "value", "created")
"""The columns of an ``analysis_results`` row, in the order of its rows."""
_ANALYSIS_INTO = f"INTO analysis_results({','.join(ANALYSIS_COLUMNS)}) VALUES (?,?,?,?,?,?,?)"


BUSY_TIMEOUT = 5.0
"""Seconds a statement waits for a lock another program holds on the catalog before giving up."""


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def locked_error(file: Path, exc: sqlite3.Error) -> StudyLockedError:
    """The error for a catalog that another program keeps locked."""
    return StudyLockedError(
        f"the study catalog {file} is locked by another program ({exc}; waited {BUSY_TIMEOUT:g} s): "
        "close the program that has it open (an SQLite browser, another neuroloom process writing "
        "to this study), then try again"
    )


class CatalogConnection(sqlite3.Connection):
    """An SQLite connection whose "database is locked" is a :class:`StudyLockedError` naming the file."""

    file: Path

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise locked_error(self.file, exc) from None
            raise

    def executemany(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise locked_error(self.file, exc) from None
            raise

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if _is_locked(exc):
                raise locked_error(self.file, exc) from None
            raise


def quote_column(column: str) -> str:
    """Quote a column name for SQLite (double quotes, inner quotes doubled)."""
    return '"' + column.replace('"', '""') + '"'


class Catalog:
    """The SQLite catalog of one study.

    Parameters
    ----------
    path
        The study directory.
    readonly
        Open without write access (for status readers); never creates it.
    """

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.file = path / CATALOG
        self.readonly = readonly
        try:
            target = f"file:{self.file}?mode=ro" if readonly else str(self.file)
            con = sqlite3.connect(
                target, uri=readonly, timeout=BUSY_TIMEOUT, isolation_level=None, factory=CatalogConnection
            )
            assert isinstance(con, CatalogConnection)
            con.file = self.file
            self.con: CatalogConnection = con
            if not readonly:
                self.con.execute("PRAGMA journal_mode=WAL")
                # FULL: a commit is on disk before the coordinator deletes the run
                # journals it came from (see study/journal.py)
                self.con.execute("PRAGMA synchronous=FULL")
                self.con.executescript(_SCHEMA)
        except StudyLockedError:
            raise
        except sqlite3.Error as exc:
            raise StudyError(f"cannot open the study catalog {self.file}: {exc}") from None
        self._param_columns: list[str] | None = None

    def close(self) -> None:
        self.con.close()

    # ------------------------------------------------------------ schema
    def param_names(self) -> list[str]:
        """Names of the explored parameters (the ``p:`` columns)."""
        if self._param_columns is None:
            rows = self.con.execute("PRAGMA table_info(runs)").fetchall()
            self._param_columns = [r[1][len(PARAM_PREFIX) :] for r in rows if r[1].startswith(PARAM_PREFIX)]
        return list(self._param_columns)

    def ensure_params(self, names: Iterable[str]) -> None:
        known = set(self.param_names())
        for name in names:
            if name not in known:
                self.con.execute(f"ALTER TABLE runs ADD COLUMN {quote_column(PARAM_PREFIX + name)}")
                known.add(name)
        self._param_columns = None

    def drop_params(self, names: Iterable[str]) -> None:
        """Remove the ``p:`` columns of ``names`` (undo :meth:`ensure_params` of a failed import)."""
        known = set(self.param_names())
        with self.transaction():
            for name in names:
                if name in known:
                    self.con.execute(f"ALTER TABLE runs DROP COLUMN {quote_column(PARAM_PREFIX + name)}")
        self._param_columns = None

    # -------------------------------------------------------------- runs
    def remove_runs(self, indices: Sequence[int]) -> None:
        """Delete runs that never ran (undo :meth:`add_runs` of a failed import)."""
        with self.transaction():
            self.con.executemany("DELETE FROM results WHERE idx=?", [(i,) for i in indices])
            self.con.executemany("DELETE FROM runs WHERE idx=? AND status!='done'", [(i,) for i in indices])

    def count(self, status: str | None = None) -> int:
        if status is None:
            return int(self.con.execute("SELECT count(*) FROM runs").fetchone()[0])
        return int(self.con.execute("SELECT count(*) FROM runs WHERE status=?", (status,)).fetchone()[0])

    def counts(self) -> dict[str, int]:
        rows = self.con.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        out = {PENDING: 0, DONE: 0, FAILED: 0}
        out.update({s: int(n) for s, n in rows})
        return out

    def next_index(self) -> int:
        value = self.con.execute("SELECT max(idx) FROM runs").fetchone()[0]
        return 0 if value is None else int(value) + 1

    def add_runs(self, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert pending runs: each row is ``(idx, id, *values of names)``."""
        self.ensure_params(names)
        cols = ["idx", "id", *(PARAM_PREFIX + n for n in names)]
        sql = f"INSERT INTO runs({','.join(map(quote_column, cols))}) VALUES ({','.join('?' * len(cols))})"
        with self.transaction():
            self.con.executemany(sql, rows)

    def pending(self, retry_failed: bool = False) -> list[tuple[Any, ...]]:
        """``(idx, id, *param values)`` of the runs left to do, in index order."""
        names = self.param_names()
        cols = ",".join(["idx", "id", *(quote_column(PARAM_PREFIX + n) for n in names)])
        where = "status IN ('pending','failed')" if retry_failed else "status='pending'"
        return self.con.execute(f"SELECT {cols} FROM runs WHERE {where} ORDER BY idx").fetchall()

    def run_states(self, indices: Sequence[int]) -> dict[int, tuple[str, int | None]]:
        """``idx -> (status, session that recorded it)`` for the runs of ``indices`` that exist."""
        rows = self._rows_in("SELECT idx, status, session FROM runs WHERE idx IN ({})", indices)
        return {int(r[0]): (str(r[1]), r[2]) for r in rows}

    def runs_by_id(self, ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """``id -> (idx, status)`` of the runs of ``ids`` that exist."""
        rows = self._rows_in("SELECT id, idx, status FROM runs WHERE id IN ({})", ids)
        return {r[0]: (int(r[1]), r[2]) for r in rows}

    def _rows_in(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (its ``IN ({})`` filled) for ``values``, in chunks of SQLite's parameter limit."""
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(values), 900):
            chunk = list(values[i : i + 900])
            rows += self.con.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
        return rows

    def done_indices(self) -> set[int]:
        """Indices of the runs that are done."""
        return {int(r[0]) for r in self.con.execute("SELECT idx FROM runs WHERE status='done'")}

    def unfinished_from(self, first: int) -> list[int]:
        """Indices of the runs from ``first`` on that are not done (what a failed import takes back)."""
        rows = self.con.execute("SELECT idx FROM runs WHERE idx>=? AND status!='done'", (first,))
        return [int(r[0]) for r in rows]

    def run_rows(self, where: str = "", args: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(f"SELECT * FROM runs {where} ORDER BY idx", args)
        return [d[0] for d in cur.description], cur.fetchall()

    def copy_runs_from(
        self,
        source: Catalog,
        names: Sequence[str],
        seen: set[str],
        next_idx: int,
        meta: Callable[[dict[int, int]], Iterable[tuple[str, str]]] | None = None,
    ) -> dict[int, int]:
        """Copy the sessions, runs and results of ``source`` (merging two studies).

        Runs whose content id is in ``seen`` are skipped; the others get the
        indices from ``next_idx`` on and their ids join ``seen``. ``names`` are
        the explored parameters of this catalog (a parameter ``source`` does
        not explore is NULL, its default). ``meta(mapping)``, called in the
        transaction that inserts the runs, gives ``meta`` rows to write with
        them (the copied run batches). Returns ``{source index: new index}``.
        """
        sessions: dict[Any, int] = {}
        for row in source.con.execute(
            'SELECT session, start, "end", host, pid, backend, provenance FROM sessions'
        ):
            cur = self.con.execute(
                'INSERT INTO sessions(start, "end", host, pid, backend, provenance) VALUES (?,?,?,?,?,?)',
                row[1:],
            )
            sessions[row[0]] = int(cur.lastrowid or 0)
        have = set(source.param_names())
        pcols = [f"{quote_column(PARAM_PREFIX + n)}" if n in have else "NULL" for n in names]
        fixed = ["idx", "id", "status", "start", '"end"', "host", "pid", "session", "attempts", "error"]
        rows = source.con.execute(f"SELECT {','.join(fixed + pcols)} FROM runs ORDER BY idx").fetchall()
        mapping: dict[int, int] = {}
        new_rows = []
        for row in rows:
            if row[1] in seen:
                continue
            seen.add(row[1])
            mapping[row[0]] = next_idx
            new_rows.append((next_idx, *row[1:7], sessions.get(row[7]), *row[8:]))
            next_idx += 1
        cols = ",".join([*fixed, *(quote_column(PARAM_PREFIX + n) for n in names)])
        with self.transaction():
            self.con.executemany(
                f"INSERT INTO runs({cols}) VALUES ({','.join('?' * (len(fixed) + len(names)))})", new_rows
            )
            results = source.con.execute("SELECT name, idx, kind, value FROM results").fetchall()
            self.con.executemany(
                "INSERT OR REPLACE INTO results(name, idx, kind, value) VALUES (?,?,?,?)",
                [(n, mapping[i], k, v) for n, i, k, v in results if i in mapping],
            )
            if meta is not None:
                self.put_meta_rows(meta(mapping))
        return mapping

    # ---------------------------------------------------------- sessions
    def begin_session(self, backend: str, host: str, pid: int, provenance: dict[str, Any]) -> int:
        with self.transaction():
            cur = self.con.execute(
                "INSERT INTO sessions(start, host, pid, backend, provenance) VALUES (?,?,?,?,?)",
                (time.time(), host, pid, backend, json.dumps(provenance, default=str)),
            )
        return int(cur.lastrowid or 0)

    def end_session(self, session: int) -> None:
        with self.transaction():
            self.con.execute('UPDATE sessions SET "end"=? WHERE session=?', (time.time(), session))

    def sessions(self) -> list[dict[str, Any]]:
        cur = self.con.execute("SELECT * FROM sessions ORDER BY session")
        cols = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            rec = dict(zip(cols, row))
            rec["provenance"] = json.loads(rec["provenance"] or "{}")
            out.append(rec)
        return out

    # ----------------------------------------------------------- results
    def record(self, outcomes: Sequence[Any], session: int, meta: Sequence[tuple[str, str]] = ()) -> None:
        """Record finished runs (one transaction): status, timing, error and results.

        Each outcome has ``idx, ok, start, end, host, pid, error, results`` where
        ``results`` is a list of ``(name, kind, value)``. ``meta`` rows ``(key, JSON
        text)`` are written in the same transaction (a run batch naming its runs).
        """
        if not outcomes:
            return
        run_rows = [
            (DONE if o.ok else FAILED, o.start, o.end, o.host, o.pid, session, o.error, o.idx)
            for o in outcomes
        ]
        result_rows = [(name, o.idx, kind, value) for o in outcomes for name, kind, value in o.results]
        with self.transaction():
            self.con.executemany(
                'UPDATE runs SET status=?, start=?, "end"=?, host=?, pid=?, session=?, '
                "attempts=attempts+1, error=? WHERE idx=?",
                run_rows,
            )
            if result_rows:
                self.con.executemany(
                    "INSERT OR REPLACE INTO results(name, idx, kind, value) VALUES (?,?,?,?)", result_rows
                )
            if meta:
                self.con.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", list(meta))
            self._bump()

    def clear_results(self, indices: Sequence[int]) -> None:
        """Forget the results of runs about to be run again (``retry_failed``)."""
        with self.transaction():
            self.con.executemany("DELETE FROM results WHERE idx=?", [(i,) for i in indices])
            self._bump()

    def _bump(self) -> None:
        self.con.execute(
            "INSERT INTO meta(key, value) VALUES ('results_version', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def results_version(self) -> int:
        """A number that changes whenever any result (or run status) is recorded."""
        row = self.con.execute("SELECT value FROM meta WHERE key='results_version'").fetchone()
        return 0 if row is None else int(row[0])

    def results_all_native(self, name: str) -> bool:
        """Whether every value of result ``name`` is a plain SQLite scalar."""
        row = self.con.execute("SELECT 1 FROM results WHERE name=? AND kind!='v' LIMIT 1", (name,)).fetchone()
        return row is None

    def result_names(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT name FROM results ORDER BY name")]

    def results(self, name: str, with_kind: bool = True) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Rows ``(idx, *params, kind, value)`` of every run holding result ``name``
        (without ``kind`` when ``with_kind`` is false)."""
        names = self.param_names()
        kind = ["results.kind"] if with_kind else []
        cols = ",".join(
            ["runs.idx", *(f"runs.{quote_column(PARAM_PREFIX + n)}" for n in names), *kind, "results.value"]
        )
        sql = (
            f"SELECT {cols} FROM results JOIN runs ON runs.idx=results.idx "
            "WHERE results.name=? ORDER BY runs.idx"
        )
        return names, self.con.execute(sql, (name,)).fetchall()

    def result(self, name: str, idx: int) -> tuple[str, Any] | None:
        """``(kind, value)`` of result ``name`` of run ``idx``, or None if it has none."""
        row = self.con.execute(
            "SELECT kind, value FROM results WHERE name=? AND idx=?", (name, idx)
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def run_results(self, idx: int) -> list[tuple[str, str, Any]]:
        return self.con.execute(
            "SELECT name, kind, value FROM results WHERE idx=? ORDER BY name", (idx,)
        ).fetchall()

    # -------------------------------------------------------- recordings
    def fingerprint(self) -> list[int]:
        """``[runs, done runs, recorded runs]``: changes whenever the consolidated tables must.

        Recorded runs count the runs with a recordings result and the runs the
        run batches name.
        """
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM runs WHERE status='done'), "
            "(SELECT count(*) FROM results WHERE name=?) + "
            "(SELECT coalesce(sum(json_extract(value, '$.n')), 0) FROM meta WHERE key LIKE ?)",
            (RECORDINGS, BATCH_META + "%"),
        ).fetchone()
        return [int(v) for v in row]

    def recorded_runs(self) -> dict[int, str]:
        """``idx -> recordings summary`` (JSON text) of every done run that recorded something."""
        rows = self.con.execute(
            "SELECT results.idx, results.value FROM results JOIN runs ON runs.idx=results.idx "
            "WHERE results.name=? AND runs.status='done'",
            (RECORDINGS,),
        ).fetchall()
        return {int(i): v for i, v in rows}

    # -------------------------------------------------- analysis results
    def has_analysis_result(self, rid: str) -> bool:
        """Whether an analysis result of id ``rid`` is stored."""
        return self.con.execute("SELECT 1 FROM analysis_results WHERE id=?", (rid,)).fetchone() is not None

    def put_analysis_result(self, row: Sequence[Any]) -> None:
        """Store (or replace) one analysis result; ``row`` holds :data:`ANALYSIS_COLUMNS`."""
        with self.transaction():
            self.con.execute(f"INSERT OR REPLACE {_ANALYSIS_INTO}", tuple(row))

    def add_analysis_results(self, rows: Iterable[Sequence[Any]]) -> None:
        """Insert analysis results (one transaction; an id already stored is an error)."""
        with self.transaction():
            self.con.executemany(f"INSERT {_ANALYSIS_INTO}", [tuple(row) for row in rows])

    def analysis_results(self) -> list[tuple[Any, ...]]:
        """Every analysis result (:data:`ANALYSIS_COLUMNS`), oldest first."""
        sql = f"SELECT {','.join(ANALYSIS_COLUMNS)} FROM analysis_results ORDER BY created, id"
        return self.con.execute(sql).fetchall()

    def analysis_result_params(self) -> list[str]:
        """The distinct ``params`` texts (JSON objects) of the analysis results."""
        return [r[0] for r in self.con.execute("SELECT DISTINCT params FROM analysis_results")]

    def analysis_result_names(self) -> list[str]:
        """The distinct names of the analysis results, sorted."""
        return [r[0] for r in self.con.execute("SELECT DISTINCT name FROM analysis_results ORDER BY name")]

    # -------------------------------------------------------------- meta
    def set_meta(self, key: str, value: Any) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", (key, json.dumps(value)))

    def meta_rows(self, prefix: str) -> list[tuple[str, str]]:
        """``(key, JSON text)`` of every ``meta`` entry whose key starts with ``prefix``, by key."""
        rows = self.con.execute("SELECT key, value FROM meta WHERE key LIKE ? ORDER BY key", (prefix + "%",))
        return [(str(k), str(v)) for k, v in rows]

    def put_meta_rows(self, rows: Iterable[tuple[str, str]]) -> None:
        """Write ``(key, JSON text)`` rows into ``meta`` (replacing those keys)."""
        self.con.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", list(rows))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def compact(self) -> None:
        """Fold the write-ahead log into the catalog file and drop its free pages."""
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.con.execute("VACUUM")

    # ------------------------------------------------------- transaction
    def transaction(self) -> _Transaction:
        return _Transaction(self.con)


class _Transaction:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.con.execute("COMMIT")
        else:
            self.con.execute("ROLLBACK")
