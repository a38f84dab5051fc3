"""Dump what pypet itself loads from each test trajectory file to ``<file>.json`` (run in the pypet venv).

Run from the repository root after ``make_trajectories.py``::

    bench/.venv-pypet/bin/python tests/pypet/data/dump_ground_truth.py

Every value is written with a tag saying what pypet handed back, so the
neuroloom reader's output can be compared value by value and type by type:

- ``{"kind": "scalar", "type": "float64", "value": 1.5}`` (complex as ``[re, im]``)
- ``{"kind": "array", "dtype": "int32", "shape": [2, 3], "value": [[...]]}``
- ``{"kind": "list" | "tuple", "value": [...]}``, ``{"kind": "dict", "value": {...}}``
- ``{"kind": "frame", "columns": [...], "index": [...], "dtypes": {...}, "data": {...}}``
- ``{"kind": "series", "name": ..., "index": [...], "dtype": ..., "value": [...]}``
- ``{"kind": "quantity", "unit": "1. * volt", "value": <tagged value in that unit>}``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as spsp
import tables

from pypet import Trajectory

HERE = Path(__file__).resolve().parent

try:
    from brian2 import Quantity
    from pypet.brian2 import Brian2MonitorResult, Brian2Parameter, Brian2Result
    from pypet.brian2.parameter import get_unit_fast

    DYNAMIC = [Brian2Parameter, Brian2Result, Brian2MonitorResult]
except ImportError:  # brian2 not installed in the pypet venv
    Quantity = None
    DYNAMIC = []


def _plain(value: Any) -> Any:
    if isinstance(value, (complex, np.complexfloating)):
        return [float(value.real), float(value.imag)]
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8")
    if isinstance(value, np.generic):
        return value.item()
    return value


def _listed(array: np.ndarray) -> Any:
    if array.dtype.kind == "c":
        return [[float(v.real), float(v.imag)] for v in array.ravel()]
    if array.dtype.kind == "S":
        return np.char.decode(array, "utf-8").tolist()
    return array.tolist()


def encode(value: Any) -> dict[str, Any]:
    """Tag ``value`` with what it is, turning arrays into lists."""
    if Quantity is not None and isinstance(value, Quantity):
        unit = get_unit_fast(value)
        return {"kind": "quantity", "unit": repr(unit), "value": encode(np.asarray(value / unit))}
    if spsp.issparse(value):
        return {
            "kind": "sparse",
            "format": value.format,
            "shape": list(value.shape),
            "dense": value.toarray().tolist(),
        }
    if isinstance(value, pd.DataFrame):
        return {
            "kind": "frame",
            "columns": [_plain(c) for c in value.columns],
            "index": [_plain(i) for i in value.index],
            "dtypes": {str(c): str(t) for c, t in value.dtypes.items()},
            "data": {str(c): _listed(value[c].to_numpy()) for c in value.columns},
        }
    if isinstance(value, pd.Series):
        return {
            "kind": "series",
            "name": _plain(value.name),
            "index": [_plain(i) for i in value.index],
            "dtype": str(value.dtype),
            "value": _listed(value.to_numpy()),
        }
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return {"kind": "scalar", "type": value.dtype.name, "value": _plain(value[()])}
        return {
            "kind": "array",
            "dtype": value.dtype.str.lstrip("<>|=") if value.dtype.kind == "S" else value.dtype.name,
            "shape": list(value.shape),
            "value": _listed(value),
        }
    if isinstance(value, (list, tuple)):
        return {"kind": type(value).__name__, "value": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"kind": "dict", "value": {str(k): encode(v) for k, v in value.items()}}
    if value is None:
        return {"kind": "none"}
    return {"kind": "scalar", "type": type(value).__name__, "value": _plain(value)}


def dump_trajectory(path: Path, name: str) -> dict[str, Any]:
    traj = Trajectory(filename=str(path), add_time=False, dynamic_imports=DYNAMIC)
    traj.f_load(name=name, load_all=2, force=True)
    leaves: dict[str, Any] = {}
    for leaf in traj.f_iter_leaves():
        entry: dict[str, Any] = {"class": leaf.f_get_class_name(), "comment": leaf.v_comment}
        annotations = leaf.v_annotations.f_to_dict()
        if annotations:
            entry["annotations"] = {k: encode(v) for k, v in annotations.items()}
        if leaf.v_is_parameter:
            entry["value"] = encode(leaf.f_get())
            entry["explored"] = bool(leaf.v_explored)
            if leaf.v_explored:
                entry["range"] = [encode(v) for v in leaf.f_get_range()]
        else:
            entry["items"] = {key: encode(val) for key, val in leaf.f_to_dict().items()}
            monitor = getattr(leaf, "v_monitor_type", None)
            if monitor is not None:
                entry["monitor_type"] = monitor
        leaves[leaf.v_full_name] = entry
    groups = {
        node.v_full_name: node.v_comment
        for node in traj.f_iter_nodes(recursive=True)
        if node.v_is_group and node.v_comment
    }
    links = {}
    for node in [traj, *traj.f_iter_nodes(recursive=True)]:
        if node.v_is_group:
            for link_name, target in node._links.items():
                prefix = f"{node.v_full_name}." if node.v_full_name else ""
                links[prefix + link_name] = target.v_full_name
    runs = [traj.f_get_run_information(i, copy=True) for i in range(len(traj))]
    return {
        "name": traj.v_name,
        "comment": traj.v_comment,
        "time": traj.v_time,
        "timestamp": traj.v_timestamp,
        "version": traj.v_version,
        "python": traj.v_python,
        "explored": sorted(traj.f_get_explored_parameters().keys()),
        "runs": [{k: _plain(v) for k, v in info.items()} for info in runs],
        "leaves": leaves,
        "group_comments": groups,
        "links": links,
    }


def dump_file(path: Path) -> dict[str, Any]:
    with tables.open_file(str(path), "r") as h5:
        names = [group._v_name for group in h5.root._f_iter_nodes("Group")]
    return {"file": path.name, "trajectories": {n: dump_trajectory(path, n) for n in names}}


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.hdf5"))
    for path in paths:
        out = path.with_suffix(".json")
        out.write_text(json.dumps(dump_file(path), indent=1, sort_keys=True) + "\n")
        print(f"wrote {out.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
