"""Array codecs: ``.npy`` (memory-mapped on read), compressed ``.npz`` and chunked Zarr."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from neuroloom.store.codecs.base import Codec

ZARR_THRESHOLD = 2**30
"""numpy arrays of at least this many bytes go to Zarr when no codec is named."""


def _is_dask_array(obj: object) -> bool:
    if not type(obj).__module__.startswith("dask"):
        return False
    import dask.array as da

    return isinstance(obj, da.Array)


def _plain_dtype(arr: np.ndarray) -> bool:
    return not arr.dtype.hasobject


class NpyCodec(Codec):
    """numpy arrays (no object dtype) as ``.npy``; read memory-mapped."""

    name = "npy"
    options = frozenset({"mmap"})

    def accepts(self, obj: object) -> bool:
        return isinstance(obj, np.ndarray) and _plain_dtype(obj)

    def auto(self, obj: object) -> bool:
        return isinstance(obj, np.ndarray) and obj.nbytes < ZARR_THRESHOLD

    def why_not(self, obj: object) -> str:
        if isinstance(obj, np.ndarray):
            return (
                f"the array has dtype {obj.dtype!r}, which holds Python objects that .npy can "
                "only store by pickling; convert it to a plain dtype (e.g. arr.astype('U')), "
                "or name codec='pickle'"
            )
        return super().why_not(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        np.save(directory / "data.npy", obj, allow_pickle=False)
        return {"shape": list(obj.shape), "dtype": obj.dtype.str}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        mmap = options.get("mmap", True)
        return np.load(directory / "data.npy", mmap_mode="r" if mmap else None, allow_pickle=False)


class NpzCodec(Codec):
    """numpy arrays (no object dtype) as a zlib-compressed ``.npz``; read into memory.

    Named only (``codec="npz"``): a run's result array takes it when
    compression pays (:func:`compression_pays`).
    """

    name = "npz"

    def accepts(self, obj: object) -> bool:
        return isinstance(obj, np.ndarray) and _plain_dtype(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        with open(directory / "data.npz", "wb") as handle:
            np.savez_compressed(handle, data=obj)
        return {"shape": list(obj.shape), "dtype": obj.dtype.str}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        with np.load(directory / "data.npz", allow_pickle=False) as archive:
            return archive["data"]


COMPRESS_MIN_BYTES = 16384
"""Arrays smaller than this are not worth compressing (a file block is 4 KiB)."""
_PROBE_BYTES = 262144


def compression_pays(arr: np.ndarray, *, ratio: float = 0.75) -> bool:
    """Whether zlib shrinks ``arr`` below ``ratio`` of its size (probed on its first 256 KiB).

    Arrays under :data:`COMPRESS_MIN_BYTES` or from :data:`ZARR_THRESHOLD` up
    (Zarr, chunked and compressed, takes those) are never given to ``npz``.
    """
    import zlib

    if not isinstance(arr, np.ndarray) or not _plain_dtype(arr):
        return False
    if not COMPRESS_MIN_BYTES <= arr.nbytes < ZARR_THRESHOLD:
        return False
    probe = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)[:_PROBE_BYTES]
    return len(zlib.compress(probe.tobytes(), 1)) < ratio * len(probe)


def _chunks_for(shape: tuple[int, ...], itemsize: int, target: int = 16 * 2**20) -> tuple[int, ...]:
    """Chunk shape of about ``target`` bytes, split along the first axis."""
    if not shape:
        return ()
    row = max(1, itemsize * math.prod(shape[1:]))
    first = max(1, min(shape[0], target // row))
    return (first, *shape[1:])


class ZarrCodec(Codec):
    """Large numpy arrays and dask arrays as chunked Zarr, read back lazily."""

    name = "zarr"

    def accepts(self, obj: object) -> bool:
        if isinstance(obj, np.ndarray):
            return _plain_dtype(obj)
        return _is_dask_array(obj)

    def auto(self, obj: object) -> bool:
        if isinstance(obj, np.ndarray):
            return obj.nbytes >= ZARR_THRESHOLD and _plain_dtype(obj)
        return _is_dask_array(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        import zarr

        target = str(directory / "data.zarr")
        every_chunk: Any = {"write_empty_chunks": True}  # a missing chunk then always means lost data
        if _is_dask_array(obj):
            obj.to_zarr(target, config=every_chunk)
            return {"dask": True, "shape": list(obj.shape), "dtype": obj.dtype.str, "complete": True}
        arr = zarr.create_array(
            store=target,
            shape=obj.shape,
            dtype=obj.dtype,
            chunks=_chunks_for(obj.shape, obj.dtype.itemsize),
            config=every_chunk,
        )
        arr[...] = obj
        return {"dask": False, "shape": list(obj.shape), "dtype": obj.dtype.str, "complete": True}

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        return self.load_item(directory, info, str(directory), **options)

    def load_item(self, directory: Path, info: dict[str, Any], key: str, **options: Any) -> Any:
        """The array, lazily; reading data of ``key`` that went away raises ``ItemChangedError``."""
        from neuroloom.store.codecs.lazy import open_zarr

        arr = open_zarr(directory / "data.zarr", key, bool(info.get("complete")))
        if info.get("dask"):
            import dask.array as da

            return da.from_zarr(arr)  # type: ignore[no-untyped-call]
        return arr
