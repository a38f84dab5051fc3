"""A run's small saved items in one file: ``<run folder>/items.zip``.

``run.save(name, value)`` used to give every non-scalar value its own item
folder (``items/<name>/item.json`` + ``.v-<id>/<payload>``: two files and three
folders per value). Small values of the in-memory codecs (``npy``, ``json``,
``parquet``, ``bytes``) now go into one ZIP archive per run, compressed with
deflate: the same codec files (``<name>/item.json`` + ``<name>/<payload
files>``), so a value reads back exactly as from an item folder.

A run keeps its packed values in memory (:func:`pack`) and writes them when
it hands its results over, or earlier once they pass :data:`FLUSH_BYTES`
(:func:`write_archive`): one rewrite per run, not one per value. Writes are
atomic: the archive is rewritten under a temporary name (old members copied,
the new values added) and renamed into place, so a crash leaves the previous
archive or the new one. Values whose encoded payload is larger
than :data:`PACK_LIMIT`, and codecs that keep files open (``zarr``,
``dask-parquet``) or need opt-in (pickle), keep the item-folder layout.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom._io.atomic import tmp_name
from neuroloom._io.names import ITEM_FILE
from neuroloom._io.names import PACK_FILE as PACK_FILE
from neuroloom.errors import CorruptItemError, PickleRefusedError
from neuroloom.store.codecs import get_codec
from neuroloom.store.codecs.base import Codec
from neuroloom.store.item_files import now

PACK_KIND = "pack"
PACK_LIMIT = 4 << 20
FLUSH_BYTES = 16 << 20  # packed values a run keeps in memory before it writes them
PACKABLE = frozenset({"npy", "json", "parquet", "bytes"})
ITEM_RECORD = ITEM_FILE
PACK_FORMAT = 1


class NotPackedError(LookupError):
    """The run's archive does not hold the item."""


def _payload_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


#: an item ready for the archive: its ``item.json`` record and its payload files (path, bytes)
Packed = tuple[dict[str, Any], list[tuple[str, bytes]]]


def pack(name: str, value: Any, codec: Codec) -> Packed | None:
    """``value`` encoded for a run's archive, or None when it is not packable (the caller
    then stores it as an item folder). Nothing is written: see :func:`write_archive`."""
    if codec.name not in PACKABLE:
        return None
    if isinstance(value, np.ndarray) and value.nbytes > PACK_LIMIT:
        return None  # its npy payload is at least nbytes: never written only to be thrown away
    record: dict[str, Any] = {"format": PACK_FORMAT, "key": [name], "codec": codec.name, "created": now()}
    keep, inline = codec.inline(value)
    if keep:
        record["inline"] = inline
        record["info"] = codec.inline_info(value)  # e.g. where NaN and inf stand in a JSON value
        return record, []
    with tempfile.TemporaryDirectory(prefix="neuroloom-pack-") as tmp:
        payload = Path(tmp)
        record["info"] = codec.dump(value, payload)
        files = _payload_files(payload)
        if sum(f.stat().st_size for f in files) > PACK_LIMIT:
            return None
        return record, [(f.relative_to(payload).as_posix(), f.read_bytes()) for f in files]


def write_archive(folder: Path, items: Mapping[str, Packed | None]) -> None:
    """Write ``items`` into the run's archive in one atomic rewrite (items of other names
    kept; a name given ``None`` is removed)."""
    if not items:
        return
    archive = folder / PACK_FILE
    tmp = folder / tmp_name(".zip")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            if archive.is_file():
                with zipfile.ZipFile(archive) as old:
                    for info in old.infolist():
                        if info.filename.split("/", 1)[0] not in items:
                            out.writestr(info, old.read(info.filename))
            for name, item in items.items():
                if item is None:
                    continue
                record, files = item
                out.writestr(f"{name}/{ITEM_RECORD}", json.dumps(record, separators=(",", ":")))
                for relative, data in files:
                    out.writestr(f"{name}/{relative}", data)
        os.replace(tmp, archive)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def packed_names(folder: Path) -> list[str]:
    """Names of the items in a run's archive (empty when it has none)."""
    archive = folder / PACK_FILE
    if not archive.is_file():
        return []
    with zipfile.ZipFile(archive) as zf:
        return sorted({n.split("/", 1)[0] for n in zf.namelist() if n.endswith("/" + ITEM_RECORD)})


def packed_record(folder: Path, name: str) -> dict[str, Any] | None:
    """The ``item.json`` record of ``name`` in a run's archive, or None when it holds no such item."""
    archive = folder / PACK_FILE
    try:
        with zipfile.ZipFile(archive) as zf:
            record: dict[str, Any] = json.loads(zf.read(f"{name}/{ITEM_RECORD}"))
    except (FileNotFoundError, KeyError):
        return None
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise CorruptItemError(f"{archive}: the record of item {name!r} is damaged: {exc}") from None
    return record


def read_packed(folder: Path, name: str, allow_pickle: bool, options: dict[str, Any]) -> Any:
    """The value of item ``name`` from a run's archive.

    Raises
    ------
    NotPackedError
        The run has no archive or the archive does not hold ``name``.
    CorruptItemError
        The archive or the item's record cannot be read (the message names the file).
    """
    archive = folder / PACK_FILE
    prefix = f"{name}/"
    try:
        zf = zipfile.ZipFile(archive)
    except FileNotFoundError:
        raise NotPackedError(name) from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise CorruptItemError(f"cannot read the run's item archive {archive}: {exc}") from None
    with zf:
        try:
            record = json.loads(zf.read(prefix + ITEM_RECORD))
        except KeyError:
            raise NotPackedError(name) from None
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            raise CorruptItemError(f"{archive}: the record of item {name!r} is damaged: {exc}") from None
        codec = get_codec(str(record.get("codec")))
        if codec.needs_opt_in and not allow_pickle:
            raise PickleRefusedError(f"{archive}: item {name!r} needs allow_pickle=True")
        info = record.get("info") or {}
        if "inline" in record:
            return codec.load_inline(record["inline"], info)
        tmp = Path(tempfile.mkdtemp(prefix="neuroloom-pack-"))
        try:
            for member in zf.namelist():
                if member.startswith(prefix) and member != prefix + ITEM_RECORD:
                    target = (tmp / member[len(prefix) :]).resolve()
                    if tmp.resolve() not in target.parents:
                        raise CorruptItemError(f"{archive}: member {member!r} points outside its item")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(zf.read(member))
            loaded = codec.load(tmp, info, **{**options, **({"mmap": False} if codec.name == "npy" else {})})
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise CorruptItemError(f"{archive}: item {name!r} cannot be read: {exc}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return loaded
