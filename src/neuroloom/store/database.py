"""``Database``: a dict-like store on a directory; every assignment is on disk.

Layout (all paths relative, so the directory can be moved or copied)::

    <db>/neuroloom.json              format version, kind and id of the database
    <db>/items/<k1>/<k2>/item.json   one item: codec, metadata, payload name
    <db>/items/<k1>/<k2>/.v-<hex>/   the item's data files (absent if inline)

A write puts the data in a fresh ``.tmp-*`` folder, renames it to ``.v-*`` and
then atomically replaces ``item.json``; only then is the old payload removed.
A reader therefore sees the old value or the new one, never a mix, and a
process killed at any point leaves at worst a ``.tmp-*`` folder that the next
writer of that key (or :meth:`Database.vacuum`) removes. Different keys live
in different folders, so concurrent writers of different keys never meet and
no lock (and no sqlite index) is needed.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any, TypeVar

from neuroloom._io.atomic import (
    TMP_PREFIX,
    create_exclusive,
    delete_path,
    remove_path,
    remove_stale_tmp,
    tree_size,
    write_json,
)
from neuroloom._io.names import ITEM_FILE as ITEM_FILE  # re-exported
from neuroloom._io.names import ITEMS_DIR as ITEMS_DIR
from neuroloom._io.names import PAYLOAD_PREFIX as PAYLOAD_PREFIX
from neuroloom.errors import (
    CodecError,
    CorruptItemError,
    FormatVersionError,
    InvalidKeyError,
    ItemNotFoundError,
    KeyConflictError,
    NeuroloomError,
    NotADatabaseError,
    PickleRefusedError,
    ReadOnlyError,
    StorageError,
)
from neuroloom.store import registry
from neuroloom.store.codecs import choose_codec, get_codec
from neuroloom.store.hierarchy import deeper_item, item_prefix
from neuroloom.store.isf_compat import codec_for_dumper
from neuroloom.store.item_files import (
    FORMAT_VERSION,
    dump_payload,
    make_item_dir,
    new_record,
    now,
    read_record,
    remove_old_payload,
)
from neuroloom.store.keys import Key, display_key, key_to_text, normalize_key
from neuroloom.store.mount import Mount

FOLDER = "folder"
SUBDB = "database"

T = TypeVar("T")
_RETRIES = 8


def _read_marker(path: Path) -> dict[str, Any]:
    marker = path / registry.MARKER
    try:
        info = json.loads(marker.read_bytes())
    except OSError as exc:
        raise StorageError(f"cannot read {marker}: {exc}") from exc
    except ValueError as exc:
        raise CorruptItemError(
            f"{marker} is not valid JSON ({exc}); this file identifies the database, restore it from a copy"
        ) from exc
    if not isinstance(info, dict) or not isinstance(info.get("id"), str):
        raise CorruptItemError(f"{marker} has no database id; restore it from a copy")
    version = info.get("format")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} was written in neuroloom format {version!r}, newer than this "
            f"neuroloom reads (format {FORMAT_VERSION}); upgrade neuroloom to open it"
        )
    return info


class Database(MutableMapping[Key, Any]):
    """A dict-like store on a directory: ``db[key] = value`` writes at once.

    Parameters
    ----------
    path
        The database directory. It is created if missing (or empty); an
        existing non-empty directory that is not a database is refused.
    fsync
        Flush every write to stable storage (survives power loss, costs about
        a millisecond per item). Without it a write survives the death of the
        writing process, which is what atomic renames guarantee.
    readonly
        Open an existing database for reading only: every write raises
        :class:`~neuroloom.errors.ReadOnlyError` and changes nothing
        (in_silico_framework's ``readonly=True``).
    create
        Create the database if there is none at ``path`` (default). With
        ``create=False`` a missing database raises
        :class:`~neuroloom.errors.NotADatabaseError` (ISF's ``nocreate=True``).
    kind
        The kind written into the marker of a new database (``"study"`` for
        the store a study holds); an existing database keeps its own.

    Notes
    -----
    Keys form one hierarchy: a key holds a value or is a prefix of other keys,
    never both; the write that would break this raises
    :class:`~neuroloom.errors.KeyConflictError` naming the existing key. A key
    whose first parts name a sub-database reaches into it:
    ``db["sub", "x"]`` is ``db["sub"]["x"]``.

    Examples
    --------
    >>> db = Database(tmp_path / "db")                     # doctest: +SKIP
    >>> db["rates"] = pandas.DataFrame({"rate": [1.0, 2.0]})  # doctest: +SKIP
    >>> db["rates"].rate.sum()                              # doctest: +SKIP
    3.0
    """

    kind = "database"
    readonly: bool = False
    """Opened with ``readonly=True``: every write raises ``ReadOnlyError``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fsync: bool = False,
        readonly: bool = False,
        create: bool = True,
        kind: str | None = None,
    ) -> None:
        self.path = Path(path).absolute()
        self._items = self.path / ITEMS_DIR
        self._fsync = fsync
        self.readonly = readonly
        self._create = create and not readonly
        self._mounts: dict[str, Mount] = {}
        if kind is not None:
            self.kind = kind
        try:
            self._marker = self._open_or_create()
        except OSError as exc:
            if isinstance(exc, NeuroloomError):
                raise
            raise StorageError(f"cannot open or create the database {self.path}: {exc}") from exc
        self.id: str = self._marker["id"]
        self._uri_root: tuple[str, tuple[str, ...]] = (self.id, ())
        registry.register(self.id, self.path)

    @property
    def info(self) -> dict[str, Any]:
        """A copy of the marker (``neuroloom.json``) as read when the database was opened."""
        return copy.deepcopy(self._marker)

    def mount(self, name: str, mount: Mount) -> None:
        """Serve the keys ``name/...`` through ``mount`` instead of the ``items/`` folder.

        Reads of such keys ask the mount where the item is or for a value it
        keeps elsewhere (:mod:`neuroloom.store.mount`); every write under
        ``name`` (store, delete, folder, codec change) raises the mount's
        error. A study mounts ``"runs"``.
        """
        (name,) = normalize_key(name)
        self._mounts[name] = mount

    def _mounted(self, parts: tuple[str, ...]) -> tuple[Mount, tuple[str, ...]] | None:
        """The mount serving ``parts`` and the key below its point, or None."""
        mount = self._mounts.get(parts[0]) if parts else None
        return None if mount is None else (mount, parts[1:])

    @classmethod
    def items_of(
        cls,
        folder: str | os.PathLike[str],
        *,
        owner_id: str,
        key_prefix: tuple[str, ...],
        fsync: bool = False,
    ) -> Database:
        """Open the item store ``<folder>/items`` that belongs to another database.

        The folder has no marker and no registry entry of its own: its items
        use this class's item layout and codecs, and their URIs are those of
        the owner, ``neuroloom://<owner_id>/<key_prefix>/<key>`` (a study's
        run folder: ``owner_id`` the study's id, ``key_prefix`` ``("runs",
        "run_00000042")``). The folder is created by the first write.

        Parameters
        ----------
        folder
            The folder holding ``items/``.
        owner_id
            The id of the database the folder belongs to.
        key_prefix
            The key of the folder in its owner.
        fsync
            Flush every write to stable storage (see :class:`Database`).
        """
        store = cls.__new__(cls)
        store.path = Path(folder).absolute()
        store._items = store.path / ITEMS_DIR
        store._fsync = fsync
        store.readonly = False
        store._create = False
        store._marker = {}
        store._mounts = {}
        store.id = owner_id
        store._uri_root = (owner_id, tuple(key_prefix))
        return store

    # ------------------------------------------------------------------ setup
    def _open_or_create(self) -> dict[str, Any]:
        marker = self.path / registry.MARKER
        if not marker.exists() and not self._create:
            why = "readonly=True" if self.readonly else "create=False"
            raise NotADatabaseError(
                f"there is no neuroloom database at {self.path} (no {registry.MARKER}); it was "
                f"opened with {why}, which never creates one: check the path, or open it "
                "without that option to create a new database"
            )
        if not marker.exists():
            if self.path.exists():
                if not self.path.is_dir():
                    raise NotADatabaseError(f"{self.path} is a file, not a database directory")
                others = [p for p in self.path.iterdir() if not p.name.startswith(TMP_PREFIX)]
                if others and not marker.exists():  # (it exists if a concurrent creator won)
                    raise NotADatabaseError(
                        f"{self.path} exists, is not empty and has no {registry.MARKER}: it is "
                        "not a neuroloom database; choose an empty or new directory"
                    )
            self.path.mkdir(parents=True, exist_ok=True)
            info = {
                "format": FORMAT_VERSION,
                "kind": self.kind,
                "id": uuid.uuid4().hex,
                "created": now(),
            }
            create_exclusive(marker, json.dumps(info, indent=1).encode())
        if not self.readonly:
            self._items.mkdir(exist_ok=True)
        return _read_marker(self.path)

    def _writable(self, action: str, parts: tuple[str, ...] | None = None) -> None:
        mounted = self._mounted(parts) if parts else None
        if mounted is not None:
            raise mounted[0].refuse(action, parts or ())
        if self.readonly:
            where = f" {display_key(parts)!r}" if parts else ""
            raise ReadOnlyError(
                f"cannot {action}{where}: the database {self.path} was opened with readonly=True; "
                "open it with Database(path) to change it"
            )

    def _route(self, parts: tuple[str, ...]) -> tuple[Database, tuple[str, ...]]:
        """The database that holds ``parts`` and the key inside it (descends into sub-databases).

        Raises :class:`KeyConflictError` when a proper prefix of ``parts`` holds a value.
        """
        depth = item_prefix(self._items, parts)
        if not depth:
            return self, parts
        head = parts[:depth]
        record = self._record(head)
        if record is None:  # removed meanwhile
            return self, parts
        if record["codec"] == SUBDB:
            return self._open_sub(head, record)._route(parts[depth:])
        raise KeyConflictError(
            f"key {display_key(parts)!r} cannot exist: {display_key(head)!r} holds a "
            f"{record['codec']!r} value, and a key is a value or a prefix of other keys, never "
            f"both; delete {display_key(head)!r} first or choose another key"
        )

    def _check_no_deeper(self, parts: tuple[str, ...]) -> None:
        below = deeper_item(self._items, parts)
        if below is not None:
            raise KeyConflictError(
                f"cannot store a value under {display_key(parts)!r}: it is a prefix of the "
                f"existing key {display_key(below)!r}, and a key is a value or a prefix of other "
                "keys, never both; delete the deeper keys first or choose another key"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Database) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    # ----------------------------------------------------------------- records
    def _item_dir(self, parts: tuple[str, ...]) -> Path:
        mounted = self._mounted(parts)
        if mounted is not None:
            folder = mounted[0].item_dir(mounted[1])
            if folder is not None:
                return folder
        return self._items.joinpath(*parts)

    def _record(self, parts: tuple[str, ...]) -> dict[str, Any] | None:
        mounted = self._mounted(parts)
        held = mounted[0].held(mounted[1]) if mounted is not None else None
        if held is not None:
            try:
                return held.record
            except ItemNotFoundError:
                return None  # the mount placed it where it is not
        return read_record(self._item_dir(parts) / ITEM_FILE, parts)

    def _require(self, parts: tuple[str, ...]) -> dict[str, Any]:
        record = self._record(parts)
        if record is None:
            raise ItemNotFoundError(
                f"no item {display_key(parts)!r} in database {self.path} "
                f"(looked for {self._item_dir(parts) / ITEM_FILE})"
            )
        return record

    # ------------------------------------------------------------------- read
    def _reader_elsewhere(self, parts: tuple[str, ...]) -> Callable[[bool, dict[str, Any]], Any] | None:
        """How to read ``parts`` when a mount or a sub-database holds it, else None (an item here)."""
        mounted = self._mounted(parts)
        if mounted is not None:
            held = mounted[0].held(mounted[1])
            return None if held is None else held.read
        if len(parts) > 1 and not (self._item_dir(parts) / ITEM_FILE).is_file():
            try:
                db, inner = self._route(parts)
            except KeyConflictError:
                return None  # reported as "no item" by the caller
            if db is not self:
                return lambda allow_pickle, options: db._load(inner, allow_pickle, options)
        return None

    def _load(self, parts: tuple[str, ...], allow_pickle: bool, options: dict[str, Any]) -> Any:
        reader = self._reader_elsewhere(parts)
        if reader is not None:
            return reader(allow_pickle, options)
        for _ in range(_RETRIES):
            record = self._require(parts)
            codec_name = record["codec"]
            if codec_name == FOLDER:
                return self._item_dir(parts) / record["payload"]
            if codec_name == SUBDB:
                return self._open_sub(parts, record)
            try:
                codec = get_codec(codec_name)
            except CodecError:
                raise CorruptItemError(
                    f"item {display_key(parts)!r} was written with codec {codec_name!r} (see "
                    f"{self._item_dir(parts) / ITEM_FILE}), which this neuroloom does not know; "
                    "upgrade neuroloom or register that codec"
                ) from None
            if codec.needs_opt_in and not allow_pickle:
                raise PickleRefusedError(
                    f"item {display_key(parts)!r} is stored with the {codec_name!r} codec; "
                    "loading it can run arbitrary code, so neuroloom only does it when asked: "
                    f"db.get({display_key(parts)!r}, allow_pickle=True)"
                )
            info = record.get("info") or {}
            self._check_options(parts, codec, options)
            if "inline" in record:
                return codec.load_inline(record["inline"], info)
            payload = self._item_dir(parts) / str(record.get("payload"))
            try:
                return codec.load_item(payload, info, str(display_key(parts)), **options)
            except CodecError as exc:  # a wrong option value: the data are fine
                raise CodecError(f"item {display_key(parts)!r}: {exc}") from None
            except NeuroloomError:
                raise
            except Exception as exc:
                if self._record(parts) != record:
                    continue  # overwritten while we read it: read the new value
                raise CorruptItemError(
                    f"item {display_key(parts)!r}: cannot read its {codec_name!r} data in "
                    f"{payload}: {type(exc).__name__}: {exc}; the files are missing or damaged: "
                    f"delete the item (del db[{display_key(parts)!r}]) and store it again"
                ) from exc
        raise CorruptItemError(
            f"item {display_key(parts)!r} changed {_RETRIES} times while being read; try again"
        )

    @staticmethod
    def _check_options(parts: tuple[str, ...], codec: Any, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(codec.options))
        if unknown:
            takes = ", ".join(sorted(codec.options)) or "none"
            raise CodecError(
                f"item {display_key(parts)!r} is stored with the {codec.name!r} codec, which takes no "
                f"option {', '.join(map(repr, unknown))}; its options: {takes}"
            )

    def __getitem__(self, key: Key) -> Any:
        return self._load(normalize_key(key), False, {})

    def get(  # type: ignore[override]
        self,
        key: Key,
        default: Any = None,
        *,
        allow_pickle: bool = False,
        **options: Any,
    ) -> Any:
        """Return the value of ``key``, or ``default`` if there is none.

        Parameters
        ----------
        key
            The item's key.
        default
            Returned when no item has this key.
        allow_pickle
            Load items stored with the ``pickle``/``cloudpickle`` codecs.
            Only pass this for databases you trust: unpickling runs code.
        **options
            Codec options: ``mmap=False`` reads an ``npy`` array into memory,
            ``columns=[...]`` reads only some Parquet columns.
        """
        try:
            return self._load(normalize_key(key), allow_pickle, options)
        except ItemNotFoundError:
            return default

    def __contains__(self, key: object) -> bool:
        try:
            parts = normalize_key(key)
            if self._mounted(parts) is not None:
                return self._record(parts) is not None
            db, inner = self._route(parts)
        except (InvalidKeyError, KeyConflictError):
            return False
        if (db._item_dir(inner) / ITEM_FILE).is_file():
            return True
        return deeper_item(db._items, inner) is not None

    # ------------------------------------------------------------------ write
    def __setitem__(self, key: Key, value: Any) -> None:
        self.set(key, value)

    def set(
        self,
        key: Key,
        value: Any,
        *,
        codec: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        """Store ``value`` under ``key``, replacing any previous value atomically.

        Parameters
        ----------
        key
            A string or a tuple of strings.
        value
            The value; see :mod:`neuroloom.store.codecs` for what each codec takes.
        codec
            Name of the codec to use; chosen from the value's type if None.
        meta
            JSON-serialisable user metadata, returned by :meth:`metadata`.

        Raises
        ------
        InvalidKeyError
            If the key breaks the key rules.
        CodecError
            If the codec is unknown or cannot store the value, or ``meta`` is
            not JSON-serialisable. Nothing is changed on disk.
        KeyConflictError
            If a prefix of the key holds a value or the key is a prefix of
            existing keys. Nothing is changed on disk.
        ReadOnlyError
            If the database was opened with ``readonly=True``.
        """
        self._store(normalize_key(key), value, codec, meta, None)

    def _store(
        self,
        parts: tuple[str, ...],
        value: Any,
        codec: str | None,
        meta: dict[str, Any] | None,
        extra: dict[str, Any] | None,
    ) -> None:
        self._writable("store", parts)
        db, inner = self._route(parts)
        if db is not self:
            db._store(inner, value, codec, meta, extra)
            return
        self._check_no_deeper(parts)
        chosen = get_codec(codec) if codec is not None else self._choose(parts, value)
        if (codec is not None or not chosen.auto_implies_accepts) and not chosen.accepts(value):
            raise CodecError(
                f"cannot store item {display_key(parts)!r} with codec {chosen.name!r}: "
                f"{chosen.why_not(value)}"
            )
        try:
            meta_plain = json.loads(json.dumps(meta, allow_nan=False)) if meta else {}
        except (TypeError, ValueError) as exc:
            raise CodecError(
                f"metadata of item {display_key(parts)!r} is not JSON-serialisable: {exc}"
            ) from None
        record = new_record(parts, chosen.name, meta_plain, extra)
        is_inline, inline_value = chosen.inline(value)
        inline_info = chosen.inline_info(value) if is_inline else None
        item_dir = self._item_dir(parts)
        old: dict[str, Any] | None = None
        fresh = False
        for attempt in range(_RETRIES):
            try:
                fresh = make_item_dir(item_dir)
                if not fresh:
                    remove_stale_tmp(item_dir)
                if is_inline:
                    record.update(
                        payload=None,
                        info=inline_info,
                        inline=inline_value,
                        size=len(json.dumps(inline_value)),
                    )
                else:
                    payload, info = dump_payload(parts, chosen, value, item_dir, self._fsync)
                    record.update(payload=payload, info=info, size=tree_size(item_dir / payload))
                old = None if fresh else self._quiet_record(parts)
                try:
                    write_json(item_dir / ITEM_FILE, record, fsync=self._fsync)
                except BaseException:
                    if record.get("payload"):
                        remove_path(item_dir / str(record["payload"]))
                    raise
                break
            except FileNotFoundError as exc:
                # a concurrent ``del`` of a sibling key pruned our empty folder: retry
                if attempt == _RETRIES - 1:
                    raise StorageError(
                        f"cannot store item {display_key(parts)!r} in {item_dir}: {exc}"
                    ) from exc
            except NeuroloomError:
                if fresh:
                    self._prune(item_dir)  # leave no empty folder for a value never stored
                raise
            except OSError as exc:
                raise StorageError(
                    f"cannot store item {display_key(parts)!r} in {item_dir}: {exc}; "
                    "check the permissions and free space of the database directory"
                ) from exc
        if old is not None and old.get("payload") and old.get("payload") != record["payload"]:
            remove_old_payload(parts, item_dir / str(old["payload"]))

    def _choose(self, parts: tuple[str, ...], value: Any) -> Any:
        try:
            return choose_codec(value)
        except CodecError as exc:
            raise CodecError(f"cannot store item {display_key(parts)!r}: {exc}") from None

    def _quiet_record(self, parts: tuple[str, ...]) -> dict[str, Any] | None:
        try:
            return self._record(parts)
        except CorruptItemError:
            return None

    # ----------------------------------------------------------------- delete
    def __delitem__(self, key: Key) -> None:
        parts = normalize_key(key)
        self._writable("delete", parts)
        db, inner = self._route(parts)
        if db is not self:
            del db[inner]
            return
        item_dir = self._item_dir(parts)
        record = self._quiet_record(parts)
        try:
            (item_dir / ITEM_FILE).unlink()
        except (FileNotFoundError, NotADirectoryError):
            raise ItemNotFoundError(
                f"cannot delete {display_key(parts)!r}: no such item in database {self.path}"
            ) from None
        except OSError as exc:
            raise StorageError(
                f"cannot delete {display_key(parts)!r}: {exc}; check the permissions of {item_dir}"
            ) from exc
        if record is not None and record.get("payload"):
            doomed = [item_dir / str(record["payload"])]
        else:  # damaged record: remove every finished payload of this item
            doomed = [Path(e.path) for e in os.scandir(item_dir) if e.name.startswith(PAYLOAD_PREFIX)]
        failed = []
        for path in doomed:
            try:
                delete_path(path)
            except OSError as exc:
                failed.append(f"{path} ({exc})")
        self._prune(item_dir)
        if failed:
            raise StorageError(
                f"item {display_key(parts)!r} is deleted (no longer listed), but its data could not be "
                f"removed: {'; '.join(failed)}; check the permissions, then remove it by hand or "
                "run db.vacuum()"
            )

    def _prune(self, folder: Path) -> None:
        while folder != self._items:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    # ------------------------------------------------------------------ list
    def _walk(self) -> Iterator[tuple[str, ...]]:
        stack: list[tuple[str, tuple[str, ...]]] = [(str(self._items), ())]
        while stack:
            folder, parts = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(
                        (e for e in it if not e.name.startswith(".") and e.is_dir()),
                        key=lambda e: e.name,
                        reverse=True,
                    )
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                stack.append((entry.path, (*parts, entry.name)))
            if parts and os.path.isfile(os.path.join(folder, ITEM_FILE)):
                yield parts

    def __iter__(self) -> Iterator[Key]:
        return (display_key(p) for p in self._walk())

    def __len__(self) -> int:
        return sum(1 for _ in self._walk())

    def clear(self) -> None:
        """Delete every item (without loading any of them)."""
        self._writable("clear the database")
        for parts in list(self._walk()):
            try:
                del self[parts]
            except ItemNotFoundError:
                pass  # deleted by someone else meanwhile

    # --------------------------------------------------------------- metadata
    def metadata(self, key: Key) -> dict[str, Any]:
        """Describe the item under ``key``.

        Returns
        -------
        dict
            ``key``, ``codec``, ``created`` (UTC, ISO 8601), ``neuroloom``
            (version), ``python``, ``packages``, ``git_commit``, ``git_dirty``,
            ``git_repo``, ``host``, ``user``, ``size_bytes``, ``uri`` and
            ``meta`` (what was passed as ``meta=``).
        """
        db, parts = self._route(normalize_key(key))
        record = db._require(parts)
        prov = record.get("provenance") or {}
        git = prov.get("git") or {}
        return {
            "key": display_key(parts),
            "codec": record["codec"],
            "created": record.get("created"),
            "neuroloom": prov.get("neuroloom"),
            "python": prov.get("python"),
            "packages": prov.get("packages", {}),
            "git_commit": git.get("commit"),
            "git_dirty": git.get("dirty"),
            "git_repo": git.get("repo"),
            "host": prov.get("host"),
            "user": prov.get("user"),
            "size_bytes": record.get("size"),
            "info": record.get("info") or {},
            "uri": db._make_uri(parts),
            "meta": record.get("meta") or {},
            "codec_history": record.get("codec_history") or [],
        }

    # --------------------------------------------------- folders and sub-dbs
    def _container(self, parts: tuple[str, ...], kind: str) -> tuple[Path, dict[str, Any]]:
        record = self._record(parts)
        if record is None:
            self._writable(f"create a {kind} at", parts)
            self._check_no_deeper(parts)
            item_dir = self._item_dir(parts)
            item_dir.mkdir(parents=True, exist_ok=True)
            payload = f"{PAYLOAD_PREFIX}{uuid.uuid4().hex}"
            (item_dir / payload).mkdir()
            record = new_record(parts, kind, {}, {"payload": payload, "info": {}, "size": None})
            if kind == SUBDB:
                Database(item_dir / payload)
            if not create_exclusive(item_dir / ITEM_FILE, json.dumps(record).encode()):
                remove_path(item_dir / payload)  # another process created it first
                record = self._require(parts)
        if record["codec"] != kind:
            raise CodecError(
                f"item {display_key(parts)!r} holds a {record['codec']!r} value, not a {kind}; "
                f"delete it first (del db[{display_key(parts)!r}]) to reuse the key"
            )
        return self._item_dir(parts) / record["payload"], record

    def folder(self, key: Key) -> Path:
        """Return a managed folder for ``key``, creating it if needed.

        The folder belongs to the database: files written into it move with
        the database, and ``del db[key]`` removes it (in_silico_framework's
        ``create_managed_folder``).
        """
        db, parts = self._route(normalize_key(key))
        path, _ = db._container(parts, FOLDER)
        return path

    def sub(self, key: Key) -> Database:
        """Return a sub-database stored under ``key``, creating it if needed."""
        db, parts = self._route(normalize_key(key))
        _, record = db._container(parts, SUBDB)
        return db._open_sub(parts, record)

    def _open_sub(self, parts: tuple[str, ...], record: dict[str, Any]) -> Database:
        path = self._item_dir(parts) / str(record.get("payload"))
        if not (path / registry.MARKER).is_file():  # never silently start an empty one
            raise CorruptItemError(
                f"item {display_key(parts)!r} is a sub-database, but {path / registry.MARKER} is "
                f"missing; delete the item (del db[{display_key(parts)!r}]) and create it again"
            )
        sub = Database(path, fsync=self._fsync, readonly=self.readonly, create=False)
        root_id, prefix = self._uri_root
        sub._uri_root = (root_id, (*prefix, *parts))
        return sub

    # ------------------------------------------------------------------- URIs
    def _make_uri(self, parts: tuple[str, ...], inside: tuple[str, ...] = ()) -> str:
        root_id, prefix = self._uri_root
        return f"{registry.SCHEME}{root_id}/{key_to_text((*prefix, *parts, *inside))}"

    def uri(self, key: Key, *inside: str) -> str:
        """Return ``neuroloom://<db-id>/<key>`` for an existing item.

        Parameters
        ----------
        key
            The item's key.
        *inside
            For a managed folder or sub-database: path parts below it, e.g.
            ``db.uri("morphologies", "cell.swc")``.
        """
        parts = normalize_key(key)
        self._require(parts)
        extra = normalize_key(inside) if inside else ()
        return self._make_uri(parts, extra)

    # ------------------------------------------------------------ conveniences
    def cached(self, key: Key, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Return the value of ``key``; if absent, compute ``fn(*args, **kwargs)``,
        store it under ``key`` and return it (ISF ``maybe_calculate``)."""
        parts = normalize_key(key)
        try:
            value: T = self._load(parts, False, {})
            return value
        except ItemNotFoundError:
            pass
        self._writable("store", parts)
        value = fn(*args, **kwargs)
        self.set(parts, value)
        return value

    def vacuum(self, min_age: float = 600.0) -> int:
        """Remove debris of crashed writers: temporary folders of dead local
        processes, and payloads no ``item.json`` refers to that are older than
        ``min_age`` seconds. Returns how many entries were removed."""
        from neuroloom.store.maintenance import vacuum

        self._writable("vacuum")
        return vacuum(self._items, self._quiet_record, min_age)

    def change_codec(self, key: Key, codec: str, *, allow_pickle: bool = False) -> None:
        """Store the value of ``key`` again with ``codec``, keeping the change in its metadata.

        The user metadata is kept; ``metadata(key)["codec_history"]`` lists
        every earlier codec with the time it was written and replaced
        (in_silico_framework's ``change_dumper``).

        Parameters
        ----------
        key
            An existing item.
        codec
            The new codec's name.
        allow_pickle
            Needed when the item is currently stored with a pickle codec.
        """
        self._writable("change the codec of", normalize_key(key))
        db, parts = self._route(normalize_key(key))
        record = db._require(parts)
        if record["codec"] in (FOLDER, SUBDB):
            raise CodecError(
                f"item {display_key(parts)!r} is a {record['codec']}; only values can change codec"
            )
        value = db._load(parts, allow_pickle, {})
        history = [
            *(record.get("codec_history") or []),
            {"codec": record["codec"], "created": record.get("created"), "replaced": now()},
        ]
        db._store(parts, value, codec, record.get("meta") or None, {"codec_history": history})

    # ---------------------------------- in_silico_framework's ModelDataBase spellings
    def setitem(self, key: Key, value: Any, dumper: str | None = None, **kw: Any) -> None:
        """ISF spelling of :meth:`set` (``dumper``: an ISF dumper or a codec name)."""
        codec = codec_for_dumper(dumper) if dumper is not None else None
        self.set(key, value, codec=codec, **kw)

    def create_managed_folder(self, key: Key) -> Path:
        """ISF spelling of :meth:`folder`."""
        return self.folder(key)

    def create_sub_mdb(self, key: Key) -> Database:
        """ISF spelling of :meth:`sub`."""
        return self.sub(key)

    def maybe_calculate(self, key: Key, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """ISF spelling of :meth:`cached`."""
        return self.cached(key, fn, *args, **kwargs)

    def get_id(self) -> str:
        """ISF spelling of :attr:`id`."""
        return self.id

    def change_dumper(self, key: Key, new_dumper: str, *, allow_pickle: bool = False) -> None:
        """ISF spelling of :meth:`change_codec` (ISF dumper names are translated)."""
        self.change_codec(key, codec_for_dumper(new_dumper), allow_pickle=allow_pickle)


def isf_database(basedir: str | Path, readonly: bool = False, nocreate: bool = False) -> Database:
    """``ISFDataBase(basedir, readonly=..., nocreate=...)`` spelled as ISF does."""
    return Database(basedir, readonly=readonly, create=not nocreate)
