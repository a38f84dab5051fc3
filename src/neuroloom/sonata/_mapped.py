"""Read uncompressed HDF5 datasets through a memory map of the file.

For a numeric dataset without filters, the bytes of each chunk (or of the
whole contiguous dataset) sit at a known file offset (``get_offset`` /
``get_chunk_info``). Mapping the file lets numpy gather scattered rows
directly, touching only the pages it needs, with no per-call HDF5 overhead.
Anything else (compression, strings, external storage) falls back to h5py.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

_FILE_MAPS: dict[tuple[str, float, int], np.memmap] = {}


def _file_map(path: str) -> np.memmap:
    st = Path(path).stat()
    key = (path, float(st.st_mtime_ns), st.st_size)
    mm = _FILE_MAPS.get(key)
    if mm is None:
        for old in [k for k in _FILE_MAPS if k[0] == path]:
            del _FILE_MAPS[old]
        while len(_FILE_MAPS) >= 64:  # bound the open maps (each holds a file descriptor)
            del _FILE_MAPS[next(iter(_FILE_MAPS))]
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        _FILE_MAPS[key] = mm
    return mm


class MappedColumn:
    """Row access to one 1-D or 2-D numeric dataset via memory-mapped chunks."""

    def __init__(self, ds: h5py.Dataset) -> None:
        self.n = int(ds.shape[0])
        self.row_shape = tuple(ds.shape[1:])
        self.dtype = ds.dtype
        self.starts: np.ndarray = np.zeros(0, dtype=np.int64)
        self.views: list[np.ndarray] = []
        self._build(ds)  # no reference to ds is kept: the HDF5 file can close

    def _build(self, ds: h5py.Dataset) -> None:
        if ds.dtype.kind not in "iuf" or h5py.check_enum_dtype(ds.dtype) is not None:
            raise TypeError("not numeric")
        dcpl = ds.id.get_create_plist()
        if dcpl.get_nfilters() != 0 or dcpl.get_external_count() != 0:
            raise TypeError("filtered or external")
        mm = _file_map(ds.file.filename)
        row_items = int(np.prod(self.row_shape, dtype=np.int64)) if self.row_shape else 1
        if ds.chunks is None:
            offset = ds.id.get_offset()
            if offset is None:
                raise TypeError("not allocated")
            self.starts = np.array([0], dtype=np.int64)
            self.views = [np.ndarray((self.n, *self.row_shape), dtype=self.dtype, buffer=mm, offset=offset)]
            return
        chunk_rows = int(ds.chunks[0])
        if any(c != s for c, s in zip(ds.chunks[1:], self.row_shape)):
            raise TypeError("chunked along a second axis")
        n_chunks = ds.id.get_num_chunks()
        infos = sorted((ds.id.get_chunk_info(i) for i in range(n_chunks)), key=lambda s: s.chunk_offset[0])
        starts, views = [], []
        for info in infos:
            if info.byte_offset is None:
                raise TypeError("unallocated chunk")
            row0 = int(info.chunk_offset[0])
            rows = min(chunk_rows, self.n - row0)
            if rows <= 0:
                continue
            if info.size < chunk_rows * row_items * self.dtype.itemsize:
                raise TypeError("short chunk")
            starts.append(row0)
            views.append(
                np.ndarray((rows, *self.row_shape), dtype=self.dtype, buffer=mm, offset=info.byte_offset)
            )
        if sum(v.shape[0] for v in views) != self.n:
            raise TypeError("chunks do not cover the dataset")
        self.starts = np.asarray(starts, dtype=np.int64)
        self.views = views

    def take(self, rows: np.ndarray) -> np.ndarray:
        """Rows (sorted ascending) as a new array."""
        if len(self.views) == 1:
            return np.asarray(self.views[0][rows])
        # rows are sorted: the chunk boundaries split them with one search per chunk
        bounds = [*np.searchsorted(rows, self.starts).tolist(), rows.size]
        parts = []
        for c in range(len(self.views)):
            a, b = bounds[c], bounds[c + 1]
            if a < b:
                parts.append(self.views[c][rows[a:b] - self.starts[c]])
        if not parts:
            return np.zeros((0, *self.row_shape), dtype=self.dtype)
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def slice(self, start: int, stop: int) -> np.ndarray:
        """``ds[start:stop]`` as a new array."""
        if len(self.views) == 1:
            return np.array(self.views[0][start:stop])
        c0 = int(np.searchsorted(self.starts, start, side="right") - 1)
        c1 = int(np.searchsorted(self.starts, max(stop - 1, start), side="right") - 1)
        parts = [
            self.views[c][max(start - int(self.starts[c]), 0) : max(stop - int(self.starts[c]), 0)]
            for c in range(c0, c1 + 1)
        ]
        return np.concatenate(parts) if len(parts) > 1 else np.array(parts[0])


def mapped(ds: h5py.Dataset) -> MappedColumn | None:
    """A :class:`MappedColumn` for ``ds`` or ``None`` if it cannot be mapped."""
    try:
        return MappedColumn(ds)
    except (TypeError, ValueError, OSError, RuntimeError, AttributeError):
        return None
