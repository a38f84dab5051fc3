"""Write a SONATA nodes file with several node groups (as bmtk writes them).

Each group holds the per-node columns of the nodes assigned to it; a column
named ``dynamics_params`` holding one dict per node becomes the group's
``dynamics_params`` subgroup (one dataset per key), which is where SONATA
puts per-node dynamics parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import MAGIC, VERSION
from neuroloom.sonata.columns import write_column

DYNAMICS = "dynamics_params"


def _dynamics_group(group: h5py.Group, values: np.ndarray, kw: Mapping[str, Any], where: str) -> None:
    """Write per-node dicts as the ``dynamics_params`` subgroup (one dataset per key)."""
    rows = values.tolist()
    if not all(isinstance(r, Mapping) for r in rows):
        raise SonataFormatError(
            f"{where}: per-node 'dynamics_params' must be one dict per node (SONATA keeps the group "
            "name 'dynamics_params' for per-node parameters); give one file name shared by the "
            "add_nodes call instead of one per node"
        )
    keys = sorted({k for r in rows for k in r})
    sub = group.create_group(DYNAMICS)
    for key in keys:
        column = [r.get(key) for r in rows]
        present = [v for v in column if v is not None]
        if all(isinstance(v, (bool, int, float, np.integer, np.floating, np.bool_)) for v in present):
            data = np.asarray([np.nan if v is None else v for v in column], dtype=np.float64)
            sub.create_dataset(key, data=data, **kw)
        else:
            write_column(sub, key, np.asarray(["" if v is None else str(v) for v in column], dtype=object))


def write_node_groups(
    path: str | Path,
    population: str,
    node_type_ids: np.ndarray,
    group_ids: np.ndarray,
    groups: Sequence[Mapping[str, np.ndarray]],
    *,
    compression: str | None = None,
) -> Path:
    """Write one node population atomically.

    Parameters
    ----------
    node_type_ids, group_ids
        One value per node (node ids are ``0..N-1``).
    groups
        For group ``g``, ``{column: values}`` with one row per node of the group,
        in node id order. 2-D arrays become 2-D datasets; strings ``@library``
        enumerations when they repeat; ``dynamics_params`` dicts a subgroup.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = int(node_type_ids.size)
    group_ids = np.asarray(group_ids, dtype=np.int64)
    group_index = np.zeros(n, dtype=np.uint64)
    for g in range(len(groups)):
        mine = group_ids == g
        group_index[mine] = np.arange(int(mine.sum()), dtype=np.uint64)
    kw: dict[str, Any] = {"compression": compression} if compression else {}
    tmp = path.with_name(tmp_name(".h5"))
    try:
        with h5py.File(tmp, "w") as fh:
            fh.attrs["magic"] = np.uint32(MAGIC)
            fh.attrs["version"] = np.asarray(VERSION, dtype=np.uint32)
            grp = fh.create_group("nodes").create_group(population)
            grp.create_dataset("node_type_id", data=np.asarray(node_type_ids, dtype=np.int64), **kw)
            grp.create_dataset("node_id", data=np.arange(n, dtype=np.uint64), **kw)
            grp.create_dataset("node_group_id", data=group_ids.astype(np.uint32), **kw)
            grp.create_dataset("node_group_index", data=group_index, **kw)
            for g, columns in enumerate(groups):
                sub = grp.create_group(str(g))
                for name, values in columns.items():
                    where = f"{path}: /nodes/{population}/{g}"
                    if name == DYNAMICS:
                        _dynamics_group(sub, values, kw, where)
                    elif values.ndim == 2:
                        sub.create_dataset(name, data=values, **kw)
                    else:
                        write_column(sub, name, values, enumerate_strings="auto", compression=compression)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
