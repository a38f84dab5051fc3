"""The older ISF ``ModelDataBase`` layout: ``dbcore.pickle``, ``sqlitedict.db``, ``Loader.pickle``.

A ModelDataBase keeps its keys in the sqlite file ``sqlitedict.db`` (table
``unnamed``, columns ``key TEXT`` and ``value BLOB``; nested keys are joined
with ``@``) and its metadata in ``metadata.db`` (same table layout). Each value
blob is a cloudpickle: either a ``LoaderWrapper`` whose ``relpath`` names the
key's folder (which holds a pickled ``Loader`` object in ``Loader.pickle`` and
the dump), or the value itself (dumper ``self``).

Keys and metadata are read without running pickled code (sqlite for the keys,
a restricted unpickler that only builds plain containers for the metadata);
values need ``allow_pickle=True``.
"""

from __future__ import annotations

import datetime as _dt
import io
import pickle
import sqlite3
from collections import OrderedDict
from pathlib import Path
from typing import Any

from neuroloom.errors import CorruptItemError

KEYS_FILE = "sqlitedict.db"
METADATA_FILE = "metadata.db"
STATE_FILE = "dbcore.pickle"
LOADER_PICKLE = "Loader.pickle"
TABLE = "unnamed"

_PLAIN = {
    ("builtins", n): getattr(__import__("builtins"), n)
    for n in ("dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes")
}
_PLAIN[("datetime", "datetime")] = _dt.datetime
_PLAIN[("datetime", "date")] = _dt.date
_PLAIN[("collections", "OrderedDict")] = OrderedDict
_PLAIN[("collections", "defaultdict")] = dict


class _PlainUnpickler(pickle.Unpickler):
    """Builds only plain containers and dates; any other class is refused."""

    def find_class(self, module: str, name: str) -> Any:
        found = _PLAIN.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return found


class Pointer:
    """Stand-in for ISF's ``LoaderWrapper``: the key's folder, relative to the database."""

    relpath: str = ""


class LoaderState:
    """Stand-in for a pickled ISF ``Loader`` object: its module and attributes."""

    isf_module: str = ""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)


class _ISFUnpickler(pickle.Unpickler):
    """Full unpickler (the user allowed pickle) that maps ISF's own classes to stand-ins,
    so in_silico_framework need not be installed."""

    def find_class(self, module: str, name: str) -> Any:
        if name == "LoaderWrapper":
            return Pointer
        if name == "Loader" and "LoaderDumper" in module:
            return type("Loader", (LoaderState,), {"isf_module": module})
        return super().find_class(module, name)


def is_model_data_base(path: Path) -> bool:
    """Whether ``path`` holds the ModelDataBase layout."""
    return (path / STATE_FILE).is_file() or (path / KEYS_FILE).is_file()


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise CorruptItemError(f"{path} is missing: the ModelDataBase at {path.parent} is damaged")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _rows(path: Path, what: str, key: str | None = None) -> list[tuple[Any, ...]]:
    try:
        con = _connect(path)
        try:
            if key is None:
                return list(con.execute(f'SELECT {what} FROM "{TABLE}" ORDER BY key'))
            return list(con.execute(f'SELECT {what} FROM "{TABLE}" WHERE key = ?', (key,)))
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise CorruptItemError(f"cannot read the sqlite file {path}: {exc}") from exc


def split_key(text: str) -> tuple[str, ...]:
    """``'a@b'`` (ModelDataBase's nested key) -> ``('a', 'b')``."""
    return tuple(text.split("@"))


def join_key(parts: tuple[str, ...]) -> str:
    """``('a', 'b')`` -> ``'a@b'``."""
    return "@".join(parts)


def list_keys(root: Path) -> list[tuple[str, ...]]:
    """Every key in ``sqlitedict.db`` (read with sqlite, no pickle)."""
    return [split_key(str(row[0])) for row in _rows(root / KEYS_FILE, "key")]


def read_metadata(root: Path, parts: tuple[str, ...]) -> dict[str, Any]:
    """The key's metadata dict from ``metadata.db`` (restricted unpickling), or {}."""
    path = root / METADATA_FILE
    if not path.is_file():
        return {}
    rows = _rows(path, "value", join_key(parts))
    if not rows:
        return {}
    try:
        meta = _PlainUnpickler(io.BytesIO(bytes(rows[0][0])), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return {}
    return dict(meta) if isinstance(meta, dict) else {}


def read_value_blob(root: Path, parts: tuple[str, ...]) -> bytes:
    """The pickled value blob of a key."""
    rows = _rows(root / KEYS_FILE, "value", join_key(parts))
    if not rows:
        raise KeyError(parts)
    return bytes(rows[0][0])


def unpickle(data: bytes | Path, what: str) -> Any:
    """Unpickle ``data`` (bytes or a file) mapping ISF classes to :class:`Pointer` / :class:`LoaderState`."""
    try:
        # latin1 reads Python 2 pickles (str and numpy buffers) as ModelDataBases hold them
        if isinstance(data, Path):
            with open(data, "rb") as fh:
                return _ISFUnpickler(fh, encoding="latin1").load()
        return _ISFUnpickler(io.BytesIO(data), encoding="latin1").load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as exc:
        raise CorruptItemError(f"cannot unpickle {what}: {type(exc).__name__}: {exc}") from exc
