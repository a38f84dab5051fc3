"""``StudyMarker``: a study's ``neuroloom.json`` (seed, format, parameters, explorations, comment).

The marker is the one owner of that file once the study's item store has
created it, and the one place of the "parameters locked" rule: once a study
has runs (run or imported) its parameter tree is fixed and ``locked: true``
is recorded, so that every later opening locks it again.
"""

from __future__ import annotations

import copy
import secrets
from pathlib import Path
from typing import Any

from neuroloom._io.atomic import write_json
from neuroloom.errors import FormatVersionError, NotADatabaseError, ParameterError, StudyError
from neuroloom.params.tree import ParamTree
from neuroloom.params.values import same_value
from neuroloom.store import registry
from neuroloom.study.lock import StudyLock

#: 2: runs may be stored in run batches (``runs/batches/``, importers) and a run's small
#: saved values in ``items.zip``; format-1 studies (a folder per run, an item folder per
#: value) are read as they are and marked format 2 when opened for writing, so that an
#: older neuroloom refuses them clearly instead of missing runs.
STUDY_FORMAT = 2
STUDY_KIND = "study"
LOCKED_BECAUSE = "runs have started"


class StudyMarker:
    """The marker of the study at ``path`` (``info``: its content as the item store read it).

    Parameters
    ----------
    path
        The study directory.
    info
        The marker's content (``Database.info``); a new study's marker gets
        its seed, format, empty parameter tree and explorations here.
    seed
        The seed asked for (None: keep the study's, or draw one for a new study).
    fsync
        Flush every write of the marker to stable storage.
    """

    def __init__(self, path: Path, info: dict[str, Any], *, seed: int | None, fsync: bool) -> None:
        self.path = path
        self._fsync = fsync
        self._data = info
        self._check(info)
        if "seed" not in info:
            info["seed"] = int(seed) if seed is not None else secrets.randbits(32)
            info["study_format"] = STUDY_FORMAT
            info.setdefault("params", {})
            info.setdefault("explorations", [])
            self._write()
        elif info.get("study_format", STUDY_FORMAT) < STUDY_FORMAT:
            info["study_format"] = STUDY_FORMAT
            self._write()
        if seed is not None and int(seed) != info["seed"]:
            raise StudyError(
                f"study {path} has seed {info['seed']}, not {seed}; a study's seed is fixed "
                "when it is created (open it without seed=, or create a new study)"
            )
        self.seed: int = int(info["seed"])
        self.params = self._params()

    def _check(self, info: dict[str, Any]) -> None:
        if info.get("kind") != STUDY_KIND:
            raise NotADatabaseError(
                f"{self.path} is a neuroloom {info.get('kind')!r}, not a study; open it with "
                "neuroloom.Database, or choose a new directory for the study"
            )
        version = info.get("study_format", STUDY_FORMAT)
        if not isinstance(version, int) or version > STUDY_FORMAT:
            raise FormatVersionError(
                f"study {self.path} was written in study format {version!r}, newer than this neuroloom "
                f"reads (format {STUDY_FORMAT}); upgrade neuroloom to open it"
            )

    def _write(self) -> None:
        write_json(self.path / registry.MARKER, self._data, fsync=self._fsync)

    def _params(self) -> ParamTree:
        """The parameter tree as the marker holds it, locked if the marker says runs have started."""
        tree = ParamTree.from_json(self._data.get("params", {}), on_change=self._save_params)
        if self._data.get("locked"):
            tree.lock(LOCKED_BECAUSE)
        return tree

    def _save_params(self) -> None:
        with StudyLock(self.path, "changing the study"):
            self._data["params"] = self.params.to_json()
            self._data["derived"] = {
                n: {"unit": u, "comment": c} for n, (_f, u, c) in self.params.derived.items()
            }
            self._write()

    # ------------------------------------------------------------ the lock rule
    def lock_params(self) -> None:
        """Lock the parameter tree because runs have started, and record that in the marker."""
        if not self.params.locked:
            self.params.lock(LOCKED_BECAUSE)
            self._data["locked"] = True
            self._save_params()

    def set_params(self, wanted: ParamTree, *, source: str = "") -> None:
        """Make ``wanted`` the parameter tree (e.g. read from a study file).

        Before any run, every parameter of ``wanted`` is added or replaced.
        Once runs exist the tree is locked: ``wanted`` must then agree with it,
        otherwise :class:`ParameterError` names the parameter (prefixed with
        ``source``, e.g. the study file) and says what to do.
        """
        prefix = f"{source}: " if source else ""
        if self.params.locked:
            current = self.params.values()
            for name in wanted:
                if name not in current or not same_value(wanted.info(name).value, current[name]):
                    raise ParameterError(
                        f"{prefix}parameter {name!r} differs from the value the study's runs used "
                        f"({current.get(name, 'absent')} -> {wanted.info(name).value}); the parameter "
                        "tree is locked once runs start: use a new study path, explore the value, or "
                        "start afresh (nl.Study(path, overwrite=True), neuroloom run --overwrite)"
                    )
            return
        self.params.replace_all(wanted)
        self._save_params()

    # --------------------------------------------------------- other entries
    @property
    def comment(self) -> str:
        """The study's free-text comment."""
        return str(self._data.get("comment", ""))

    @comment.setter
    def comment(self, text: str) -> None:
        with StudyLock(self.path, "changing the study"):
            self._data["comment"] = str(text)
            self._write()

    @property
    def explorations(self) -> list[dict[str, Any]]:
        """What each ``explore`` call added (kind, ranges, counts, time)."""
        return copy.deepcopy(list(self._data.get("explorations", [])))

    def add_exploration(self, record: dict[str, Any]) -> None:
        """Append what an ``explore`` call added (the caller holds the study lock)."""
        self._data.setdefault("explorations", []).append(record)
        self._write()

    def snapshot(self) -> dict[str, Any]:
        """A copy of the marker, to give back to :meth:`restore`."""
        return copy.deepcopy(self._data)

    def restore(self, data: dict[str, Any]) -> None:
        """Make ``data`` the marker (written at once) and rebuild the parameter tree from it.

        For the undo of a failed import (a snapshot taken before it) and for
        a merged study (its sources' parameters, explorations and lock). The
        caller holds the study lock.
        """
        self._data = copy.deepcopy(data)
        self._write()
        self.params = self._params()
