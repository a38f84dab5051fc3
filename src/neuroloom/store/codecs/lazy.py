"""Lazy readers that never return fill values for data that went away (issue 11, S2).

A zarr array or a dask collection returned by ``db[key]`` reads its files
when it is computed, possibly long after ``db[key]`` returned. If another
writer overwrites or deletes the key in between, the item's old payload
folder is removed. zarr would then read the missing chunks as fill values
(silent zeros) and dask-parquet would raise a bare ``FileNotFoundError``.
The readers here raise :class:`~neuroloom.errors.ItemChangedError` naming the
key instead; read ``db[key]`` again to get the new value.

Arrays written by this version store every chunk (``write_empty_chunks``),
so any missing chunk means the data went away (``complete=True``). For older
items, a chunk may be legitimately absent (all fill value): there a missing
chunk is an error only when the array's ``zarr.json`` is gone too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zarr.storage import LocalStore

from neuroloom.errors import ItemChangedError

_METADATA = frozenset({"zarr.json", ".zarray", ".zattrs", ".zgroup", ".zmetadata"})


def changed(key: str, what: str, path: object) -> ItemChangedError:
    return ItemChangedError(
        f"item {key!r} was overwritten or deleted after this lazy {what} was read from the "
        f"database: its data ({path}) are gone; read db[{key!r}] again for the current value"
    )


class GuardedStore(LocalStore):
    """A zarr ``LocalStore`` that raises :class:`ItemChangedError` for a chunk that went away."""

    def __init__(
        self, root: Path | str, *, read_only: bool = False, item: str = "", complete: bool = False
    ) -> None:
        super().__init__(root, read_only=read_only)
        self.item = item
        self.complete = complete

    def with_read_only(self, read_only: bool = False) -> GuardedStore:
        return type(self)(self.root, read_only=read_only, item=self.item, complete=self.complete)

    def _check(self, key: str, found: Any) -> Any:
        if found is not None or key.rsplit("/", 1)[-1] in _METADATA:
            return found
        if self.complete or not (self.root / "zarr.json").exists():
            raise changed(self.item, "zarr array", self.root / key)
        return found  # an older item's chunk that holds only the fill value

    async def get(self, key: str, prototype: Any = None, byte_range: Any = None) -> Any:
        return self._check(key, await super().get(key, prototype, byte_range))

    async def get_partial_values(self, prototype: Any, key_ranges: Any) -> list[Any]:
        pairs = list(key_ranges)
        found = await super().get_partial_values(prototype, pairs)
        return [self._check(key, value) for (key, _range), value in zip(pairs, found)]


def open_zarr(target: Path, key: str, complete: bool) -> Any:
    """The zarr array at ``target`` for item ``key``, read through a :class:`GuardedStore`."""
    import zarr

    return zarr.open_array(store=GuardedStore(target, read_only=True, item=key, complete=complete), mode="r")
