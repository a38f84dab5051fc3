"""Parquet codecs for pandas and dask tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from neuroloom.store.codecs.base import Codec
from neuroloom.store.codecs.labels import (
    encode_label,
    needs_relabel,
    relabel_for_parquet,
    restore_labels,
)

_SERIES_COLUMN = "__neuroloom_series__"


def _is_dask_frame(obj: object) -> bool:
    module = type(obj).__module__
    if not module.startswith("dask"):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame)


def _unencodable_labels(frame: pd.DataFrame) -> str:
    """Why ``frame``'s labels cannot be stored ('' when they can)."""
    from neuroloom.errors import CodecError

    try:
        for label in [*frame.columns, *frame.index.names, *frame.columns.names]:
            encode_label(label)
    except CodecError as exc:
        return str(exc)
    return ""


def _relabelled(part: pd.DataFrame) -> pd.DataFrame:
    return relabel_for_parquet(part)[0]


def _decode_name(data: Any) -> Any:
    from neuroloom.store.codecs.labels import decode_label

    return decode_label(data) if isinstance(data, (dict, type(None))) else data


def _stored_names(columns: Any, labels: dict[str, Any], parquet_file: Path, series: bool = False) -> Any:
    """Map user column labels to the names they were stored under; refuse unknown columns."""
    if columns is None:
        return None
    from neuroloom.errors import CodecError

    if series:
        raise CodecError("columns= reads some columns of a table; this item is a Series")
    if isinstance(columns, (str, bytes)) or not isinstance(columns, (list, tuple)):
        raise CodecError(f"columns= takes a list of column labels, not {columns!r}")
    if labels:
        from neuroloom.store.codecs.labels import decode_label

        originals = [decode_label(c) for c in labels["columns"]]
        stored = {c: f"c{i}" for i, c in enumerate(originals)}
    else:
        import pyarrow.parquet as pq

        schema = pq.read_schema(parquet_file)
        index = {c for c in (schema.pandas_metadata or {}).get("index_columns") or [] if isinstance(c, str)}
        stored = {n: n for n in schema.names if n not in index}
    missing = [c for c in columns if c not in stored]
    if missing:
        raise CodecError(
            f"columns= names {', '.join(map(repr, missing))}, which the table does not have; "
            f"its columns: {', '.join(map(repr, stored))}"
        )
    return [stored[c] for c in columns]


class ParquetCodec(Codec):
    """pandas DataFrame / Series as one Parquet file (pyarrow), index kept."""

    name = "parquet"
    options = frozenset({"columns"})

    def accepts(self, obj: object) -> bool:
        if isinstance(obj, pd.Series):
            return True
        return isinstance(obj, pd.DataFrame) and not _unencodable_labels(obj)

    def auto(self, obj: object) -> bool:
        return isinstance(obj, (pd.DataFrame, pd.Series))

    def why_not(self, obj: object) -> str:
        if isinstance(obj, pd.DataFrame):
            return _unencodable_labels(obj) or super().why_not(obj)
        return super().why_not(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        info: dict[str, Any] = {}
        frame = obj
        if isinstance(obj, pd.Series):
            info = {"series": True, "name": encode_label(obj.name)}
            frame = obj.to_frame(name=_SERIES_COLUMN)
        if needs_relabel(frame):
            frame, info["labels"] = relabel_for_parquet(frame)
        frame.to_parquet(directory / "data.parquet", engine="pyarrow")
        info["rows"] = len(frame)
        text_levels = [str(frame.index.get_level_values(i).dtype) for i in range(frame.index.nlevels)]
        if any(d in _TEXT_DTYPES for d in text_levels):
            info["index_dtypes"] = text_levels  # Parquet reads text back as pandas' str dtype
        return info

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        labels = info.get("labels") or {}
        file = directory / "data.parquet"
        columns = _stored_names(options.get("columns"), labels, file, bool(info.get("series")))
        frame = pd.read_parquet(directory / "data.parquet", engine="pyarrow", columns=columns)
        frame = _restore_index_dtypes(frame, info.get("index_dtypes"))
        frame = restore_labels(frame, labels)
        if info.get("series"):
            series = frame[_SERIES_COLUMN]
            series.name = _decode_name(info.get("name"))
            return series
        return frame


class DaskParquetCodec(Codec):
    """dask DataFrame as partitioned Parquet, read back lazily as dask."""

    name = "dask-parquet"
    options = frozenset({"columns"})

    def accepts(self, obj: object) -> bool:
        return _is_dask_frame(obj) and not _unencodable_labels(obj._meta)  # type: ignore[attr-defined]

    def auto(self, obj: object) -> bool:
        return _is_dask_frame(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        target = directory / "parts"
        info: dict[str, Any] = {"partitions": int(obj.npartitions)}
        if needs_relabel(obj._meta):
            stored_meta, info["labels"] = relabel_for_parquet(obj._meta)
            obj = obj.map_partitions(_relabelled, meta=stored_meta)
        obj.to_parquet(str(target), engine="pyarrow", write_index=True)
        meta = obj._meta
        info["dtypes"] = {str(c): str(d) for c, d in meta.dtypes.items()}
        info["index_dtype"] = str(meta.index.dtype)
        return info

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        return self.load_item(directory, info, str(directory), **options)

    def load_item(self, directory: Path, info: dict[str, Any], key: str, **options: Any) -> Any:
        """The frame, lazily; reading data of ``key`` that went away raises ``ItemChangedError``."""
        import dask.dataframe as dd

        from neuroloom.store.codecs.lazy_frames import GuardedFileSystem

        labels = info.get("labels") or {}
        columns = options.get("columns")
        if columns is not None:
            first = min((directory / "parts").glob("*.parquet"), default=directory / "parts" / "missing")
            columns = _stored_names(columns, labels, first)
        frame = dd.read_parquet(
            str(directory / "parts"),
            engine="pyarrow",
            columns=columns,
            filesystem=GuardedFileSystem(item=key),
        )
        # dask reads text columns as its own string dtype: give back the dtypes that were stored
        wanted = info.get("dtypes") or {}
        fix = {
            c: d
            for c, d in wanted.items()
            if c in frame.columns and d in _TEXT_DTYPES and str(frame.dtypes[c]) != d
        }
        if fix:
            frame = frame.astype(fix)
        index_dtype = info.get("index_dtype")
        if index_dtype in _TEXT_DTYPES and str(frame.index.dtype) != index_dtype:
            frame = frame.map_partitions(_cast_index, index_dtype)
        return restore_labels(frame, labels)


_TEXT_DTYPES = ("object", "str", "string")


def _restore_index_dtypes(frame: pd.DataFrame, dtypes: list[str] | None) -> pd.DataFrame:
    """Give the index levels back the text dtype (``object``, ``str``) they were stored with."""
    if not dtypes or len(dtypes) != frame.index.nlevels:
        return frame
    index = frame.index
    if isinstance(index, pd.MultiIndex):
        levels = [
            level.astype(d) if d in _TEXT_DTYPES and str(level.dtype) != d else level
            for level, d in zip(index.levels, dtypes)
        ]
        restored = index.set_levels(levels, verify_integrity=False)  # type: ignore[arg-type]
        return frame.set_axis(restored, axis=0)
    if dtypes[0] in _TEXT_DTYPES and str(index.dtype) != dtypes[0]:
        return frame.set_axis(index.astype(dtypes[0]), axis=0)
    return frame


def _cast_index(frame: pd.DataFrame, dtype: str) -> pd.DataFrame:
    return frame.set_axis(frame.index.astype(dtype), axis=0)
