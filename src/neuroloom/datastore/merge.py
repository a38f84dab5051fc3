"""``merge(a, b, into=path)``: one study holding the runs of two (pypet ``f_merge``)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from neuroloom._io.names import ITEM_FILE, ITEMS_DIR, NETWORK_DIR
from neuroloom.datastore.study import Study
from neuroloom.errors import StudyError
from neuroloom.params.values import canonical
from neuroloom.store import registry
from neuroloom.study.batches import copy_batches, renamed_meta
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


def _check_compatible(sa: Study, sb: Study) -> None:
    sig_a, sig_b = _tree_signature(sa), _tree_signature(sb)
    if sig_a != sig_b:
        names = sorted(set(sig_a) ^ set(sig_b)) or sorted(n for n in sig_a if sig_a[n] != sig_b[n])
        raise StudyError(
            f"cannot merge {sa.path} and {sb.path}: their parameter trees differ at {names[0]!r} "
            "(names, default values and units must all agree)"
        )
    if sa.seed != sb.seed:
        raise StudyError(
            f"cannot merge {sa.path} (seed {sa.seed}) and {sb.path} (seed {sb.seed}): a run's seed "
            "derives from its study's seed, so the runs of the second would show a seed they did not "
            "use; merge only studies created with the same seed (nl.Study(path, seed=...))"
        )


def _merged_results(sa: Study, sb: Study) -> list[tuple[Any, ...]]:
    """Every analysis result of both; the same result stored differently in both is refused."""
    rows = {row[0]: row for row in sa.catalog.analysis_results()}
    for row in sb.catalog.analysis_results():
        mine = rows.setdefault(row[0], row)
        if mine != row:
            raise StudyError(
                f"cannot merge {sa.path} and {sb.path}: result {row[1]!r} with parameters {row[2]} is "
                "stored in both, with different values or times; delete or rename it in one of them "
                "first (study.add_result(..., replace=True) or another parameter)"
            )
    return list(rows.values())


def _tree_digest(folder: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _network_source(sa: Study, sb: Study) -> Path | None:
    """The ``network/`` folder to carry: the one both hold (equal), or the only one."""
    found = [s.path / NETWORK_DIR for s in (sa, sb) if (s.path / NETWORK_DIR).is_dir()]
    if len(found) == 2 and _tree_digest(found[0]) != _tree_digest(found[1]):
        raise StudyError(
            f"cannot merge {sa.path} and {sb.path}: their networks ({NETWORK_DIR}/) differ, so their "
            "runs did not simulate the same network; merge only studies of one network"
        )
    return found[0] if found else None


def merge(
    a: Study | str | os.PathLike[str],
    b: Study | str | os.PathLike[str],
    *,
    into: str | os.PathLike[str],
) -> Study:
    """Combine studies ``a`` and ``b`` (same parameter tree and seed) into a new study at ``into``.

    Runs of ``a`` come first, then the runs of ``b`` whose content id is not
    already present (duplicate points are skipped, keeping ``a``'s). Run status,
    timing, errors, results and run folders are copied; runs get new indices
    and keep their seeds (both studies have one seed). The study items of ``a``
    are copied, then those of ``b`` with other keys; every analysis result of
    both is kept, and the network (``network/``) is carried. The comment is
    ``a``'s (``b``'s if ``a`` has none), as pypet's ``f_merge`` keeps its own.

    Raises
    ------
    StudyError
        If the parameter trees differ (the message names the parameter), the
        seeds differ, the same analysis result is stored differently in both,
        the networks differ, or ``into`` already exists and is not empty.
        Nothing is written then.
    """
    sa, sb = _open(a), _open(b)
    _check_compatible(sa, sb)
    results = _merged_results(sa, sb)
    network = _network_source(sa, sb)
    target = Path(into)
    if target.exists() and any(target.iterdir()):
        raise StudyError(f"cannot merge into {target}: it exists and is not empty; choose a new directory")
    out = Study(target, seed=sa.seed)
    names = sorted(set(sa.catalog.param_names()) | set(sb.catalog.param_names()))
    with StudyLock(out.path, "merging"):
        out.marker.restore(
            {
                **out.marker.snapshot(),
                "params": sa.params.to_json(),
                "locked": sa.params.locked or sb.params.locked,
                "merged_from": [str(sa.path), str(sb.path)],
                "comment": sa.comment or sb.comment,
                "explorations": [{**e, "from": str(s.path)} for s in (sa, sb) for e in s.explorations],
            }
        )
        out.catalog.ensure_params(names)
        seen: set[str] = set()
        next_idx = 0
        for source in (sa, sb):
            next_idx = _copy_runs(source, out, names, seen, next_idx)
            _copy_items(source.path / ITEMS_DIR, out.path / ITEMS_DIR)
        out.catalog.add_analysis_results(results)
        if network is not None:
            shutil.copytree(network, out.path / NETWORK_DIR)
    return Study(out.path)


def _copy_runs(source: Study, out: Study, names: list[str], seen: set[str], next_idx: int) -> int:
    def batch_meta(mapping: dict[int, int]) -> list[tuple[str, str]]:
        batches = copy_batches(source.path, out.path, mapping)
        return renamed_meta(source.catalog, batches, mapping)

    mapping = out.catalog.copy_runs_from(source.catalog, names, seen, next_idx, meta=batch_meta)
    next_idx += len(mapping)
    for old, new in mapping.items():
        folder = run_folder(source.path, old)
        if folder.is_dir():
            target = run_folder(out.path, new)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(folder, target)
    return next_idx


def _copy_items(source: Path, target: Path) -> None:
    """Copy every item below ``source`` whose key (and no prefix of it) is not taken in ``target``."""
    if not source.is_dir() or (target / ITEM_FILE).exists():
        return
    for entry in source.iterdir():
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        dest = target / entry.name
        if (entry / ITEM_FILE).is_file():
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(entry, dest)
        else:
            _copy_items(entry, dest)
