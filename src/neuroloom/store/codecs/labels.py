"""Column labels and index names Parquet cannot hold, kept as JSON next to the file.

Parquet (and pyarrow) need string column names. in_silico_framework users
store frames with integer labels (spike-time columns ``0, 1, 2``), mixed labels
and non-string index names routinely, so the codecs write the frame with
positional string names and record the original labels here, typed, to put
them back exactly on load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import CodecError


def encode_label(label: object) -> Any:
    """A JSON form of a column label or index name that keeps its type."""
    if isinstance(label, np.generic):
        label = label.item()
    if label is None or isinstance(label, str):
        return label
    if isinstance(label, bool):
        return {"bool": label}
    if isinstance(label, int):
        return {"int": label}
    if isinstance(label, float):
        return {"float": repr(label)}
    if isinstance(label, tuple):
        return {"tuple": [encode_label(x) for x in label]}
    raise CodecError(
        f"column label {label!r} is a {type(label).__name__}; labels must be str, int, float, "
        "bool, None or tuples of those"
    )


def decode_label(data: Any) -> Any:
    """Inverse of :func:`encode_label`."""
    if data is None or isinstance(data, str):
        return data
    if "bool" in data:
        return bool(data["bool"])
    if "int" in data:
        return int(data["int"])
    if "float" in data:
        return float(data["float"])
    return tuple(decode_label(x) for x in data["tuple"])


def needs_relabel(frame: pd.DataFrame) -> bool:
    """Whether ``frame``'s labels or index names do not survive Parquet as they are."""
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex) or columns.name is not None:
        return True
    if not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
        return True
    names = list(frame.index.names)
    if any(n is not None and not isinstance(n, str) for n in names):
        return True
    return any(isinstance(n, str) and n in set(columns) for n in names)


def relabel_for_parquet(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return ``frame`` with columns ``c0, c1, ...`` and index levels ``i0, ...`` and the info to undo it."""
    info = {
        "columns": [encode_label(c) for c in frame.columns],
        "columns_name": [encode_label(n) for n in frame.columns.names],
        "columns_multi": isinstance(frame.columns, pd.MultiIndex),
        "index_names": [encode_label(n) for n in frame.index.names],
    }
    if not isinstance(frame.columns, pd.MultiIndex) and frame.columns.dtype == object:
        info["columns_dtype"] = "object"  # labels [0, 1] of dtype object stay object (not int64)
    out = frame.copy(deep=False)
    out.columns = [f"c{i}" for i in range(frame.shape[1])]
    out.index = out.index.set_names([f"i{i}" for i in range(frame.index.nlevels)])
    return out, info


def restore_labels(frame: Any, info: dict[str, Any]) -> Any:
    """Undo :func:`relabel_for_parquet` on a pandas or dask frame read back."""
    if "columns" not in info:
        return frame
    labels = [decode_label(c) for c in info["columns"]]
    names = [decode_label(n) for n in info.get("columns_name", [None])]
    if info.get("columns_multi"):
        columns: pd.Index = pd.MultiIndex.from_tuples(labels, names=names)
    else:
        dtype = object if info.get("columns_dtype") == "object" else None
        columns = pd.Index(labels, name=names[0], tupleize_cols=False, dtype=dtype)
    wanted = [f"c{i}" for i in range(len(labels))]
    if list(frame.columns) != wanted:  # a column subset was read: keep what was asked for
        positions = [wanted.index(c) for c in frame.columns]
        columns = columns[positions]
    index_names = [decode_label(n) for n in info.get("index_names", [None])]
    if isinstance(frame, pd.DataFrame):
        frame.columns = columns
        frame.index = frame.index.set_names(index_names)
        return frame
    return frame.map_partitions(
        _set_labels, columns, index_names, meta=_set_labels(frame._meta, columns, index_names)
    )


def _set_labels(part: pd.DataFrame, columns: pd.Index, index_names: list[Any]) -> pd.DataFrame:
    part = part.copy(deep=False)
    part.columns = columns
    part.index = part.index.set_names(index_names)
    return part
