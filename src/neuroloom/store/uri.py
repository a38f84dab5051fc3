"""``neuroloom.resolve``: turn a ``neuroloom://`` URI back into its item."""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from neuroloom.errors import CodecError, InvalidKeyError, ItemNotFoundError, UnresolvedURIError
from neuroloom.store import registry
from neuroloom.store.database import FOLDER, SUBDB, Database
from neuroloom.store.keys import display_key, normalize_key

OPENERS: dict[str, str] = {"study": "neuroloom.study.study:study_store"}
"""Function that opens the item store of a directory, by the ``kind`` in its ``neuroloom.json``.

Each is ``"module:function"``, ``function(path) -> Database``; upper layers are
named as strings so the store never imports them until a directory of theirs
is opened. A study's store serves its runs' values under ``runs/`` (a mount).
Add an entry to teach :func:`resolve` and ``neuroloom ls/show`` a new kind."""


def open_store(root: str | os.PathLike[str]) -> Database:
    """The item store of the neuroloom directory ``root``, opened as its kind asks.

    A plain database is a :class:`Database`; a study's store also serves
    ``runs/<run>/<name>`` (its runs' values).
    """
    root = Path(root)
    try:
        kind = json.loads((root / registry.MARKER).read_text(encoding="utf-8")).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    target = OPENERS.get(kind) if isinstance(kind, str) else None
    if target is None:
        return Database(root)
    module, _, name = target.partition(":")
    opener = getattr(importlib.import_module(module), name)
    opened: Database = opener(root)
    return opened


def resolve(
    uri: str,
    *,
    search: Iterable[str | os.PathLike[str]] = (),
    allow_pickle: bool = False,
) -> Any:
    """Return what ``uri`` points to.

    Parameters
    ----------
    uri
        ``neuroloom://<db-id>/<key parts>[/<path inside a folder>]``.
    search
        Directories to search (four levels deep) if the database is not where
        it was last opened; ``NEUROLOOM_PATH`` is searched too.
    allow_pickle
        Allow loading a pickled item.

    Returns
    -------
    object
        The item's value; a :class:`pathlib.Path` for a managed folder or a
        file inside one; a :class:`Database` for a sub-database.

    Raises
    ------
    UnresolvedURIError
        If the URI is malformed or its database cannot be found.
    ItemNotFoundError
        If the database has no such item.
    """
    try:
        db_id, text_parts = registry.split_uri(uri)
        parts = normalize_key(tuple(text_parts)) if text_parts else ()
    except (ValueError, InvalidKeyError) as exc:
        raise UnresolvedURIError(f"cannot resolve {uri!r}: {exc}") from None
    root = registry.locate(db_id, search)
    if root is None:
        raise UnresolvedURIError(
            f"cannot resolve {uri!r}: database {db_id} is not where it was last opened; "
            "open it once at its new place (neuroloom.Database(path)), pass search=[folder], "
            "or list the folders that hold it in NEUROLOOM_PATH"
        )
    db = open_store(root)
    while parts:
        for cut in range(len(parts), 0, -1):
            record = db._record(parts[:cut])
            if record is not None:
                break
        else:
            try:  # values a mount keeps outside item folders (a study's scalar run results)
                return db.get(parts, allow_pickle=allow_pickle) if allow_pickle else db[parts]
            except ItemNotFoundError:
                raise ItemNotFoundError(
                    f"cannot resolve {uri!r}: no item {display_key(parts)!r} in {db.path}"
                ) from None
        key, rest = parts[:cut], parts[cut:]
        if record["codec"] == SUBDB:
            db = db._open_sub(key, record)
            parts = rest
            continue
        if record["codec"] == FOLDER:
            return db._item_dir(key).joinpath(record["payload"], *rest)
        if rest:
            raise CodecError(
                f"cannot resolve {uri!r}: item {display_key(key)!r} is a {record['codec']!r} "
                f"value, not a folder, so it has no {'/'.join(rest)!r} inside"
            )
        return db.get(key, allow_pickle=allow_pickle) if allow_pickle else db[key]
    return db
