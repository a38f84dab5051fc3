"""One item on disk: its ``item.json`` record (made, read and checked) and its payload folder.

An item is a folder ``<items>/<k1>/<k2>/`` holding ``item.json`` (codec,
metadata, provenance, the payload's name or an inline value) and, unless the
value is inline, one payload folder ``.v-<uuid hex>``. The functions here
know that layout; :class:`~neuroloom.store.database.Database` decides which
key lives where.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

from neuroloom._io.atomic import delete_path, fsync_tree, remove_path, tmp_name
from neuroloom._io.names import PAYLOAD_PREFIX
from neuroloom.errors import CodecError, CorruptItemError, FormatVersionError, NeuroloomError
from neuroloom.store.keys import display_key
from neuroloom.store.provenance import collect

FORMAT_VERSION = 1
"""Format of ``neuroloom.json`` and ``item.json``; newer files are refused with a message."""
PAYLOAD_NAME = re.compile(re.escape(PAYLOAD_PREFIX) + "[0-9a-f]{32}")
"""The only payload names a record may hold: ``.v-`` and a uuid4 hex (never a path)."""


def now() -> str:
    """The time now, UTC, ISO 8601 with microseconds and a ``Z``."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_record(
    parts: tuple[str, ...], codec: str, meta: dict[str, Any], extra: dict[str, Any] | None
) -> dict[str, Any]:
    """The record of a value of ``codec`` stored now under ``parts`` (``extra``: more fields)."""
    return {
        "format": FORMAT_VERSION,
        "key": list(parts),
        "codec": codec,
        "created": now(),
        "provenance": collect(),
        "meta": meta,
        **(extra or {}),
    }


def read_record(path: Path, parts: tuple[str, ...]) -> dict[str, Any] | None:
    """The checked record of item ``parts`` in ``path`` (its ``item.json``), or None if there is none.

    Raises
    ------
    CorruptItemError
        The file cannot be read, is not JSON, has no codec, or names a payload
        that is not a payload folder of the item (never followed).
    FormatVersionError
        The item was written by a newer neuroloom.
    """
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise CorruptItemError(f"item {display_key(parts)!r}: cannot read {path}: {exc}") from exc
    try:
        record = json.loads(data)
    except ValueError as exc:
        raise CorruptItemError(
            f"item {display_key(parts)!r}: {path} is not valid JSON ({exc}); the item is "
            f"damaged: delete it (del db[{display_key(parts)!r}]) and store it again"
        ) from exc
    if not isinstance(record, dict) or not isinstance(record.get("codec"), str):
        raise CorruptItemError(
            f"item {display_key(parts)!r}: {path} does not describe an item (no codec); "
            "delete it and store the item again"
        )
    version = record.get("format", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise FormatVersionError(
            f"item {display_key(parts)!r}: {path} was written in neuroloom format {version!r}, "
            f"newer than this neuroloom reads (format {FORMAT_VERSION}); upgrade neuroloom"
        )
    payload = record.get("payload")
    if not (payload is None and "inline" in record) and not (
        isinstance(payload, str) and PAYLOAD_NAME.fullmatch(payload)
    ):
        raise CorruptItemError(
            f"item {display_key(parts)!r}: {path} names the payload {payload!r}, which is not "
            f"a payload folder of this item ({PAYLOAD_PREFIX}<32 hex digits>); the record is "
            f"damaged or crafted and is not followed: delete the item (del db[{display_key(parts)!r}]) "
            "and store it again"
        )
    return record


def dump_payload(
    parts: tuple[str, ...], codec: Any, value: Any, item_dir: Path, fsync: bool
) -> tuple[str, dict[str, Any]]:
    """Write ``value`` with ``codec`` into a new payload folder of ``item_dir``: ``(its name, codec info)``.

    The data go to a temporary folder renamed to ``.v-<uuid hex>`` when
    complete; on any failure nothing is left behind, and an error of the codec
    itself becomes a :class:`CodecError` naming the item.
    """
    tmp = item_dir / tmp_name()
    tmp.mkdir()
    try:
        info = codec.dump(value, tmp)
        if fsync:
            fsync_tree(tmp)
        payload = f"{PAYLOAD_PREFIX}{uuid.uuid4().hex}"
        os.rename(tmp, item_dir / payload)
    except BaseException as exc:
        remove_path(tmp)
        if isinstance(exc, (NeuroloomError, OSError)) or not isinstance(exc, Exception):
            raise
        raise CodecError(
            f"could not store item {display_key(parts)!r} with codec {codec.name!r}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return payload, info


def make_item_dir(item_dir: Path) -> bool:
    """Create ``item_dir`` (and its parents); return whether this call created it."""
    try:
        os.mkdir(item_dir)
        return True
    except FileExistsError:
        return False
    except FileNotFoundError:
        item_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(item_dir)
        return True
    except FileExistsError:
        return False


def remove_old_payload(parts: tuple[str, ...], payload: Path) -> None:
    """Remove the payload of a replaced value; if it cannot be, warn (the new value is stored)."""
    try:
        delete_path(payload)
    except OSError as exc:
        warnings.warn(
            f"item {display_key(parts)!r} was stored, but the folder of its previous value "
            f"{payload} could not be removed ({exc}); it takes disk space until db.vacuum() or "
            "you remove it",
            ResourceWarning,
            stacklevel=4,
        )
