"""Write pandas' old msgpack format (as ``pandas.to_msgpack`` / ``isf_pandas_msgpack`` did),
so the reader can be tested without the removed pandas code."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import blosc
import msgpack
import numpy as np
import pandas as pd


def _data(values: np.ndarray, compress: str | None) -> Any:
    if values.dtype == object:
        return values.ravel().tolist()
    raw = np.ascontiguousarray(values).ravel().tobytes()
    if compress == "zlib":
        raw = zlib.compress(raw)
    elif compress == "blosc":
        raw = blosc.compress(raw, typesize=values.dtype.itemsize)
    return msgpack.ExtType(0, raw)


def _ndarray(values: np.ndarray, compress: str | None) -> dict[str, Any]:
    return {
        "typ": "ndarray",
        "shape": list(values.shape),
        "ndim": values.ndim,
        "dtype": values.dtype.name,
        "data": _data(values, compress),
        "compress": compress,
    }


def _index(index: pd.Index, compress: str | None) -> dict[str, Any]:
    if isinstance(index, pd.RangeIndex):
        return {
            "typ": "range_index",
            "klass": "RangeIndex",
            "name": index.name,
            "start": index.start,
            "stop": index.stop,
            "step": index.step,
        }
    values = np.asarray(
        index, dtype=object if index.dtype.kind in "OUT" or str(index.dtype) == "str" else index.dtype
    )
    return {
        "typ": "index",
        "klass": "Index",
        "name": index.name,
        "dtype": values.dtype.name,
        "data": _data(values, compress),
        "compress": compress,
    }


def _categorical(values: pd.Categorical, compress: str | None) -> dict[str, Any]:
    return {
        "typ": "category",
        "klass": "Categorical",
        "name": None,
        "codes": _ndarray(np.asarray(values.codes), compress),
        "categories": _index(pd.Index(list(values.categories), dtype=object), compress),
        "ordered": bool(values.ordered),
        "compress": compress,
    }


def encode_frame(frame: pd.DataFrame, compress: str | None = "blosc") -> dict[str, Any]:
    """A DataFrame as pandas' ``block_manager`` map (numeric columns grouped by dtype)."""
    blocks: list[dict[str, Any]] = []
    groups: dict[str, list[int]] = {}
    for i, dtype in enumerate(frame.dtypes):
        if isinstance(dtype, pd.CategoricalDtype):
            blocks.append(
                {
                    "locs": _ndarray(np.array([i], dtype=np.int64), None),
                    "values": _categorical(frame.iloc[:, i].array, compress),
                    "shape": [len(frame)],
                    "dtype": "category",
                    "klass": "CategoricalBlock",
                    "compress": compress,
                }
            )
        else:
            key = "object" if dtype.kind in "OUT" or str(dtype) == "str" else dtype.name
            groups.setdefault(key, []).append(i)
    for dtype_name, locs in groups.items():
        values = np.stack([np.asarray(frame.iloc[:, i], dtype=dtype_name) for i in locs])
        blocks.append(
            {
                "locs": _ndarray(np.array(locs, dtype=np.int64), None),
                "values": _data(values, compress),
                "shape": list(values.shape),
                "dtype": dtype_name,
                "klass": "Block",
                "compress": compress,
            }
        )
    return {
        "typ": "block_manager",
        "klass": "DataFrame",
        "axes": [_index(frame.columns, compress), _index(frame.index, compress)],
        "blocks": blocks,
    }


def write_frame(path: Path, frame: pd.DataFrame, compress: str | None = "blosc") -> None:
    path.write_bytes(msgpack.packb(encode_frame(frame, compress), use_bin_type=True))
