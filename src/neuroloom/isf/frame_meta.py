"""Restore the column labels, index dtype and index name ISF's Parquet dumpers stringify.

ISF's ``pandas_to_parquet`` and ``dask_to_parquet`` dumpers convert every
column label and the index name to ``str`` before writing, and keep the
originals in ``object_meta.json``::

    {"columns": ["0", "a"], "column_name_dtypes": ["int64", "<U1"],
     "index_dtype": "int64", "dtypes": ["float64", "object"],
     "index_name": "sim_trial_index", "index_name_dtype": "<U15"}

The functions here read that file and turn a frame read from Parquet back
into the frame ISF stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import CorruptItemError

META_FILE = "object_meta.json"
OLD_META_FILE = "dask_meta.json"


def read_object_meta(folder: Path, key: object) -> dict[str, Any] | None:
    """Return the parsed ``object_meta.json`` (or older ``dask_meta.json``) of a dump.

    Parameters
    ----------
    folder
        The key's folder.
    key
        The ISF key (for error messages).

    Returns
    -------
    dict or None
        None when the dump has no meta file (ISF then keeps string labels).
    """
    for name in (META_FILE, OLD_META_FILE):
        path = folder / name
        if path.is_file():
            try:
                meta = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise CorruptItemError(f"ISF key {key!r}: cannot read {path}: {exc}") from exc
            if not isinstance(meta, dict) or not isinstance(meta.get("columns"), list):
                raise CorruptItemError(f"ISF key {key!r}: {path} has no 'columns' list")
            return meta
    return None


def _typed_label(text: str, dtype: str) -> Any:
    if dtype.startswith(("<U", "|S", "|U", "str")) or dtype == "object":
        return text
    if dtype == "bool":
        return text == "True"
    try:
        return np.array([text]).astype(dtype)[0].item()
    except (TypeError, ValueError):
        return text


def restore_labels(frame: pd.DataFrame, meta: dict[str, Any] | None) -> pd.DataFrame:
    """Give ``frame`` back the column labels, index dtype and index name in ``meta``."""
    if meta is None:
        return frame
    names = [str(c) for c in meta["columns"]]
    kinds = list(meta.get("column_name_dtypes") or ["<U"] * len(names))
    if list(map(str, frame.columns)) == names and len(kinds) == len(names):
        frame.columns = pd.Index([_typed_label(n, k) for n, k in zip(names, kinds)], dtype=object)
        if all(not isinstance(c, str) for c in frame.columns):
            frame.columns = pd.Index(list(frame.columns))  # int/float labels get a numeric index
    index_dtype = meta.get("index_dtype")
    if index_dtype and str(frame.index.dtype) != index_dtype:
        try:
            frame.index = frame.index.astype(index_dtype)
        except (TypeError, ValueError):
            pass  # ISF keeps the string index in that case too
    if meta.get("index_name") is not None:
        frame.index.name = _typed_label(str(meta["index_name"]), str(meta.get("index_name_dtype", "<U")))
    return frame


def empty_frame(meta: dict[str, Any]) -> pd.DataFrame:
    """An empty frame with the dtypes in ``meta`` (a dask ``meta``), labels restored."""
    names = [str(c) for c in meta["columns"]]
    dtypes = list(meta.get("dtypes") or ["object"] * len(names))
    frame = pd.DataFrame({n: pd.Series([], dtype=d) for n, d in zip(names, dtypes)}, columns=names)
    return restore_labels(frame, meta)
