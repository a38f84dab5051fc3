"""The :class:`Run` object a job receives, and where a run keeps its files.

A run's folder ``runs/<shard>/run_00000042/`` is created only when the job
asks for :attr:`Run.folder` or saves a value that is not a scalar; items saved
with :meth:`Run.save` live in ``<folder>/items/<name>/`` in the Database item
layout, so ``study["runs", "run_00000042", name]`` reads them with the same
codecs as any database item. Scalars (numbers, bools, short strings) and small
JSON values go back to the coordinator, which stores them in the catalog.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom._io.atomic import remove_path
from neuroloom._io.names import RUNS_DIR as RUNS_DIR  # re-exported
from neuroloom.errors import CodecError, StudyError
from neuroloom.params.tree import Namespace
from neuroloom.store.codecs import choose_codec, get_codec
from neuroloom.store.database import Database
from neuroloom.store.keys import normalize_key
from neuroloom.study.recordings import RunRecordings

SHARD_SIZE = 1000
INLINE_JSON_LIMIT = 4096
RUN_NAME_WIDTH = 8


def run_name(index: int) -> str:
    """``run_00000042`` for index 42."""
    return f"run_{index:0{RUN_NAME_WIDTH}d}"


def run_index(name: str) -> int | None:
    """Index of a run name (``run_00000042`` -> 42), or None if it is not one."""
    if name.startswith("run_") and name[4:].isdigit():
        return int(name[4:])
    return None


def run_folder(study_path: Path, index: int) -> Path:
    """``<study>/runs/<shard>/run_<index>``; 1,000 runs per shard directory."""
    return study_path / RUNS_DIR / f"{index // SHARD_SIZE:05d}" / run_name(index)


def run_seed(study_seed: int, run_id: str) -> int:
    """Deterministic 32-bit seed of a run from the study seed and the run's content id."""
    digest = hashlib.blake2b(f"{study_seed}:{run_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little")


def scalar_result(value: Any) -> tuple[str, Any] | None:
    """``(kind, value)`` if ``value`` is kept in the catalog, else None."""
    if value is None:
        return "v", None
    if isinstance(value, (bool, np.bool_)):
        return "b", int(bool(value))
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        if isinstance(value, int) and abs(value) >= 2**63:
            return None
        return "v", value
    if isinstance(value, np.generic) and value.dtype.kind in "iuf":
        return scalar_result(value.item())
    if isinstance(value, str) and len(value) <= INLINE_JSON_LIMIT:
        return "v", value
    if isinstance(value, (dict, list, tuple)):  # a tuple is stored as the JSON list it becomes
        from neuroloom.store.codecs.text import plain_json

        try:
            text = json.dumps(plain_json(value, allow_tuples=True), separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        if len(text) <= INLINE_JSON_LIMIT:
            return "j", text
    return None


def run_items(folder: Path, study_id: str, name: str) -> Database:
    """The items of one run folder (written by the worker running that run).

    Uses :class:`~neuroloom.store.database.Database`'s item layout and codecs
    without a database marker or registry entry of its own
    (:meth:`Database.items_of`): the run belongs to its study, whose URI
    addresses it as ``runs/<run name>/<item>``.
    """
    return Database.items_of(folder, owner_id=study_id, key_prefix=(RUNS_DIR, name))


class Run(RunRecordings):
    """One run of a study, as given to ``job(run)``.

    Attributes
    ----------
    index
        Position of the run in the study (0, 1, ...).
    name
        ``run_00000042``.
    id
        Content hash of the run's canonical parameters.
    params
        The run's parameter values: ``run.params.neuron.tau_m`` or
        ``run.params["neuron.tau_m"]`` (derived parameters included).
    """

    __slots__ = (
        "_folder",
        "_results",
        "_study_id",
        "_study_path",
        "_study_seed",
        "id",
        "index",
        "name",
        "params",
    )

    def __init__(
        self,
        study_path: Path,
        study_id: str,
        study_seed: int,
        index: int,
        run_id: str,
        params: Namespace,
    ) -> None:
        self._study_path = study_path
        self._study_id = study_id
        self._study_seed = study_seed
        self.index = index
        self.name = run_name(index)
        self.id = run_id
        self.params = params
        self._folder: Path | None = None
        self._results: dict[str, tuple[str, Any]] = {}

    def __repr__(self) -> str:
        return f"Run({self.name}, id={self.id})"

    @property
    def seed(self) -> int:
        """Deterministic 32-bit seed from the study seed and the run id."""
        return run_seed(self._study_seed, self.id)

    def rng(self) -> np.random.Generator:
        """A numpy random generator seeded with :attr:`seed`."""
        return np.random.default_rng(self.seed)

    @property
    def folder(self) -> Path:
        """The run's private directory (created on first use; leftovers of an
        interrupted earlier attempt are removed first)."""
        if self._folder is None:
            folder = run_folder(self._study_path, self.index)
            try:
                os.makedirs(folder)
            except FileExistsError:
                remove_path(folder)
                os.makedirs(folder)
            self._folder = folder
        return self._folder

    def save(self, name: str, value: Any, *, codec: str | None = None) -> None:
        """Store ``value`` as result ``name`` of this run.

        Scalars and small JSON values go to the catalog; anything else is written
        into the run folder with a Database codec (``codec`` chooses one).

        Raises
        ------
        CodecError
            If no codec can store ``value``; the message names the run and result.
        """
        try:
            (name,) = normalize_key(name)
        except (StudyError, ValueError) as exc:
            raise StudyError(f"{self.name}: invalid result name {name!r}: {exc}") from None
        if codec is None:
            scalar = scalar_result(value)
            if scalar is not None:
                self._results[name] = scalar
                return
        items = run_items(self.folder, self._study_id, self.name)
        try:
            chosen = get_codec(codec) if codec is not None else choose_codec(value)
            items.set(name, value, codec=chosen.name)
        except CodecError as exc:
            raise CodecError(f"{self.name}: cannot store result {name!r}: {exc}") from None
        self._results[name] = ("item", chosen.name)

    def derive(self, name: str, value: Any) -> None:
        """Store a parameter computed during the run (pypet's derived parameter)."""
        self.save(name, value)

    def results(self) -> list[tuple[str, str, Any]]:
        """``(name, kind, value)`` of what the run saved (sent to the coordinator)."""
        return [(n, k, v) for n, (k, v) in self._results.items()]


def pid_host() -> tuple[int, str]:
    import socket

    return os.getpid(), socket.gethostname()
