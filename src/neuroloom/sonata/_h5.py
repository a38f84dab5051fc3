"""Small h5py helpers shared by the SONATA readers and writers.

Every failure of the HDF5 library (truncated file, missing dataset, bad shape)
is turned into a :class:`~neuroloom.errors.SonataFormatError` that names the
file and the dataset.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom.errors import SonataFormatError
from neuroloom.sonata._mapped import MappedColumn, mapped

#: the SONATA magic number ("SONA" in the spec) written as a root attribute
MAGIC = 0x0A7A
VERSION = (0, 1)
#: neighbouring ranges closer than this many rows are read in one call
COALESCE_GAP = 4096
#: ... or closer than this many bytes, whichever is larger
COALESCE_BYTES = 1 << 20
CHUNK_CACHE = 64 << 20


def open_h5(path: str | Path, mode: str = "r") -> h5py.File:
    """Open an HDF5 file, raising a clear error when it is missing or damaged."""
    path = Path(path)
    if mode == "r" and not path.is_file():
        raise SonataFormatError(f"{path}: no such file; check the path (or the config's manifest)")
    try:
        # a chunk cache larger than our 2 MiB chunks, so neighbouring range reads reuse them
        return h5py.File(path, mode, rdcc_nbytes=CHUNK_CACHE, rdcc_nslots=10007)
    except OSError as exc:
        raise SonataFormatError(
            f"{path}: cannot open as HDF5 ({exc}); the file is truncated or not an HDF5 file"
        ) from None


def dataset(group: h5py.Group, name: str, rule: str = "") -> h5py.Dataset:
    """Return ``group[name]`` as a dataset or raise an error naming the dataset (and ``rule``)."""
    try:
        obj = group[name]
    except KeyError:
        raise SonataFormatError(
            f"{group.file.filename}: missing required dataset {group.name.rstrip('/')}/{name}"
            + (f"; rule: {rule}" if rule else "")
        ) from None
    except (OSError, RuntimeError) as exc:
        raise SonataFormatError(
            f"{group.file.filename}: dataset {group.name.rstrip('/')}/{name} is unreadable ({exc})"
        ) from None
    if not isinstance(obj, h5py.Dataset):
        raise SonataFormatError(f"{group.file.filename}: {obj.name} should be a dataset, found a group")
    return obj


@contextmanager
def reading(ds: h5py.Dataset | h5py.Group) -> Iterator[None]:
    """Turn HDF5 read failures (truncated data, bad filter) into SonataFormatError."""
    try:
        yield
    except (OSError, RuntimeError, ValueError, TypeError) as exc:
        raise SonataFormatError(f"{ds.file.filename}: cannot read {ds.name} ({exc})") from None


def read_all(ds: h5py.Dataset) -> np.ndarray:
    """Read a whole dataset."""
    if ds.ndim >= 1:
        return read_slice(ds, 0, ds.shape[0])
    with reading(ds):
        return np.asarray(ds[()])


_MAPPED: weakref.WeakKeyDictionary[h5py.Dataset, MappedColumn | None] = weakref.WeakKeyDictionary()


def mapped_column(ds: h5py.Dataset) -> MappedColumn | None:
    """The memory-mapped view of ``ds`` (cached per open dataset), or ``None``.

    Only datasets of files opened read-only are mapped: while the file is open
    this way HDF5 lets no one in this process write to it.
    """
    try:
        return _MAPPED[ds]
    except KeyError:
        pass
    col = mapped(ds) if ds.file.mode == "r" else None
    _MAPPED[ds] = col
    return col


def read_slice(ds: h5py.Dataset, start: int, stop: int) -> np.ndarray:
    """``ds[start:stop]`` through a memory map or h5py's low-level API (numeric data)."""
    col = mapped_column(ds)
    if col is not None:
        return col.slice(start, stop)
    if ds.dtype.kind not in "iuf" or h5py.check_enum_dtype(ds.dtype) is not None:
        with reading(ds):
            return np.asarray(ds[start:stop])
    shape = (stop - start, *ds.shape[1:])
    out = np.empty(shape, dtype=ds.dtype)
    if out.size == 0:
        return out
    with reading(ds):
        fspace = ds.id.get_space()
        fspace.select_hyperslab((start,) + (0,) * (ds.ndim - 1), shape)
        ds.id.read(h5py.h5s.create_simple(shape), fspace, out)
    return out


def decode_strings(values: np.ndarray) -> np.ndarray:
    """Turn bytes read from HDF5 string datasets into an object array of str."""
    if values.dtype.kind in ("S", "O"):
        out = np.empty(values.shape, dtype=object)
        flat = values.ravel()
        out.ravel()[:] = [v.decode() if isinstance(v, bytes) else v for v in flat]
        return out
    return values


def ranges_of(sorted_ids: np.ndarray, gap: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Split sorted row numbers into ``[start, stop)`` ranges.

    Ids closer than ``gap`` are put in one range (``gap=1``: only consecutive ids).
    """
    if sorted_ids.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    ids = sorted_ids.astype(np.int64, copy=False)
    breaks = np.flatnonzero(np.diff(ids) > gap) + 1
    starts = ids[np.concatenate(([0], breaks))]
    stops = ids[np.concatenate((breaks - 1, [ids.size - 1]))] + 1
    return starts, stops


def read_rows(ds: h5py.Dataset, rows: np.ndarray, gap: int = COALESCE_GAP) -> np.ndarray:
    """Read the given rows (any order, repeats allowed) with coalesced range reads.

    Rows are sorted, neighbouring rows closer than ``gap`` are read in one slice
    and the values are returned in the order of ``rows``.
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = ds.shape[0]
    if rows.size == 0:
        return np.zeros((0, *ds.shape[1:]), dtype=ds.dtype)
    if rows.min() < 0 or rows.max() >= n:
        bad = int(rows.max() if rows.max() >= n else rows.min())
        raise SonataFormatError(
            f"{ds.file.filename}: row {bad} is outside {ds.name} (length {n}); "
            "an index or id points past the end of the dataset"
        )
    col = mapped_column(ds)
    if col is not None:
        if np.all(rows[1:] >= rows[:-1]):
            return col.take(rows)
        by_row = np.argsort(rows, kind="stable")
        out = np.empty((rows.size, *ds.shape[1:]), dtype=ds.dtype)
        out[by_row] = col.take(rows[by_row])
        return out
    if rows.size > n // 4:  # a large share of the dataset: one read is fastest
        return np.asarray(read_all(ds)[rows])
    order = None
    if np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        srt = rows[order]
    else:
        srt = rows
    uniq, inverse = np.unique(srt, return_inverse=True)
    starts, stops = ranges_of(uniq, gap)
    parts = [read_slice(ds, a, b) for a, b in zip(starts.tolist(), stops.tolist())]
    block = np.concatenate(parts) if len(parts) > 1 else parts[0]
    # position of each unique row inside the concatenated block
    lengths = stops - starts
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    which = np.searchsorted(starts, uniq, side="right") - 1
    pos = offsets[which] + (uniq - starts[which])
    values = block[pos][inverse]
    if order is None:
        return np.asarray(values)
    out = np.empty_like(values)
    out[order] = values
    return np.asarray(out)


def read_ranges(
    ds: h5py.Dataset, starts: np.ndarray, stops: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Read and concatenate ``ds[start:stop]`` for sorted, disjoint ranges (coalesced).

    ``rows`` may give the expanded row numbers when the caller already has them.
    """
    n = ds.shape[0]
    if starts.size == 0:
        return np.zeros((0, *ds.shape[1:]), dtype=ds.dtype)
    if int(stops.max()) > n or int(starts.min()) < 0:
        raise SonataFormatError(
            f"{ds.file.filename}: a range ends at {int(stops.max())}, past the end of {ds.name} "
            f"(length {n}); the index is corrupt"
        )
    if starts.size == 1:
        return read_slice(ds, int(starts[0]), int(stops[0]))
    col = mapped_column(ds)
    if col is not None:
        return col.take(np_ranges(starts, stops) if rows is None else rows)
    total = int((stops - starts).sum())
    if total > n // 2:
        data = read_all(ds)
        return np.asarray(data[np_ranges(starts, stops)])
    # merge ranges separated by small gaps into one read each
    gaps = starts[1:] - stops[:-1]
    row_bytes = max(ds.dtype.itemsize * int(np.prod(ds.shape[1:], dtype=np.int64)), 1)
    cut = np.flatnonzero(gaps > max(COALESCE_GAP, COALESCE_BYTES // row_bytes)) + 1
    group_starts = np.concatenate(([0], cut))
    group_stops = np.concatenate((cut, [starts.size]))
    parts = []
    for g0, g1 in zip(group_starts.tolist(), group_stops.tolist()):
        a = int(starts[g0])
        b = int(stops[g1 - 1])
        block = read_slice(ds, a, b)
        if g1 - g0 == 1:
            parts.append(block)
        else:
            parts.append(block[np_ranges(starts[g0:g1] - a, stops[g0:g1] - a)])
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def np_ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(start, stop)`` for every range, vectorised."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(stops, dtype=np.int64) - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.asarray(np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths))


def attr_text(obj: h5py.HLObject, name: str, default: str | None = None) -> str | None:
    """Read a string attribute (bytes or str) or return ``default``."""
    if name not in obj.attrs:
        return default
    value: Any = obj.attrs[name]
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == (1,):
        value = value[0]
        return value.decode() if isinstance(value, bytes) else str(value)
    return str(value)
