"""Parquet codecs for pandas and dask tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from neuroloom.store.codecs.base import Codec

_SERIES_COLUMN = "__neuroloom_series__"


def _is_dask_frame(obj: object) -> bool:
    module = type(obj).__module__
    if not module.startswith("dask"):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame)


def _non_string_columns(frame: pd.DataFrame) -> list[object]:
    return [c for c in frame.columns if not isinstance(c, str)]


class ParquetCodec(Codec):
    """pandas DataFrame / Series as one Parquet file (pyarrow), index kept."""

    name = "parquet"

    def accepts(self, obj: object) -> bool:
        if isinstance(obj, pd.Series):
            return True
        return isinstance(obj, pd.DataFrame) and not _non_string_columns(obj)

    def auto(self, obj: object) -> bool:
        return isinstance(obj, (pd.DataFrame, pd.Series))

    def why_not(self, obj: object) -> str:
        if isinstance(obj, pd.DataFrame):
            bad = _non_string_columns(obj)
            return (
                f"Parquet needs string column names, and columns {bad[:5]!r} are not; "
                "rename them (e.g. df.columns = df.columns.map(str))"
            )
        return super().why_not(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        info: dict[str, Any] = {}
        frame = obj
        if isinstance(obj, pd.Series):
            info = {"series": True, "name": obj.name if obj.name is None else str(obj.name)}
            frame = obj.to_frame(name=_SERIES_COLUMN)
        frame.to_parquet(directory / "data.parquet", engine="pyarrow")
        info["rows"] = len(frame)
        return info

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        columns = options.get("columns")
        frame = pd.read_parquet(directory / "data.parquet", engine="pyarrow", columns=columns)
        if info.get("series"):
            series = frame[_SERIES_COLUMN]
            series.name = info.get("name")
            return series
        return frame


class DaskParquetCodec(Codec):
    """dask DataFrame as partitioned Parquet, read back lazily as dask."""

    name = "dask-parquet"

    def accepts(self, obj: object) -> bool:
        return _is_dask_frame(obj) and not _non_string_columns(obj._meta)  # type: ignore[attr-defined]

    def auto(self, obj: object) -> bool:
        return _is_dask_frame(obj)

    def dump(self, obj: Any, directory: Path) -> dict[str, Any]:
        target = directory / "parts"
        obj.to_parquet(str(target), engine="pyarrow", write_index=True)
        meta = obj._meta
        return {
            "partitions": int(obj.npartitions),
            "dtypes": {str(c): str(d) for c, d in meta.dtypes.items()},
            "index_dtype": str(meta.index.dtype),
        }

    def load(self, directory: Path, info: dict[str, Any], **options: Any) -> Any:
        import dask.dataframe as dd

        frame = dd.read_parquet(str(directory / "parts"), engine="pyarrow", columns=options.get("columns"))
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
        return frame


_TEXT_DTYPES = ("object", "str", "string")


def _cast_index(frame: pd.DataFrame, dtype: str) -> pd.DataFrame:
    return frame.set_axis(frame.index.astype(dtype), axis=0)
