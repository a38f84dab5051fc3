"""``merge(a, b, into=path)``: one study holding the runs of two (pypet ``f_merge``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from neuroloom._io.atomic import write_json
from neuroloom.datastore.study import Study
from neuroloom.errors import StudyError
from neuroloom.params.values import canonical
from neuroloom.store import registry
from neuroloom.study.batches import copy_batches, renamed_meta
from neuroloom.study.catalog import PARAM_PREFIX, quote_column
from neuroloom.study.lock import StudyLock
from neuroloom.study.run import run_folder


def _open(study: Study | str | os.PathLike[str]) -> Study:
    if isinstance(study, Study):
        return study
    if not (Path(study) / registry.MARKER).is_file():
        raise StudyError(f"cannot merge {study}: it is not a study directory (no {registry.MARKER})")
    return Study(study)


def _tree_signature(study: Study) -> dict[str, tuple[str, str]]:
    return {n: (canonical(study.params.info(n).value), study.params.info(n).unit) for n in study.params}


def merge(
    a: Study | str | os.PathLike[str],
    b: Study | str | os.PathLike[str],
    *,
    into: str | os.PathLike[str],
) -> Study:
    """Combine studies ``a`` and ``b`` (same parameter tree) into a new study at ``into``.

    Runs of ``a`` come first, then the runs of ``b`` whose content id is not
    already present (duplicate points are skipped, keeping ``a``'s). Run status,
    timing, errors, results and run folders are copied; runs get new indices.
    The study items of ``a`` are copied, then those of ``b`` with other keys.

    Raises
    ------
    StudyError
        If the parameter trees differ (the message names the parameter) or
        ``into`` already exists and is not empty.
    """
    sa, sb = _open(a), _open(b)
    sig_a, sig_b = _tree_signature(sa), _tree_signature(sb)
    if sig_a != sig_b:
        names = sorted(set(sig_a) ^ set(sig_b)) or sorted(n for n in sig_a if sig_a[n] != sig_b[n])
        raise StudyError(
            f"cannot merge {sa.path} and {sb.path}: their parameter trees differ at {names[0]!r} "
            "(names, default values and units must all agree)"
        )
    target = Path(into)
    if target.exists() and any(target.iterdir()):
        raise StudyError(f"cannot merge into {target}: it exists and is not empty; choose a new directory")
    out = Study(target, seed=sa.seed)
    out._marker["params"] = sa.params.to_json()
    out._marker["locked"] = bool(sa._marker.get("locked") or sb._marker.get("locked"))
    out._marker["merged_from"] = [str(sa.path), str(sb.path)]
    out._marker["explorations"] = [{**e, "from": str(s.path)} for s in (sa, sb) for e in s.explorations]
    write_json(out.path / registry.MARKER, out._marker)
    out.params = type(out.params).from_json(out._marker["params"], on_change=out._save_marker)
    names = sorted(set(sa.catalog.param_names()) | set(sb.catalog.param_names()))
    with StudyLock(out.path, "merging"):
        out.catalog.ensure_params(names)
        seen: set[str] = set()
        next_idx = 0
        for source in (sa, sb):
            next_idx = _copy_runs(source, out, names, seen, next_idx)
            _copy_items(source, out)
    return Study(out.path)


def _copy_runs(source: Study, out: Study, names: list[str], seen: set[str], next_idx: int) -> int:
    con, dst = source.catalog.con, out.catalog
    sessions: dict[Any, int] = {}
    for row in con.execute('SELECT session, start, "end", host, pid, backend, provenance FROM sessions'):
        cur = dst.con.execute(
            'INSERT INTO sessions(start, "end", host, pid, backend, provenance) VALUES (?,?,?,?,?,?)', row[1:]
        )
        sessions[row[0]] = int(cur.lastrowid or 0)
    have = set(source.catalog.param_names())
    pcols = [f"{quote_column(PARAM_PREFIX + n)}" if n in have else "NULL" for n in names]
    fixed = ["idx", "id", "status", "start", '"end"', "host", "pid", "session", "attempts", "error"]
    rows = con.execute(f"SELECT {','.join(fixed + pcols)} FROM runs ORDER BY idx").fetchall()
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
    with dst.transaction():
        dst.con.executemany(
            f"INSERT INTO runs({cols}) VALUES ({','.join('?' * (len(fixed) + len(names)))})", new_rows
        )
        results = con.execute("SELECT name, idx, kind, value FROM results").fetchall()
        dst.con.executemany(
            "INSERT OR REPLACE INTO results(name, idx, kind, value) VALUES (?,?,?,?)",
            [(n, mapping[i], k, v) for n, i, k, v in results if i in mapping],
        )
        batches = copy_batches(source.path, out.path, mapping)
        dst.con.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?,?)", renamed_meta(con, batches, mapping)
        )
    for old, new in mapping.items():
        folder = run_folder(source.path, old)
        if folder.is_dir():
            target = run_folder(out.path, new)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(folder, target)
    return next_idx


def _copy_items(source: Study, out: Study) -> None:
    items = source.path / "items"
    if not items.is_dir():
        return
    for entry in items.iterdir():
        if entry.name.startswith("."):
            continue
        target = out.path / "items" / entry.name
        if not target.exists():
            shutil.copytree(entry, target)
