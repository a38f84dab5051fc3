"""Open an in_silico_framework database in place, read only.

ISFDataBase layout (``data_base.isf_data_base``)::

    <db>/db_state.json                  registered dumpers, unique id
    <db>/<key>/Loader.json              {"Loader": "<...>.LoaderDumper.<dumper>", ...}
    <db>/<key>/metadata.json            {"dumper", "time", "version", ...}
    <db>/<key>/<dump files>             see :mod:`neuroloom.isf.dumpers`
    <db>/<k1>/db/<k2>/...               nested key (k1, k2): k1 holds a sub-database in ``db/``

The older ModelDataBase layout (``dbcore.pickle``, ``sqlitedict.db``) is
handled with :mod:`neuroloom.isf.legacy`; its sub-databases live in ``mdb/``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from neuroloom.errors import (
    CorruptItemError,
    InvalidKeyError,
    ItemNotFoundError,
    NotADatabaseError,
)
from neuroloom.isf import legacy
from neuroloom.isf.dumpers import (
    FOLDER_DUMPERS,
    SUBDB_DUMPERS,
    dumper_name,
    load_dump,
    refuse_pickle,
)

STATE_FILE = "db_state.json"
LOADER_FILE = "Loader.json"
METADATA_FILE = "metadata.json"
SUBDB_DIR = "db"
LEGACY_SUBDB_DIR = "mdb"
_NOT_KEYS = frozenset(
    {
        STATE_FILE,
        METADATA_FILE,
        LOADER_FILE,
        legacy.STATE_FILE,
        legacy.KEYS_FILE,
        legacy.METADATA_FILE,
        "sqlitedict.db.lock",
        "metadata.db.lock",
    }
)
UNKNOWN_METADATA = {
    "dumper": "unknown",
    "time": "unknown",
    "metadata_creation_time": "post_hoc",
    "version": "unknown",
}


def _as_parts(key: object) -> tuple[str, ...]:
    parts = (key,) if isinstance(key, str) else key
    if not isinstance(parts, tuple) or not parts or not all(isinstance(p, str) and p for p in parts):
        raise InvalidKeyError(f"invalid ISF key {key!r}: use a string or a tuple of strings")
    if any(p in (".", "..") or "/" in p or "\\" in p or "@" in p for p in parts):
        raise InvalidKeyError(
            f"invalid ISF key {key!r}: parts may not be '.', '..' or contain '/', '\\' or '@'"
        )
    return parts


def _display(parts: tuple[str, ...]) -> str | tuple[str, ...]:
    return parts[0] if len(parts) == 1 else parts


class ISFDatabase(Mapping[Any, Any]):
    """A read-only view of an ISF database (``ISFDataBase`` or ``ModelDataBase``).

    Iterating gives every stored key, nested keys as tuples (ISF's
    ``keys(recurse=True)``); a sub-database key gives an :class:`ISFDatabase`
    and ``db['sub', 'x']`` reaches into it. Nothing is ever written.

    Parameters
    ----------
    path
        The database directory (holds ``db_state.json`` or ``dbcore.pickle``).
    allow_pickle
        Load values stored with a pickle dumper. Only for databases you trust.

    Attributes
    ----------
    layout
        ``"isf"`` (``ISFDataBase``) or ``"model_data_base"`` (the older layout).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        allow_pickle: bool = False,
        _root: Path | None = None,
        _prefix: tuple[str, ...] = (),
    ) -> None:
        self.path = Path(path).absolute()
        self.allow_pickle = allow_pickle
        self.root = (_root or self.path).resolve()
        self.prefix = _prefix
        if (self.path / STATE_FILE).is_file():
            self.layout = "isf"
        elif legacy.is_model_data_base(self.path):
            self.layout = "model_data_base"
        elif not self.path.is_dir():
            raise NotADatabaseError(
                f"{self.path} does not exist or is not a directory: no ISF database there"
            )
        else:
            raise NotADatabaseError(
                f"{self.path} is not an in_silico_framework database: it has neither {STATE_FILE} "
                f"(ISFDataBase) nor {legacy.STATE_FILE} / {legacy.KEYS_FILE} (ModelDataBase)"
            )

    def __repr__(self) -> str:
        return f"ISFDatabase({str(self.path)!r}, layout={self.layout!r})"

    # ----------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        """``db_state.json`` (registered dumpers, unique id); {} for a ModelDataBase."""
        path = self.path / STATE_FILE
        if self.layout != "isf":
            return {}
        try:
            text = path.read_text()
            return dict(json.loads(text)) if text.strip() else {}
        except (OSError, ValueError, TypeError) as exc:
            raise CorruptItemError(f"cannot read {path}: {exc}") from exc

    # ------------------------------------------------------------ keys
    def top_keys(self) -> list[str | tuple[str, ...]]:
        """The keys of this level only (ISF's ``keys()``), sub-databases included."""
        if self.layout == "isf":
            return sorted(
                e.name
                for e in self.path.iterdir()
                if e.is_dir() and e.name not in _NOT_KEYS and ".deleting." not in e.name
            )
        return [_display(p) for p in legacy.list_keys(self.path)]

    def __iter__(self) -> Iterator[Any]:
        for key in self.top_keys():
            parts = _as_parts(key)
            if self.is_subdatabase(parts) and (self.layout == "isf" or self.allow_pickle):
                sub = self.subdatabase(parts)
                for inner in sub:
                    yield (*parts, *_as_parts(inner))
            else:
                yield _display(parts)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        try:
            parts = _as_parts(key)
            self._locate(parts)
        except (ItemNotFoundError, InvalidKeyError):
            return False
        return True

    # ------------------------------------------------------- locating
    def _folder(self, name: str) -> Path:
        folder = self.path / name
        if not folder.is_dir():
            raise ItemNotFoundError(f"no ISF key {name!r} in {self.path}")
        return self._inside(folder, name)

    def _inside(self, folder: Path, key: object) -> Path:
        real = folder.resolve()
        if real != self.root and self.root not in real.parents:
            raise CorruptItemError(
                f"ISF key {key!r}: {folder} leads outside the database {self.root} "
                "(a symlink or a relative path pointing elsewhere); refusing to follow it"
            )
        return real

    def _locate(self, parts: tuple[str, ...]) -> tuple[ISFDatabase, tuple[str, ...]]:
        """Return (database, key inside it) for ``parts``, descending into sub-databases."""
        if self.layout == "model_data_base":
            return self._locate_legacy(parts)
        self._folder(parts[0])
        if len(parts) == 1:
            return self, parts
        if not self.is_subdatabase(parts[:1]):
            raise ItemNotFoundError(
                f"no ISF key {_display(self.prefix + parts)!r}: {self.prefix + parts[:1]!r} in "
                f"{self.path} is a value, not a sub-database"
            )
        return self.subdatabase(parts[:1])._locate(parts[1:])

    def _locate_legacy(self, parts: tuple[str, ...]) -> tuple[ISFDatabase, tuple[str, ...]]:
        keys = legacy.list_keys(self.path)
        if parts in keys:
            return self, parts
        for n in range(len(parts) - 1, 0, -1):
            if parts[:n] in keys and self.is_subdatabase(parts[:n]):
                return self.subdatabase(parts[:n])._locate(parts[n:])
        raise ItemNotFoundError(f"no key {_display(self.prefix + parts)!r} in the ModelDataBase {self.path}")

    # ------------------------------------------------------- metadata
    def loader_spec(self, key: Any) -> dict[str, Any]:
        """The key's ``Loader.json`` (``{"Loader": module, ...}``)."""
        db, parts = self._locate(_as_parts(key))
        return db._loader_spec(parts)

    def _loader_spec(self, parts: tuple[str, ...]) -> dict[str, Any]:
        spec: Any
        if self.layout != "isf":
            meta = legacy.read_metadata(self.path, parts)
            return {"Loader": str(meta.get("dumper", "unknown"))}
        folder = self._folder(parts[0])
        path = folder / LOADER_FILE
        if not path.is_file():
            if (folder / legacy.LOADER_PICKLE).is_file():
                return {"Loader": "unknown", "pickled_loader": True}
            raise CorruptItemError(
                f"ISF key {_display(self.prefix + parts)!r}: {path} is missing, so neuroloom cannot tell "
                "how the key was stored; the key was written incompletely or damaged"
            )
        spec = self._read_json(path, parts)
        if not isinstance(spec, dict) or not isinstance(spec.get("Loader"), str):
            raise CorruptItemError(f"ISF key {_display(self.prefix + parts)!r}: {path} names no 'Loader'")
        return spec

    def _read_json(self, path: Path, parts: tuple[str, ...]) -> Any:
        """A JSON file of key ``parts`` (its Loader.json or metadata.json); damage names both."""
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CorruptItemError(
                f"ISF key {_display(self.prefix + parts)!r}: cannot read {path}: {exc}"
            ) from exc

    def dumper(self, key: Any) -> str:
        """The short name of the dumper that stored ``key`` (``to_cloudpickle``, ...)."""
        db, parts = self._locate(_as_parts(key))
        return db._dumper(parts)

    def _dumper(self, parts: tuple[str, ...]) -> str:
        return dumper_name(self._loader_spec(parts)["Loader"])

    def metadata(self, key: Any) -> dict[str, Any]:
        """ISF's metadata of ``key``: ``dumper``, ``time``, ``version``, ``metadata_creation_time``
        (``"unknown"`` where ISF recorded none), plus ``loader`` (the ``Loader.json`` content)."""
        db, parts = self._locate(_as_parts(key))
        return db._metadata(parts)

    def _metadata(self, parts: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = dict(UNKNOWN_METADATA)
        if self.layout != "isf":
            out.update(legacy.read_metadata(self.path, parts))
            out["loader"] = {}
            return out
        path = self._folder(parts[0]) / METADATA_FILE
        if path.is_file():
            loaded = self._read_json(path, parts)
            if isinstance(loaded, dict):
                out.update(loaded)
        spec = self._loader_spec(parts)
        out["loader"] = spec
        if out.get("dumper") in (None, "unknown"):
            out["dumper"] = dumper_name(spec["Loader"])
        return out

    # ------------------------------------------------- sub-databases
    def is_subdatabase(self, key: Any) -> bool:
        """Whether ``key`` (at this level) holds a sub-database."""
        parts = _as_parts(key)
        if self.layout == "isf":
            if len(parts) > 1:
                db, inner = self._locate(parts)
                return db.is_subdatabase(inner)
            folder = self.path / parts[0]
            return (folder / SUBDB_DIR).is_dir() or (folder / LEGACY_SUBDB_DIR).is_dir()
        return legacy.read_metadata(self.path, parts).get("dumper") in SUBDB_DUMPERS

    def subdatabase(self, key: Any) -> ISFDatabase:
        """Open the sub-database stored under ``key``."""
        parts = _as_parts(key)
        if len(parts) > 1:
            db, inner = self._locate(parts)
            return db.subdatabase(inner)
        if self.layout == "isf":
            folder = self._folder(parts[0])
            name = SUBDB_DIR if (folder / SUBDB_DIR).is_dir() else LEGACY_SUBDB_DIR  # converted MDB
            path = self._inside(folder / name, parts[0])
        else:
            path = self._legacy_folder(parts) / LEGACY_SUBDB_DIR
        return ISFDatabase(path, allow_pickle=self.allow_pickle, _root=self.root, _prefix=self.prefix + parts)

    # ----------------------------------------------------------- values
    def __getitem__(self, key: Any) -> Any:
        db, parts = self._locate(_as_parts(key))
        return db._value(parts)

    def _value(self, parts: tuple[str, ...]) -> Any:
        shown = _display(self.prefix + parts)
        if self.layout != "isf":
            return self._legacy_value(parts)
        if self.is_subdatabase(parts):
            return self.subdatabase(parts)
        spec = self._loader_spec(parts)
        folder = self._folder(parts[0])
        if spec.get("pickled_loader"):
            if not self.allow_pickle:
                raise refuse_pickle(shown, "Loader.pickle", folder / legacy.LOADER_PICKLE)
            return self._from_pickled_loader(folder, shown)
        dumper = dumper_name(spec["Loader"])
        if dumper in FOLDER_DUMPERS:
            return folder
        state = {k: v for k, v in spec.items() if k != "Loader"}
        return load_dump(folder, dumper, shown, allow_pickle=self.allow_pickle, state=state)

    def _from_pickled_loader(self, folder: Path, shown: object) -> Any:
        loader = legacy.unpickle(
            folder / legacy.LOADER_PICKLE, f"{folder / legacy.LOADER_PICKLE} (key {shown!r})"
        )
        if not isinstance(loader, legacy.LoaderState):
            raise CorruptItemError(f"ISF key {shown!r}: {folder / legacy.LOADER_PICKLE} holds no ISF Loader")
        dumper = dumper_name(loader.isf_module)
        if dumper in FOLDER_DUMPERS:
            return folder
        if dumper in SUBDB_DUMPERS:
            sub = folder / LEGACY_SUBDB_DIR
            return ISFDatabase(
                sub, allow_pickle=True, _root=self.root, _prefix=self.prefix + _as_parts(shown)
            )
        return load_dump(folder, dumper, shown, allow_pickle=True, state=dict(loader.__dict__))

    def _legacy_folder(self, parts: tuple[str, ...]) -> Path:
        shown = _display(self.prefix + parts)
        if not self.allow_pickle:
            raise refuse_pickle(shown, "ModelDataBase pointer", self.path / legacy.KEYS_FILE)
        try:
            blob = legacy.read_value_blob(self.path, parts)
        except KeyError:
            raise ItemNotFoundError(f"no key {shown!r} in the ModelDataBase {self.path}") from None
        pointer = legacy.unpickle(blob, f"the value of key {shown!r} in {self.path / legacy.KEYS_FILE}")
        if not isinstance(pointer, legacy.Pointer):
            raise CorruptItemError(f"key {shown!r} in {self.path} is stored inline, not in a folder")
        return self._inside(self.path / str(pointer.relpath), shown)

    def _legacy_value(self, parts: tuple[str, ...]) -> Any:
        shown = _display(self.prefix + parts)
        if not self.allow_pickle:
            raise refuse_pickle(
                shown,
                str(legacy.read_metadata(self.path, parts).get("dumper", "unknown")),
                self.path / legacy.KEYS_FILE,
            )
        try:
            blob = legacy.read_value_blob(self.path, parts)
        except KeyError:
            raise ItemNotFoundError(f"no key {shown!r} in the ModelDataBase {self.path}") from None
        value = legacy.unpickle(blob, f"the value of key {shown!r} in {self.path / legacy.KEYS_FILE}")
        if not isinstance(value, legacy.Pointer):
            return value  # dumper 'self': the value lives in sqlite
        folder = self._inside(self.path / str(value.relpath), shown)
        return self._from_pickled_loader(folder, shown)


def open(path: str | os.PathLike[str], allow_pickle: bool = False) -> ISFDatabase:
    """Open an in_silico_framework database in place, read only.

    Parameters
    ----------
    path
        The database directory: an ``ISFDataBase`` (``db_state.json``) or an
        older ``ModelDataBase`` (``dbcore.pickle``, ``sqlitedict.db``).
    allow_pickle
        Load values stored with ISF's pickle dumpers (``to_pickle``,
        ``to_cloudpickle``, ``pandas_to_pickle``, ModelDataBase values).
        Unpickling runs code: only for databases you trust.

    Returns
    -------
    ISFDatabase
        A read-only mapping of ISF keys to values; ``.metadata(key)`` gives
        each key's ISF metadata and ``.dumper(key)`` its dumper.

    Raises
    ------
    NotADatabaseError
        ``path`` is not an ISF database.
    """
    return ISFDatabase(path, allow_pickle=allow_pickle)
