"""Normalise values read by neuroloom and by libsonata so they can be compared exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def plain(values: Any) -> np.ndarray:
    """A numpy array: categoricals as their strings, bytes decoded, strings as ``str``."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, (pd.Categorical, pd.arrays.Categorical)):
        return np.asarray(values.astype(str), dtype=object)
    arr = np.asarray(values)
    if arr.dtype.kind in ("O", "S", "U"):
        return np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in arr.ravel()], dtype=object)
    return arr


def assert_same(ours: Any, theirs: Any, what: str) -> None:
    """Exact equality of values (and of the numeric kind: int stays int, float stays float)."""
    a, b = plain(ours), plain(theirs)
    assert a.shape == b.shape, f"{what}: neuroloom shape {a.shape}, libsonata {b.shape}"
    if a.dtype.kind in "iuf" and b.dtype.kind in "iuf":
        assert (a.dtype.kind == "f") == (b.dtype.kind == "f"), f"{what}: {a.dtype} vs {b.dtype}"
        np.testing.assert_array_equal(a, b, err_msg=what)
    else:
        assert a.tolist() == b.tolist(), f"{what}: {a[:5]} != {b[:5]}"
