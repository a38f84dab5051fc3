"""Decode the HDF5 nodes pypet's storage service writes into plain Python values.

pypet (through PyTables) marks each stored item with node attributes:
``SRVC_STORE`` says how it was stored (``ARRAY``, ``CARRAY``, ``EARRAY``,
``VLARRAY``, ``TABLE``, ``DICT``, ``FRAME``, ``SERIES``, ``NESTED_GROUP``),
``SRVC_DATA_COLL_TYPE`` / ``SRVC_DATA_SCALAR_TYPE`` (or, per table column,
``SRVC_COLUMN_<col>_COLL_TYPE`` / ``..._SCALAR_TYPE``) name the Python
container and element type to restore. This module undoes that with h5py only.
"""

from __future__ import annotations

import pickle
from typing import Any

import h5py
import numpy as np
import pandas as pd

from neuroloom.errors import PickleRefusedError
from neuroloom.pypet.errors import PypetFormatError

STORE = "SRVC_STORE"
DATA_PREFIX = "SRVC_DATA_"
COLUMN_PREFIX = "SRVC_COLUMN_{}_"

_PYTHON_TYPES: dict[str, type] = {
    "bool": bool,
    "complex": complex,
    "float": float,
    "int": int,
    "str": str,
    "unicode": str,  # Python 2's text type, in files pypet wrote under Python 2
    "bytes": bytes,
    "bool_": np.bool_,
}
_NUMPY_NAMES = "complex128 complex64 float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64 bytes_"
_TYPES: dict[str, type] = {**_PYTHON_TYPES, **{n: getattr(np, n) for n in _NUMPY_NAMES.split()}}
# files from old pypet versions wrote repr(type) ("<type 'int'>", "<class 'numpy.int32'>")
_TYPES.update({repr(t).replace("class", "type"): t for t in list(_TYPES.values())})


def text(value: Any) -> str:
    """Decode an HDF5 string (bytes, numpy bytes or str) to ``str``."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    return str(value)


def attr(node: h5py.HLObject, key: str) -> Any:
    """Return attribute ``key`` of ``node`` (strings decoded), or ``None`` when absent."""
    if key not in node.attrs:
        return None
    try:
        value = node.attrs[key]
    except OSError:  # an attribute h5py cannot read (PyTables pickled object)
        return None
    if isinstance(value, h5py.Empty):
        return None
    if isinstance(value, (bytes, np.bytes_)):
        return text(value)
    return value


def _cast(item: Any, type_name: str) -> Any:
    target = _TYPES.get(type_name)
    if target is None:
        return item.item() if isinstance(item, np.generic) else item
    if target is str:
        return text(item)
    if target is bytes:
        return bytes(item)
    if isinstance(item, np.ndarray) and item.shape == ():
        item = item[()]
    if target is complex and isinstance(item, np.generic):
        return complex(item)
    return target(item)


def recall(data: Any, coll_type: str | None, scalar_type: str | None) -> Any:
    """Restore the Python container and element type pypet recorded for ``data``."""
    if coll_type == "COLL_SCALAR":
        if isinstance(data, np.ndarray):
            data = data[()] if data.shape == () else data.ravel()[0]
        return _cast(data, scalar_type) if scalar_type else data
    if coll_type in ("COLL_LIST", "COLL_TUPLE"):
        items = data.tolist() if isinstance(data, np.ndarray) else list(data)
        if scalar_type:
            items = [_cast(item, scalar_type) for item in items]
        return tuple(items) if coll_type == "COLL_TUPLE" else items
    if coll_type == "COLL_EMPTY_DICT":
        return {}
    if isinstance(data, np.ndarray) and scalar_type == "str":
        return np.char.decode(data, "utf-8")
    return data


def read_array(node: h5py.Dataset, owner: str) -> Any:
    """Read an ``ARRAY``/``CARRAY``/``EARRAY`` item and restore its recorded type."""
    data = node[()]
    return recall(
        np.asarray(data) if not isinstance(data, np.ndarray) else data,
        attr(node, DATA_PREFIX + "COLL_TYPE"),
        attr(node, DATA_PREFIX + "SCALAR_TYPE"),
    )


def _table_columns(table: h5py.Dataset, types: dict[str, Any] | None = None) -> dict[str, list[Any]]:
    """Columns of a pypet table as lists, each element restored to its recorded type."""
    rows = table[()]
    names = rows.dtype.names or ()
    columns: dict[str, list[Any]] = {}
    for name in names:
        prefix = COLUMN_PREFIX.format(name)
        source = types if types is not None else None
        coll = source.get(prefix + "COLL_TYPE") if source else attr(table, prefix + "COLL_TYPE")
        scalar = source.get(prefix + "SCALAR_TYPE") if source else attr(table, prefix + "SCALAR_TYPE")
        columns[name] = [recall(cell, coll, scalar) for cell in rows[name]]
    return columns


def read_table(node: h5py.HLObject, owner: str) -> dict[str, list[Any]]:
    """Read a ``TABLE`` item (one table, or a group of split tables) as column lists."""
    if isinstance(node, h5py.Dataset):
        return _table_columns(node)
    base = node.name.rsplit("/", 1)[-1]
    type_table = node.get(f"{base}__{STORE}")
    if not isinstance(type_table, h5py.Dataset):
        raise PypetFormatError(
            f"{owner}: split table {node.name!r} has no '{base}__{STORE}' type table; "
            "the file is incomplete or was not written by pypet"
        )
    types = {
        text(field): text(kind)
        for field, kind in zip(type_table["field_name"], type_table["data_type"], strict=True)
    }
    columns: dict[str, list[Any]] = {}
    for key, sub in node.items():
        if key != f"{base}__{STORE}" and isinstance(sub, h5py.Dataset):
            columns.update(_table_columns(sub, types))
    return columns


def read_dict(node: h5py.HLObject, owner: str) -> dict[str, Any]:
    """Read a ``DICT`` item (a one-row table) back into a dict."""
    return {key: values[0] for key, values in read_table(node, owner).items()}


def _pandas_axis(node: h5py.Dataset, owner: str) -> pd.Index:
    kind = attr(node, "kind")
    data = node[()]
    if kind == "string" or (isinstance(data, np.ndarray) and data.dtype.kind == "S"):
        values: Any = [text(v) for v in data]
    elif kind in ("integer", "float", "boolean", "complex"):
        values = data
    else:
        raise PypetFormatError(
            f"{owner}: pandas index kind {kind!r} at {node.name!r} is not supported "
            "(only string, integer, float, boolean and complex indexes are read)"
        )
    name = attr(node, "name")
    index: pd.Index = pd.Index(values, name=None if name in (None, "N.") else name)
    return index


def _block_values(node: h5py.Dataset, owner: str, allow_pickle: bool) -> np.ndarray:
    """Values of a pandas block; object blocks are pickled by pandas and need ``allow_pickle``."""
    if attr(node, "PSEUDOATOM") != "object" and node.dtype.kind != "O":
        return np.asarray(node[()])
    if not allow_pickle:
        raise PickleRefusedError(
            f"{owner}: {node.name!r} holds Python objects (e.g. string columns) that pandas "
            "pickled in its 'fixed' HDF5 format. Pickles can run code when loaded; pass "
            "allow_pickle=True to read it (only for files you trust)."
        )
    rows = node[()]
    if len(rows) != 1:
        raise PypetFormatError(f"{owner}: object block {node.name!r} has {len(rows)} rows, not 1")
    values = pickle.loads(np.asarray(rows[0]).tobytes())
    return np.asarray(values)


def read_pandas(node: h5py.Group, owner: str, *, allow_pickle: bool = False) -> pd.DataFrame | pd.Series:
    """Read a DataFrame or Series pandas stored in its 'fixed' HDF5 format."""
    kind = attr(node, "pandas_type")
    if kind == "series":
        values = _block_values(node["values"], owner, allow_pickle)
        index = _pandas_axis(node["index"], owner)
        name = attr(node, "name")
        dtype = object if values.dtype.kind == "O" else None
        return pd.Series(values, index=index, name=None if name == "N." else name, dtype=dtype)
    if kind != "frame":
        raise PypetFormatError(
            f"{owner}: pandas storage {kind!r} at {node.name!r} is not supported "
            "(only 'fixed' frames and series are read; write with pandas_format='fixed')"
        )
    for axis in ("axis0", "axis1"):
        if attr(node, f"{axis}_variety") not in (None, "regular"):
            raise PypetFormatError(f"{owner}: MultiIndex at {node.name}/{axis} is not supported")
    columns = _pandas_axis(node["axis0"], owner)
    index = _pandas_axis(node["axis1"], owner)
    data: dict[Any, Any] = {}
    for block in range(int(attr(node, "nblocks") or 0)):
        block_values = _block_values(node[f"block{block}_values"], owner, allow_pickle)
        items = _pandas_axis(node[f"block{block}_items"], owner)
        for position, item in enumerate(items):
            column = block_values[:, position]
            # object columns stay object (pandas 3 would otherwise infer its str dtype)
            dtype = object if column.dtype.kind == "O" else None
            data[item] = pd.Series(column, index=index, dtype=dtype, copy=False)
    return pd.DataFrame({c: data[c] for c in columns}, index=index, columns=columns)


def read_annotations(node: h5py.HLObject) -> dict[str, Any]:
    """pypet annotations of a node (``SRVC_AN_<name>`` attributes), strings decoded."""
    found: dict[str, Any] = {}
    for key in node.attrs:
        if key.startswith("SRVC_AN_"):
            value = attr(node, key)
            found[key[len("SRVC_AN_") :]] = value.item() if isinstance(value, np.generic) else value
    return found


def read_item(node: h5py.HLObject, owner: str, *, allow_pickle: bool = False) -> Any:
    """Decode one stored item of a leaf according to its ``SRVC_STORE`` flag.

    ``allow_pickle`` lets pandas object blocks (pickled by pandas) be unpickled.
    """
    flag = attr(node, STORE)
    if flag in ("ARRAY", "CARRAY", "EARRAY") and isinstance(node, h5py.Dataset):
        return read_array(node, owner)
    if flag == "TABLE":
        return read_table(node, owner)
    if flag == "DICT":
        return read_dict(node, owner)
    if flag in ("FRAME", "SERIES") and isinstance(node, h5py.Group):
        return read_pandas(node, owner, allow_pickle=allow_pickle)
    if flag == "VLARRAY" and isinstance(node, h5py.Dataset):
        if attr(node, "PSEUDOATOM") == "object" or node.dtype.kind == "O":
            raise PypetFormatError(
                f"{owner}: {node.name!r} is a PyTables object VLArray (pickled rows); "
                "it cannot be read without unpickling"
            )
        return [np.asarray(row) for row in node[()]]
    raise PypetFormatError(
        f"{owner}: item {node.name!r} was stored as {flag!r}, which this reader does not "
        "support (shared data and links are not read)"
    )


def read_items(group: h5py.Group, owner: str, prefix: str = "") -> dict[str, Any]:
    """Read every stored item below a leaf group; nested groups give dotted keys."""
    items: dict[str, Any] = {}
    for key in group:
        node = group.get(key, getlink=True)
        if isinstance(node, (h5py.SoftLink, h5py.ExternalLink)):
            raise PypetFormatError(f"{owner}: item {key!r} is a link; links are not read")
        child = group[key]
        name = f"{prefix}{key}"
        if attr(child, STORE) == "NESTED_GROUP" and isinstance(child, h5py.Group):
            items.update(read_items(child, owner, f"{name}."))
        else:
            items[name] = child
    return items
