"""The :class:`Run` object a job receives, and where a run keeps its files.

A run's folder ``runs/<shard>/run_00000042/`` is created only when the job
asks for :attr:`Run.folder` or saves a value that is not a scalar; items saved
with :meth:`Run.save` live in ``<folder>/items/<name>/`` in the Database item
layout, so ``study["runs", "run_00000042", name]`` reads them with the same
codecs as any database item; small values of in-memory codecs go into one
archive per run instead, ``<folder>/items.zip`` (:mod:`neuroloom.study.run_pack`),
read back the same way. Scalars (numbers, bools, short strings), small JSON
values and small arrays (up to :data:`INLINE_ARRAY_ELEMENTS` elements) go back
to the coordinator, which stores them in the catalog: a sweep of small results
needs no file per run.
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
from neuroloom.errors import CodecError, NeuroloomError, StudyError
from neuroloom.params.tree import Namespace
from neuroloom.params.units import is_quantity, split
from neuroloom.params.values import check_value, encode, is_sparse
from neuroloom.store.codecs import choose_codec, get_codec
from neuroloom.store.codecs.arrays import compression_pays
from neuroloom.store.database import Database
from neuroloom.store.keys import normalize_key
from neuroloom.study.recordings import RunRecordings
from neuroloom.study.run_pack import FLUSH_BYTES, PACK_KIND, Packed, pack, write_archive

SHARD_SIZE = 1000
COMMENTS = "_comments"  # internal result: {result name: comment}
DERIVED = "_derived"  # internal result: names of the run's derived parameters
_GROUP: Any = object()  # no single value given: members follow
INLINE_JSON_LIMIT = 4096
INLINE_ARRAY_ELEMENTS = 256  # arrays of at most this many elements live in the catalog, not in files
INLINE_ARRAY_LIMIT = 8192  # ... and at most this many characters of JSON
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
    """``(kind, value)`` if ``value`` is kept in the catalog, else None.

    Kinds: ``v`` native SQLite value, ``b`` bool, ``j`` JSON text (tagged
    forms of :func:`neuroloom.params.values.encode` for quantities and numpy
    scalars other than int64/float64, whose dtype is kept).
    """
    if value is None:
        return "v", None
    if isinstance(value, (bool, np.bool_)):
        return "b", int(bool(value))
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        if isinstance(value, int) and abs(value) >= 2**63:
            return None
        return "v", value
    if isinstance(value, np.generic) and value.dtype.kind in "iufc":
        if value.dtype in (np.int64, np.float64):
            return scalar_result(value.item())
        return "j", json.dumps(encode(value), separators=(",", ":"))
    if is_quantity(value) and np.ndim(value) == 0:
        return "j", json.dumps(encode(value), separators=(",", ":"))
    if isinstance(value, np.ndarray) or is_quantity(value):
        return _small_array(value)
    if isinstance(value, str) and len(value) <= INLINE_JSON_LIMIT:
        return "v", value
    return _container_result(value)


def _small_array(value: Any) -> tuple[str, Any] | None:
    """A small numeric/bool/str array (or array quantity) as tagged JSON for the catalog, else None.

    At most :data:`INLINE_ARRAY_ELEMENTS` elements and :data:`INLINE_ARRAY_LIMIT`
    characters of JSON: the dtype and shape
    are kept exactly (floats are written with ``repr``, which round-trips), and
    the run needs no file for it.
    """
    magnitude = split(value)[0] if is_quantity(value) else value
    array = np.asarray(magnitude)
    if array.dtype.kind not in "biufU" or array.size > INLINE_ARRAY_ELEMENTS:
        return None
    try:
        text = json.dumps(encode(value), separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        return None
    return ("j", text) if len(text) <= INLINE_ARRAY_LIMIT else None


def _container_result(value: Any) -> tuple[str, Any] | None:
    """:func:`scalar_result` for dicts, lists, tuples, complex numbers and sparse matrices."""
    if isinstance(value, (dict, list)):  # tuples keep their type (tagged JSON below)
        from neuroloom.store.codecs.text import plain_json

        try:
            text = json.dumps(plain_json(value, allow_tuples=False), separators=(",", ":"))
        except (TypeError, ValueError):
            text = ""
        if text and len(text) <= INLINE_JSON_LIMIT:
            return "j", text
        if text:
            return None
    if isinstance(value, (dict, list, tuple, complex)) or is_sparse(value):
        tagged = _tagged_json(value)
        if tagged is not None:
            text = json.dumps(tagged, separators=(",", ":"))
            if len(text) <= INLINE_JSON_LIMIT:
                return "j", text
    return None


ENCODED = "neuroloom.params.values"  # item meta: the JSON is encode()'s tagged form


def _tagged_json(value: Any) -> Any:
    """:func:`~neuroloom.params.values.encode`'s JSON form of tuples, dicts or lists holding arrays,
    complex numbers and sparse matrices (None if it cannot take ``value``)."""
    try:
        check_value("result", value)
        return encode(value)
    except (NeuroloomError, TypeError, ValueError):
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
        "_archived",
        "_folder",
        "_packed",
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
        self._packed: dict[str, Packed | None] = {}  # for items.zip (None: remove), see write_packed()
        self._archived: set[str] = set()  # names this run's archive holds already

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

    def save(
        self, name: str, value: Any = _GROUP, *, codec: str | None = None, comment: str = "", **members: Any
    ) -> None:
        """Store ``value`` as result ``name`` of this run.

        Scalars, small JSON values and small arrays go to the catalog; anything
        else is written into the run folder with a Database codec (``codec``
        chooses one); an array that zlib shrinks below 3/4 is stored compressed
        (``npz``), others as memory-mappable ``npy``.
        Quantities (Brian2, ...) keep their unit. ``run.save("neuron", V=v,
        nspikes=n)`` stores a grouped result (pypet's ``f_add_result`` with
        several items): members ``neuron.V`` and ``neuron.nspikes``, read
        together as ``study.results("neuron")``. ``comment`` is kept with the
        result (``study.result_comments()``).

        Raises
        ------
        CodecError
            If no codec can store ``value``; the message names the run and result.
        """
        try:
            (name,) = normalize_key(name)
        except (StudyError, ValueError) as exc:
            raise StudyError(f"{self.name}: invalid result name {name!r}: {exc}") from None
        if comment:
            self._comment(name, comment)
        if members:
            if value is not _GROUP:
                raise StudyError(
                    f"{self.name}: result {name!r}: give either one value or named members (V=..., n=...)"
                )
            for member, item in members.items():
                self.save(f"{name}.{member}", item, codec=codec)
            return
        if value is _GROUP:
            raise StudyError(
                f"{self.name}: result {name!r} has no value; give one, or members (V=..., n=...)"
            )
        if codec is None:
            scalar = scalar_result(value)
            if scalar is not None:
                self._not_packed(name)
                self._results[name] = scalar
                return
        self._results[name] = self._save_item(name, value, codec)

    def _save_item(self, name: str, value: Any, codec: str | None) -> tuple[str, str]:
        """``(kind, codec)``: the value packed into the run's archive, or an item of its own."""
        meta = None
        if is_quantity(value):
            magnitude, unit, library = split(value)
            value, meta = np.asarray(magnitude), {"unit": unit, "library": library}
        if codec is None and compression_pays(value):
            codec = "npz"  # compressed where it pays; other arrays stay memory-mappable .npy
        try:
            chosen = get_codec(codec) if codec is not None else choose_codec(value)
        except CodecError as exc:
            tagged = _tagged_json(value)
            if tagged is None:
                raise CodecError(f"{self.name}: cannot store result {name!r}: {exc}") from None
            chosen, value, meta = get_codec("json"), tagged, {"encoded": ENCODED}
        try:
            if (codec is not None or not chosen.auto_implies_accepts) and not chosen.accepts(value):
                raise CodecError(f"codec {chosen.name!r}: {chosen.why_not(value)}")
            packed = pack(name, value, chosen) if meta is None else None
            if packed is not None:
                self._keep_packed(name, packed)
                return PACK_KIND, chosen.name
            self._not_packed(name)
            run_items(self.folder, self._study_id, self.name).set(name, value, codec=chosen.name, meta=meta)
        except CodecError as exc:
            raise CodecError(f"{self.name}: cannot store result {name!r}: {exc}") from None
        return "item", chosen.name

    def comment(self, name: str, text: str) -> None:
        """Keep a comment with result ``name`` (also ``run.save(name, value, comment=...)``)."""
        self._comment(name, text)

    def _comment(self, name: str, comment: str) -> None:
        _kind, text = self._results.get(COMMENTS, ("j", "{}"))
        comments = json.loads(text)
        comments[name] = str(comment)
        self._results[COMMENTS] = ("j", json.dumps(comments, separators=(",", ":")))

    def derive(self, name: str, value: Any, *, codec: str | None = None, comment: str = "") -> None:
        """Store a parameter computed during the run (pypet's derived parameter).

        It is a result of the run (``study.results(name)``) and, in
        ``study.run_view(i).params``, one of the run's parameters.
        """
        self.save(name, value, codec=codec, comment=comment)
        _kind, text = self._results.get(DERIVED, ("j", "[]"))
        names = json.loads(text)
        if name not in names:
            self._results[DERIVED] = ("j", json.dumps([*names, name], separators=(",", ":")))

    def _not_packed(self, name: str) -> None:
        """``name`` is stored elsewhere now: no value of it stays in the run's archive."""
        self._packed.pop(name, None)
        if name in self._archived:
            self._packed[name] = None  # removed from the archive at its next write

    def _keep_packed(self, name: str, packed: Packed) -> None:
        self._packed[name] = packed
        if sum(len(data) for item in self._packed.values() if item for _, data in item[1]) > FLUSH_BYTES:
            self.write_packed()

    def write_packed(self) -> None:
        """Write the values kept for the run's archive (``items.zip``), all in one rewrite."""
        if self._packed:
            write_archive(self.folder, self._packed)
            self._archived.update(n for n, item in self._packed.items() if item is not None)
            self._archived.difference_update(n for n, item in self._packed.items() if item is None)
            self._packed = {}

    def results(self) -> list[tuple[str, str, Any]]:
        """``(name, kind, value)`` of what the run saved (sent to the coordinator); the run's
        archive is written first, so every result it names is on disk."""
        self.write_packed()
        return [(n, k, v) for n, (k, v) in self._results.items()]


def pid_host() -> tuple[int, str]:
    import socket

    return os.getpid(), socket.gethostname()
