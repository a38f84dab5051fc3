"""A reader for pandas' old msgpack format (``pandas.to_msgpack``, removed in pandas 1.0).

ISF's ``pandas_to_msgpack``, ``numpy_to_msgpack``, ``dask_to_msgpack`` and
``dask_to_categorized_msgpack`` dumpers write it (through the
``isf-pandas-msgpack`` fork, which does not run on pandas 3). The format is a
stream of msgpack objects in which pandas objects are maps with a ``typ`` field:

- ``block_manager`` (DataFrame): ``axes`` [columns, index] and ``blocks``, each
  with ``locs`` (column positions, or older ``items`` labels), ``values``,
  ``shape`` (columns x rows), ``dtype``, ``compress``;
- ``series``: ``index``, ``dtype``, ``data``, ``name``;
- ``index`` / ``range_index`` / ``multi_index`` / ``datetime_index``;
- ``category``: ``codes``, ``categories``, ``ordered``;
- ``ndarray``: ``shape``, ``dtype``, ``data``; ``np_scalar``; ``timestamp``; ``nat``.

Numeric data is a msgpack extension of type 0 holding the raw bytes (C order),
compressed with ``zlib`` or ``blosc`` when ``compress`` says so; object data is
a plain list. Only data is decoded here: no code runs.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import CodecError, CorruptItemError

_DTYPE_ALIASES = {21: "M8[ns]", 22: "m8[ns]"}


def _dtype(name: Any) -> np.dtype[Any]:
    name = _DTYPE_ALIASES.get(name, name)
    if name == "category":
        return np.dtype(object)
    found: np.dtype[Any] = np.dtype(name)
    return found


def _decompress(data: bytes, method: str | None) -> bytes:
    if not method:
        return data
    if method == "zlib":
        return zlib.decompress(data)
    if method == "blosc":
        try:
            import blosc  # type: ignore[import-untyped]
        except ImportError:
            raise CodecError(
                "this dump is blosc-compressed; install the 'blosc' package "
                "(pip install 'neuroloom[isf]') to read it"
            ) from None
        out: bytes = blosc.decompress(data)
        return out
    raise CorruptItemError(f"unknown compression {method!r} in a pandas msgpack dump")


def _array(values: Any, dtype: np.dtype[Any], compress: str | None) -> np.ndarray[Any, Any]:
    """Decode the ``data``/``values`` field of an array."""
    import msgpack  # type: ignore[import-untyped]

    if isinstance(values, msgpack.ExtType):
        raw = _decompress(values.data, compress)
    elif isinstance(values, (bytes, str)):  # files from before the extension type
        raw = _decompress(values.encode("latin1") if isinstance(values, str) else values, compress)
    elif dtype.kind == "O" or isinstance(values, (list, tuple)):
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    else:
        return np.asarray(values)
    if dtype.kind in "mM":
        return np.frombuffer(raw, dtype=np.int64).view(dtype).copy()
    return np.frombuffer(raw, dtype=dtype).copy()


def _index(obj: dict[str, Any]) -> pd.Index:
    typ = obj["typ"]
    if typ == "range_index":
        return pd.RangeIndex(obj["start"], obj["stop"], obj["step"], name=obj.get("name"))
    if typ == "multi_index":
        data = _array(obj["data"], _dtype(obj.get("dtype", "object")), obj.get("compress"))
        return pd.MultiIndex.from_tuples([tuple(x) for x in data], names=obj.get("names"))
    if typ == "datetime_index":
        data = _array(obj["data"], np.dtype(np.int64), obj.get("compress"))
        index: pd.Index = pd.DatetimeIndex(data.view("M8[ns]"), name=obj.get("name"))
        if obj.get("tz"):
            index = index.tz_localize("UTC").tz_convert(obj["tz"])  # type: ignore[attr-defined]
        return index
    dtype = _dtype(obj.get("dtype", "object"))
    data = _array(obj["data"], dtype, obj.get("compress"))
    plain: pd.Index = pd.Index(data, dtype=dtype, name=obj.get("name"))
    return plain


def _block_columns(block: dict[str, Any], columns: pd.Index) -> list[tuple[int, Any]]:
    values = block["values"]
    if "locs" in block:
        locs = [int(x) for x in np.asarray(block["locs"]).ravel()]
    else:  # pandas < 0.16 named the columns
        locs = [int(columns.get_indexer(pd.Index([x]))[0]) for x in block["items"]]
    if isinstance(values, pd.Categorical):
        return [(locs[0], values)]
    dtype = _dtype(block["dtype"])
    array = _array(values, dtype, block.get("compress"))
    shape = tuple(block["shape"])
    array = array.reshape(shape) if len(shape) == 2 else array.reshape(1, -1)
    return [(loc, array[i]) for i, loc in enumerate(locs)]


def _frame(obj: dict[str, Any]) -> pd.DataFrame:
    columns, index = obj["axes"]
    placed: dict[int, Any] = {}
    for block in obj["blocks"]:
        placed.update(_block_columns(block, columns))
    if sorted(placed) != list(range(len(columns))):
        raise CorruptItemError("a pandas msgpack DataFrame's blocks do not cover its columns")
    data = {i: pd.Series(placed[i], index=index, copy=False) for i in range(len(columns))}
    frame = pd.DataFrame(data, index=index)
    frame.columns = columns
    return frame


def _decode(obj: dict[Any, Any]) -> Any:
    """msgpack object hook: turn the pandas maps into pandas/numpy objects (bottom up)."""
    typ = obj.get("typ")
    if typ in ("index", "range_index", "multi_index", "datetime_index"):
        return _index(obj)
    if typ == "block_manager":
        return _frame(obj)
    if typ == "series":
        dtype = _dtype(obj["dtype"])
        data = obj["data"]
        values = data if isinstance(data, pd.Categorical) else _array(data, dtype, obj.get("compress"))
        return pd.Series(values, index=obj["index"], name=obj.get("name"))
    if typ == "category":
        codes = np.asarray(obj["codes"])
        return pd.Categorical.from_codes(codes, categories=obj["categories"], ordered=bool(obj["ordered"]))
    if typ == "ndarray":
        return _array(obj["data"], _dtype(obj["dtype"]), obj.get("compress")).reshape(obj["shape"])
    if typ == "np_scalar" and "data" in obj:
        return np.array(obj["data"]).astype(_dtype(obj["dtype"]))[()]
    if typ == "timestamp":
        return pd.Timestamp(obj["value"], tz=obj.get("tz"))
    if typ == "nat":
        return pd.NaT
    return obj


def read_pandas_msgpack(path: Path) -> Any:
    """Read one file written by pandas' (or ``isf_pandas_msgpack``'s) ``to_msgpack``.

    Returns the single object stored, or a list when the file holds several.
    """
    import msgpack

    with open(path, "rb") as fh:
        unpacker = msgpack.Unpacker(
            fh, object_hook=_decode, raw=False, strict_map_key=False, use_list=True, max_buffer_size=0
        )
        objects = list(unpacker)
    if not objects:
        raise CorruptItemError(f"{path} holds no msgpack object (empty or truncated)")
    return objects[0] if len(objects) == 1 else objects


def category_to_object(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo ISF's ``dask_to_categorized_msgpack`` preprocessing: categories back to text."""
    for column in frame.columns[[isinstance(d, pd.CategoricalDtype) for d in frame.dtypes]]:
        frame[column] = frame[column].astype(object)
    if isinstance(frame.index.dtype, pd.CategoricalDtype):
        frame.index = frame.index.astype(object)
    frame.columns = [c.decode() if isinstance(c, bytes) else c for c in frame.columns]
    return frame
