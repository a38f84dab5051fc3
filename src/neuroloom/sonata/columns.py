"""Attribute-group columns: typed 1-D datasets, strings, ``@library`` enumerations.

Writers turn user values into HDF5-ready arrays; readers turn datasets back into
numpy arrays or pandas Categoricals (for ``@library`` enumerations).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import h5py
import numpy as np
import pandas as pd

from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import decode_strings, read_all, read_rows

STR_DTYPE = h5py.string_dtype("utf-8")
LIBRARY = "@library"
#: SONATA numeric attribute dtypes a column may have (strings are stored separately)
NUMERIC_KINDS = ("i", "u", "f")


def as_column(name: str, value: Any, n: int) -> np.ndarray:
    """Broadcast a scalar or check an array-like of length ``n``; bools become int8."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(n, arr.item() if arr.dtype.kind != "U" else str(arr), dtype=arr.dtype)
    if arr.shape[0] != n:
        raise SonataFormatError(f"property {name!r} has {arr.shape[0]} values but there are {n} rows")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int8)
    if arr.dtype.kind in ("U", "S", "O"):
        arr = np.asarray([str(v) for v in arr], dtype=object) if arr.dtype.kind != "U" else arr
    elif arr.dtype.kind not in NUMERIC_KINDS:
        raise SonataFormatError(
            f"property {name!r} has dtype {arr.dtype}; SONATA allows integers, floats and strings"
        )
    return arr


def write_column(
    group: h5py.Group,
    name: str,
    values: np.ndarray,
    *,
    enumerate_strings: bool | str = "auto",
    compression: str | None = None,
) -> None:
    """Write one column; strings go to ``@library`` when asked (or, if ``"auto"``, when repeated)."""
    kw: dict[str, Any] = {"compression": compression} if compression else {}
    if values.ndim != 1:
        raise SonataFormatError(f"property {name!r} must be 1-D (found shape {values.shape})")
    if values.dtype.kind in ("U", "O", "S"):
        text = values.astype(str)
        uniques, codes = np.unique(text, return_inverse=True)
        use_lib = enumerate_strings is True or (
            enumerate_strings == "auto" and uniques.size <= max(1, text.size // 2)
        )
        if use_lib:
            lib = group.require_group(LIBRARY)
            lib.create_dataset(name, data=uniques.astype(object), dtype=STR_DTYPE)
            code_dtype = (
                np.uint8 if uniques.size < 256 else (np.uint16 if uniques.size < 65536 else np.uint32)
            )
            group.create_dataset(name, data=codes.astype(code_dtype), **kw)
        else:
            group.create_dataset(name, data=text.astype(object), dtype=STR_DTYPE, **kw)
    else:
        group.create_dataset(name, data=values, **kw)


def write_dynamics(
    group: h5py.Group, columns: Mapping[str, np.ndarray], compression: str | None = None
) -> None:
    """Write per-element dynamics parameters as the ``dynamics_params`` subgroup of ``group``."""
    sub = group.create_group("dynamics_params")
    for name, values in columns.items():
        write_column(sub, name, values, enumerate_strings=False, compression=compression)


def is_enum(group: h5py.Group, name: str) -> bool:
    return LIBRARY in group and name in group[LIBRARY]


def check_column(ds: h5py.Dataset, expected: int | None) -> None:
    """Refuse an attribute dataset that breaks the spec (dtype, shape, row count).

    Raises
    ------
    SonataFormatError
        Naming the file, the dataset and the rule it breaks.
    """
    where = f"{ds.file.filename}: {ds.name}"
    if h5py.check_enum_dtype(ds.dtype) is not None or ds.dtype.kind not in ("i", "u", "f", "S", "O"):
        raise SonataFormatError(
            f"{where} has dtype {ds.dtype} (HDF5 enum or compound); rule: SONATA attribute "
            "dtypes are integers, floats and strings (enumerations use an @library dataset)"
        )
    if ds.shape is None or len(ds.shape) != 1:
        found = "no values (null dataspace)" if ds.shape is None else f"shape {ds.shape}"
        raise SonataFormatError(
            f"{where} has {found}; rule: an attribute dataset is 1-D with one value per row "
            f"({expected if expected is not None else 'N'} rows)"
        )
    if expected is not None and ds.shape[0] != expected:
        raise SonataFormatError(
            f"{where} has {ds.shape[0]} rows but its group has {expected}; rule: an attribute "
            "dataset holds one value per row of its group"
        )


def _vectors_per_row(ds: h5py.Dataset, expected: int | None) -> bool:
    """A numeric (N, k) dataset: one vector per row (bmtk writes an (N, k) node property so)."""
    return (
        ds.shape is not None
        and len(ds.shape) == 2
        and ds.dtype.kind in NUMERIC_KINDS
        and (expected is None or ds.shape[0] == expected)
    )


def read_column(group: h5py.Group, name: str, rows: np.ndarray | None, expected: int | None = None) -> Any:
    """Read column ``name`` of an attribute group for ``rows`` (``None``: all rows).

    Returns a numpy array, or a pandas Categorical for ``@library`` enumerations.
    Positions stored bmtk-style as one (N, 3) dataset are read by the caller.
    ``expected`` is the group's number of rows (checked when given).
    """
    ds = group[name]
    if _vectors_per_row(ds, expected):  # bmtk's filter models: kpeaks, weights, delays as (N, 2)
        block = read_all(ds) if rows is None else read_rows(ds, rows)
        per_row = np.empty(block.shape[0], dtype=object)
        per_row[:] = list(block)
        return per_row
    check_column(ds, expected)
    values = read_all(ds) if rows is None else read_rows(ds, rows)
    if is_enum(group, name):
        lib_ds = group[LIBRARY][name]
        library = decode_strings(read_all(lib_ds)).astype(str)
        codes = values.astype(np.int64)
        if codes.size and (codes.min() < 0 or codes.max() >= library.size):
            bad = int(codes.max()) if codes.max() >= library.size else int(codes.min())
            raise SonataFormatError(
                f"{group.file.filename}: {ds.name} holds code {bad} but {lib_ds.name} has "
                f"{library.size} values; rule: @library codes are indices 0..{library.size - 1}"
            )
        return (
            pd.Categorical.from_codes(codes, categories=pd.Index(library).unique())
            if pd.Index(library).is_unique
            else library[codes]
        )
    if values.dtype.kind in ("S", "O"):
        return decode_strings(values)
    return values


def column_names(group: h5py.Group) -> list[str]:
    """Names of the property datasets of an attribute group (positions split into x,y,z)."""
    names = []
    for key, obj in group.items():
        if key in (LIBRARY, "dynamics_params") or not isinstance(obj, h5py.Dataset):
            continue
        if key == "positions" and obj.ndim == 2 and obj.shape[1] == 3:
            names.extend(["x", "y", "z"])
        else:  # every other dataset is a column; a malformed one is refused when read
            names.append(key)
    return names


def dynamics_names(group: h5py.Group) -> list[str]:
    """Names of the datasets of an attribute group's ``dynamics_params`` subgroup."""
    sub = group.get("dynamics_params")
    if not isinstance(sub, h5py.Group):
        return []
    return [k for k, v in sub.items() if isinstance(v, h5py.Dataset)]


def broadcast_props(props: Mapping[str, Any], n: int) -> dict[str, np.ndarray]:
    """Turn a mapping of scalars/arrays/(N,3) positions into 1-D columns of length ``n``."""
    out: dict[str, np.ndarray] = {}
    for name, value in props.items():
        arr = np.asarray(value)
        if name in ("positions", "position") and arr.ndim == 2 and arr.shape[1] == 3:
            for axis, col in zip("xyz", arr.T):
                out[axis] = as_column(axis, col, n)
            continue
        out[name] = as_column(name, value, n)
    return out


def combine_groups(parts: list[tuple[np.ndarray, np.ndarray]], n: int, missing: bool) -> np.ndarray:
    """Scatter per-group values ``(rows, values)`` into one column of ``n`` rows; integer
    columns stay integer when no row is ``missing`` (else NaN for numbers, None for text)."""
    if not parts:
        return np.full(n, np.nan)
    numeric = all(vals.dtype.kind in "iuf" for _, vals in parts)
    if numeric:
        dtype = np.result_type(*[vals.dtype for _, vals in parts])
        out = np.full(n, np.nan) if missing else np.empty(n, dtype=dtype)
    else:
        out = np.empty(n, dtype=object)
    for where, vals in parts:
        out[where] = vals
    return out


def wanted_names(properties: str | Sequence[str] | None, every: Sequence[str]) -> list[str]:
    """The property names a ``get(..., properties)`` asks for: one name, a list, or ``None`` for ``every``."""
    if properties is None:
        return list(every)
    return [properties] if isinstance(properties, str) else list(properties)
