"""Turn one pypet leaf group (a parameter or a result) into a :mod:`neuroloom.pypet.model` object.

Each pypet leaf class lays its data out in its own way inside the leaf group:

- ``Parameter``: table ``data`` (column ``data``, one row) and, when explored,
  table ``explored_data`` (one row per run);
- ``ArrayParameter``: array ``data__rr__``; explored arrays are stored once each
  under ``explored__rr__/set_XXXXX/xa_XXXXXXXX`` and table
  ``explored_data__rr__`` (column ``idx``) says which one each run uses;
- ``Brian2Parameter``: table ``data__brn2__`` (columns ``value``, ``unit``) and
  ``explored_data__brn2__`` (column ``value``, same unit);
- ``Result`` and ``Brian2Result``: one item per name; a quantity is split into
  ``<name>__brn2__value`` and ``<name>__brn2__unit``;
- ``Brian2MonitorResult``: as ``Brian2Result`` plus an item ``monitor_type``;
- ``SparseParameter`` / ``SparseResult``: ``data__spsp__`` (or ``<name>__spsp__``),
  the hex string of the matrix saved by ``scipy.sparse.save_npz`` (read with
  ``allow_pickle=False``); explored matrices as ``xspm__spsp__XXXXXXXX`` indexed
  by table ``explored_data__spsp__``;
- ``PickleParameter`` / ``PickleResult``: pickled bytes (read only on request).
"""

from __future__ import annotations

import io
import pickle
from typing import Any

import h5py
import numpy as np
import scipy.sparse

from neuroloom.errors import PickleRefusedError
from neuroloom.pypet.errors import PypetFormatError
from neuroloom.pypet.model import Parameter, Quantity, Result
from neuroloom.pypet.values import attr, read_annotations, read_item, read_items

CLASS_NAME = "SRVC_INIT_CLASS_NAME"
COMMENT = "SRVC_INIT_COMMENT"
LEAF = "SRVC_LEAF"
BRIAN = "__brn2__"
ARRAY = "__rr__"
SPARSE = "__spsp__"
PROTOCOL = "__pckl_prtcl__"
PICKLE_CLASSES = ("PickleParameter", "PickleResult")


def is_leaf(group: h5py.Group) -> bool:
    """Whether ``group`` is a pypet parameter or result (not a plain group node)."""
    return bool(attr(group, LEAF))


def _unpickle(node: h5py.HLObject, owner: str, path: str) -> Any:
    raw = node[()] if isinstance(node, h5py.Dataset) else None
    if isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
    elif isinstance(raw, (np.ndarray, np.generic)):
        data = raw.tobytes()
    else:
        raise PypetFormatError(f"{owner} in {path}: pickled item {node.name!r} holds no bytes")
    return pickle.loads(data)


def _check_pickle(class_name: str, owner: str, path: str, allow_pickle: bool) -> None:
    if class_name in PICKLE_CLASSES and not allow_pickle:
        raise PickleRefusedError(
            f"{owner} in {path} is a pypet {class_name}: its data is a Python pickle. "
            "Pickles can run code when loaded; pass allow_pickle=True to read it "
            "(only for files you trust)."
        )


def _sparse(node: h5py.HLObject, owner: str) -> Any:
    """A scipy sparse matrix pypet stored as the hex string of an ``.npz`` file (no pickle)."""
    hex_text = read_item(node, owner)
    try:
        payload = bytes.fromhex(str(hex_text))
        return scipy.sparse.load_npz(io.BytesIO(payload))  # np.load with allow_pickle=False
    except (ValueError, OSError, KeyError) as exc:
        raise PypetFormatError(f"{owner}: sparse matrix {node.name!r} is unreadable: {exc}") from exc


def _explored_arrays(nodes: dict[str, h5py.HLObject], owner: str) -> list[Any]:
    indices = read_item(nodes["explored_data" + ARRAY], owner)["idx"]
    out = []
    for index in indices:
        key = f"explored{ARRAY}.set_{int(index) // 1000:05d}.xa_{int(index):08d}"
        if key not in nodes:
            raise PypetFormatError(f"{owner}: explored array {key!r} is missing")
        out.append(read_item(nodes[key], owner))
    return out


def _pickled_parameter(nodes: dict[str, h5py.HLObject], owner: str, path: str) -> tuple[Any, Any]:
    value = _unpickle(nodes["data"], owner, path)
    if "explored_data" not in nodes:
        return value, None
    indices = read_item(nodes["explored_data"], owner)["idx"]
    return value, [_unpickle(nodes[f"xp_{int(i):08d}"], owner, path) for i in indices]


def _parameter_values(
    nodes: dict[str, h5py.HLObject], class_name: str, owner: str, path: str
) -> tuple[Any, list[Any] | None]:
    if class_name == "PickleParameter":
        return _pickled_parameter(nodes, owner, path)
    if "data" + BRIAN in nodes:
        table = read_item(nodes["data" + BRIAN], owner)
        unit = str(table["unit"][0])
        value = Quantity(table["value"][0], unit)
        explored = None
        if "explored_data" + BRIAN in nodes:
            column = read_item(nodes["explored_data" + BRIAN], owner)["value"]
            explored = [Quantity(v, unit) for v in column]
        return value, explored
    if "data" + SPARSE in nodes:
        value = _sparse(nodes["data" + SPARSE], owner)
        if "explored_data" + SPARSE not in nodes:
            return value, None
        indices = read_item(nodes["explored_data" + SPARSE], owner)["idx"]
        return value, [_sparse(nodes[f"xspm{SPARSE}{int(i):08d}"], owner) for i in indices]
    if "data" + ARRAY in nodes:
        value = read_item(nodes["data" + ARRAY], owner)
        explored = _explored_arrays(nodes, owner) if "explored_data" + ARRAY in nodes else None
        return value, explored
    if "data" not in nodes:
        raise PypetFormatError(f"{owner} in {path}: parameter has no stored data")
    value = read_item(nodes["data"], owner)["data"][0]
    explored = None
    if "explored_data" in nodes:
        explored = list(read_item(nodes["explored_data"], owner)["data"])
    return value, explored


def read_parameter(group: h5py.Group, name: str, path: str, *, allow_pickle: bool) -> Parameter:
    """Read the parameter stored in leaf ``group`` (full dotted ``name``) of file ``path``."""
    class_name = attr(group, CLASS_NAME) or "Parameter"
    _check_pickle(class_name, name, path, allow_pickle)
    nodes = read_items(group, name)
    value, explored = _parameter_values(nodes, class_name, name, path)
    comment = attr(group, COMMENT) or ""
    return Parameter(name, class_name, comment, value, explored, read_annotations(group))


def _result_items(
    nodes: dict[str, h5py.HLObject], class_name: str, owner: str, path: str, allow_pickle: bool
) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for key, node in nodes.items():
        if class_name == "PickleResult":
            if key != PROTOCOL:
                items[key] = _unpickle(node, owner, path)
            continue
        if key.endswith(SPARSE):
            items[key[: -len(SPARSE)]] = _sparse(node, owner)
            continue
        if BRIAN in key:
            base, _, part = key.partition(BRIAN)
            if part == "value":
                unit_key = base + BRIAN + "unit"
                if unit_key not in nodes:
                    raise PypetFormatError(f"{owner}: {key!r} has no {unit_key!r} beside it")
                items[base] = Quantity(read_item(node, owner), str(read_item(nodes[unit_key], owner)))
            continue
        items[key] = read_item(node, owner, allow_pickle=allow_pickle)
    return items


def read_result(group: h5py.Group, name: str, path: str, *, allow_pickle: bool) -> Result:
    """Read the result stored in leaf ``group`` (full dotted ``name``) of file ``path``."""
    class_name = attr(group, CLASS_NAME) or "Result"
    _check_pickle(class_name, name, path, allow_pickle)
    nodes = read_items(group, name)
    items = _result_items(nodes, class_name, name, path, allow_pickle)
    monitor = None
    if class_name == "Brian2MonitorResult" and "monitor_type" in items:
        monitor = str(items.pop("monitor_type"))
    comment = attr(group, COMMENT) or ""
    return Result(name, class_name, comment, items, monitor, read_annotations(group))
