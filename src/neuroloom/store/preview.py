"""Short, human-readable previews of stored values (for ``neuroloom show``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

MAX_CHARS = 2000


def _clip(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters)"


def preview(value: Any, rows: int = 10) -> str:
    """Return a few lines describing ``value`` and showing its first entries."""
    from neuroloom.store.database import Database

    if isinstance(value, pd.DataFrame):
        return f"DataFrame {value.shape[0]} rows x {value.shape[1]} columns\n{value.head(rows).to_string()}"
    if isinstance(value, pd.Series):
        return f"Series {len(value)} values, dtype {value.dtype}\n{value.head(rows).to_string()}"
    if isinstance(value, Database):
        keys = list(value.keys())
        shown = "\n".join(f"  {k}" for k in keys[:rows])
        more = f"\n  ... {len(keys) - rows} more" if len(keys) > rows else ""
        return f"sub-database with {len(keys)} items at {value.path}\n{shown}{more}"
    if isinstance(value, Path):
        files = sorted(p.relative_to(value).as_posix() for p in value.rglob("*") if p.is_file())
        shown = "\n".join(f"  {f}" for f in files[:rows])
        more = f"\n  ... {len(files) - rows} more" if len(files) > rows else ""
        return f"managed folder {value} with {len(files)} files\n{shown}{more}"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes: {bytes(value[:48]).hex(' ')}{' ...' if len(value) > 48 else ''}"
    if isinstance(value, np.ndarray):
        with np.printoptions(threshold=50, edgeitems=3):
            return f"array shape {value.shape} dtype {value.dtype}\n{np.asarray(value)!s}"
    module = type(value).__module__
    if module.startswith("dask"):
        if hasattr(value, "columns"):
            first = value.partitions[0].compute().head(rows)  # one partition only: stays cheap
            return (
                f"dask DataFrame, {value.npartitions} partitions, columns {list(value.columns)}\n"
                f"first partition:\n{first.to_string()}"
            )
        return f"dask array shape {value.shape} dtype {value.dtype}, chunks {value.chunksize}"
    if module.startswith("zarr"):
        first = np.asarray(value[: min(3, value.shape[0])]) if value.shape else np.asarray(value[...])
        return f"zarr array shape {value.shape} dtype {value.dtype}, chunks {value.chunks}\n{first}"
    try:
        return _clip(json.dumps(value, indent=2, default=str))
    except (TypeError, ValueError):
        return _clip(repr(value))
