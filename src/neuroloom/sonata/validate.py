"""Check SONATA files against the spec and list every violation with its dataset path.

``validate(path)`` accepts a circuit config, a nodes file, an edges file or a
spike/frame report and returns a list of :class:`Violation` (``level`` is
``"error"`` for spec violations, ``"warning"`` for legal but unportable
choices such as gzip, which the libsonata wheel cannot read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from neuroloom.errors import SonataError
from neuroloom.sonata._h5 import MAGIC

SCAN = 8_000_000
LIBRARY = "@library"
#: attributes the spec names (and bmtk writes): per element in group "0" or per type in the CSV
RESERVED_ATTRIBUTES = (
    "model_type",
    "model_template",
    "model_processing",
    "dynamics_params",
    "morphology",
    "x",
    "y",
    "z",
    "rotation_angle_xaxis",
    "rotation_angle_yaxis",
    "rotation_angle_zaxis",
)
REQUIRED_RULE = {
    "node_type_id": "every node population has node_type_id, one per node",
    "source_node_id": "every edge population has source_node_id, target_node_id and edge_type_id",
    "target_node_id": "every edge population has source_node_id, target_node_id and edge_type_id",
    "edge_type_id": "every edge population has source_node_id, target_node_id and edge_type_id",
    "node_id_to_ranges": "an index direction holds node_id_to_ranges and range_to_edge_id",
    "range_to_edge_id": "an index direction holds node_id_to_ranges and range_to_edge_id",
}
#: required integer datasets of populations
INTEGER_DATASETS = (
    "node_type_id",
    "node_group_id",
    "node_group_index",
    "node_id",
    "edge_type_id",
    "edge_group_id",
    "edge_group_index",
    "source_node_id",
    "target_node_id",
)


@dataclass(frozen=True)
class Violation:
    """One problem: the file, the dataset (or config key) and what is wrong."""

    file: str
    where: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.level}: {self.file}:{self.where}: {self.message}"


class _Checker:
    def __init__(self) -> None:
        self.found: list[Violation] = []

    def add(self, file: Any, where: str, message: str, level: str = "error") -> None:
        self.found.append(Violation(str(file), where, message, level))

    # ------------------------------------------------------------------ files
    def h5(self, path: Path, sizes: dict[str, int] | None = None) -> dict[str, int]:
        """Check one HDF5 file; returns node population sizes found in it."""
        try:
            fh = h5py.File(path, "r")
        except (OSError, FileNotFoundError) as exc:
            self.add(path, "/", f"cannot open as HDF5: {exc}")
            return {}
        out: dict[str, int] = {}
        try:
            with fh:
                if "nodes" in fh or "edges" in fh:
                    self._root_attrs(path, fh)
                if "nodes" in fh:
                    for name, grp in fh["nodes"].items():
                        out[name] = self.node_population(path, grp)
                if "edges" in fh:
                    for _name, grp in fh["edges"].items():
                        self.edge_population(path, grp, sizes or {})
                if "spikes" in fh:
                    self.spikes(path, fh["spikes"])
                if "report" in fh:
                    for _name, grp in fh["report"].items():
                        self.frames(path, grp)
                if not any(k in fh for k in ("nodes", "edges", "spikes", "report")):
                    self.add(path, "/", "no /nodes, /edges, /spikes or /report group: not a SONATA file")
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            self.add(path, "/", f"unreadable content: {exc}")
        return out

    def _root_attrs(self, path: Path, fh: h5py.File) -> None:
        if "magic" not in fh.attrs:
            self.add(
                path, "/", "missing root attribute 'magic'; rule: nodes/edges files carry magic and version"
            )
        elif int(np.asarray(fh.attrs["magic"]).ravel()[0]) != MAGIC:
            self.add(path, "/", f"root attribute 'magic' is {fh.attrs['magic']}, expected {MAGIC}")
        if "version" not in fh.attrs:
            self.add(
                path, "/", "missing root attribute 'version'; rule: nodes/edges files carry magic and version"
            )

    def _dataset(
        self, path: Path, grp: h5py.Group, name: str, n: int | None = None, ndim: int = 1
    ) -> h5py.Dataset | None:
        obj = grp.get(name)
        if not isinstance(obj, h5py.Dataset):
            self.add(
                path,
                f"{grp.name}/{name}",
                f"missing required dataset; rule: {REQUIRED_RULE.get(name, 'required')}",
            )
            return None
        if name in INTEGER_DATASETS and obj.dtype.kind not in "iu":
            self.add(path, obj.name, f"dtype {obj.dtype}; rule: {name} is an integer dataset")
        if obj.ndim != ndim:
            self.add(path, obj.name, f"must be {ndim}-D, found shape {obj.shape}; rule: dataset shape")
        elif n is not None and obj.shape[0] != n:
            self.add(path, obj.name, f"has {obj.shape[0]} rows, expected {n}")
        self._compression(path, obj)
        return obj

    def _compression(self, path: Path, ds: h5py.Dataset) -> None:
        if ds.compression:
            self.add(
                path, ds.name, f"{ds.compression}-compressed: the libsonata wheel cannot read it", "warning"
            )

    def _groups(self, path: Path, grp: h5py.Group, n: int, kind: str) -> None:
        groups = {k: v for k, v in grp.items() if isinstance(v, h5py.Group) and k.isdigit()}
        if not groups:
            self.add(path, f"{grp.name}/0", 'missing attribute group "0"; rule: a population holds group "0"')
            return
        if len(groups) > 1:
            self.add(
                path, grp.name, f"{len(groups)} attribute groups; libsonata reads only one group", "warning"
            )
        self._misplaced(path, grp)
        counts = self._group_counts(path, grp, n, kind, groups)
        multi = len(groups) > 1
        for gname, g in groups.items():
            expected = counts.get(gname, n if not multi else None)
            for key, obj in g.items():
                if key == LIBRARY:
                    self._library(path, g, obj)
                elif key == "dynamics_params":
                    self._dynamics(path, obj, expected, kind)
                elif isinstance(obj, h5py.Group):
                    self.add(
                        path,
                        obj.name,
                        f'is a group; rule: group "{gname}" holds one dataset per attribute '
                        "(only dynamics_params and @library are subgroups)",
                    )
                else:
                    self._attribute(path, g, obj, expected)

    def _group_counts(
        self, path: Path, grp: h5py.Group, n: int, kind: str, groups: dict[str, h5py.Group]
    ) -> dict[str, int]:
        """Rows each group must have, from ``<kind>_group_id`` (checked against the groups)."""
        gid = grp.get(f"{kind}_group_id")
        gidx = grp.get(f"{kind}_group_index")
        if len(groups) > 1 and not (isinstance(gid, h5py.Dataset) and isinstance(gidx, h5py.Dataset)):
            self.add(path, grp.name, f"several groups need {kind}_group_id and {kind}_group_index")
        if not (isinstance(gid, h5py.Dataset) and gid.shape == (n,) and n):
            return {}
        ids = gid[()].astype(np.int64)
        counts = {str(k): int(c) for k, c in zip(*np.unique(ids, return_counts=True))}
        unknown = set(counts) - set(groups)
        if unknown:
            self.add(
                path, gid.name, f"refers to missing groups {sorted(unknown)}; rule: group ids name groups"
            )
        if isinstance(gidx, h5py.Dataset) and gidx.shape == (n,):
            index = gidx[()].astype(np.int64)
            for gname in set(counts) & set(groups):
                rows = index[ids == int(gname)]
                if rows.size and (rows.min() < 0 or rows.max() >= counts[gname]):
                    self.add(
                        path,
                        gidx.name,
                        f"row {int(rows.max())} of group {gname} is past its {counts[gname]} rows; "
                        "rule: group_index is a row of the group",
                    )
        return counts

    def _misplaced(self, path: Path, grp: h5py.Group) -> None:
        """Attributes stored next to the type ids, where no SONATA reader looks for them."""
        for key in RESERVED_ATTRIBUTES:
            if key in grp:
                self.add(
                    path,
                    grp[key].name,
                    'is ignored by SONATA readers here; rule: attributes go in group "0" or the types CSV',
                    "warning",
                )

    def _library(self, path: Path, g: h5py.Group, lib: h5py.HLObject) -> None:
        if not isinstance(lib, h5py.Group):
            self.add(path, lib.name, "must be a group of string datasets; rule: @library enumerations")
            return
        for lib_name, values in lib.items():
            if lib_name not in g:
                self.add(path, values.name, "enumeration without its attribute dataset", "warning")
            if not isinstance(values, h5py.Dataset) or values.dtype.kind not in ("O", "S"):
                self.add(path, values.name, "must be a 1-D string dataset; rule: @library holds the names")

    def _dynamics(self, path: Path, obj: h5py.HLObject, expected: int | None, kind: str) -> None:
        if not isinstance(obj, h5py.Group):
            self.add(
                path,
                obj.name,
                f"is a dataset; rule: dynamics_params in an attribute group is a group of per-{kind} "
                "parameters (a per-type parameter file name belongs in the types CSV)",
            )
            return
        for key, ds in obj.items():
            if key in RESERVED_ATTRIBUTES:
                self.add(
                    path,
                    ds.name,
                    f"{key} is a {kind} attribute, not a dynamics parameter; rule: it belongs in "
                    'group "0" or the types CSV',
                )
            if isinstance(ds, h5py.Group):
                self.add(path, ds.name, "is a group; rule: dynamics_params holds one dataset per parameter")
            else:
                self._attribute(path, obj, ds, expected)

    def _attribute(self, path: Path, g: h5py.Group, obj: h5py.Dataset, expected: int | None) -> None:
        self._compression(path, obj)
        if h5py.check_enum_dtype(obj.dtype) is not None or obj.dtype.kind not in ("i", "u", "f", "O", "S"):
            self.add(
                path,
                obj.name,
                f"dtype {obj.dtype}; rule: attribute dtypes are integers, floats and strings "
                "(enumerations use @library)",
            )
            return
        if obj.shape is None or obj.ndim != 1:
            found = "no values (null dataspace)" if obj.shape is None else f"shape {obj.shape}"
            self.add(
                path,
                obj.name,
                f"has {found}; rule: attribute datasets are 1-D, one value per row"
                + (" (write x, y, z)" if obj.name.endswith("/positions") else ""),
            )
            return
        if expected is not None and obj.shape[0] != expected:
            self.add(path, obj.name, f"has {obj.shape[0]} rows, expected {expected}; rule: one value per row")
        name = obj.name.rsplit("/", 1)[-1]
        if LIBRARY in g and name in g[LIBRARY] and obj.shape[0]:
            codes = obj[()]
            size = g[LIBRARY][name].shape[0] if isinstance(g[LIBRARY][name], h5py.Dataset) else 0
            if codes.dtype.kind not in "iu":
                self.add(path, obj.name, "enumeration codes must be integers; rule: @library codes")
            elif codes.max() >= size or codes.min() < 0:
                bad = int(codes.max()) if codes.max() >= size else int(codes.min())
                self.add(
                    path, obj.name, f"code {bad} outside @library size {size}; rule: codes index @library"
                )

    def node_population(self, path: Path, grp: h5py.Group) -> int:
        ds = self._dataset(path, grp, "node_type_id")
        n = int(ds.shape[0]) if ds is not None else 0
        for name in ("node_group_id", "node_group_index"):
            if name in grp:
                self._dataset(path, grp, name, n)
        if "node_id" in grp:
            node_id = self._dataset(path, grp, "node_id", n)
            if (
                node_id is not None
                and node_id.shape[0] == n
                and not np.array_equal(node_id[()], np.arange(n))
            ):
                self.add(path, node_id.name, "node ids must be 0..N-1 in order")
        self._groups(path, grp, n, "node")
        return n

    def edge_population(self, path: Path, grp: h5py.Group, sizes: dict[str, int]) -> None:
        src = self._dataset(path, grp, "source_node_id")
        n = int(src.shape[0]) if src is not None else 0
        trg = self._dataset(path, grp, "target_node_id", n)
        for name in ("edge_type_id", "edge_group_id", "edge_group_index"):
            self._dataset(path, grp, name, n)
        pops: dict[str, int | None] = {}
        for ds in (src, trg):
            if ds is None:
                continue
            pop = ds.attrs.get("node_population")
            if pop is None:
                self.add(path, ds.name, "missing attribute 'node_population'")
                continue
            pop = pop.decode() if isinstance(pop, bytes) else str(pop)
            pops[ds.name] = sizes.get(pop)
            if sizes and pop not in sizes:
                self.add(path, ds.name, f"node_population {pop!r} is not among the config's node populations")
            size = sizes.get(pop)
            if size is not None and ds.shape[0] and ds.ndim == 1:
                top = max(int(ds[a : a + SCAN].max()) for a in range(0, ds.shape[0], SCAN))
                if top >= size:
                    self.add(path, ds.name, f"node id {top} past the size of population {pop!r} ({size})")
        self._groups(path, grp, n, "edge")
        idx = grp.get("indices")
        if not isinstance(idx, h5py.Group):
            self.add(path, f"{grp.name}/indices", "missing indices (source_to_target, target_to_source)")
            return
        for direction, ids_ds in (("source_to_target", src), ("target_to_source", trg)):
            d = idx.get(direction)
            if not isinstance(d, h5py.Group):
                self.add(path, f"{idx.name}/{direction}", "missing index group")
                continue
            if "node_id_to_range" in d and "node_id_to_ranges" not in d:
                self.add(
                    path,
                    f"{d.name}/node_id_to_range",
                    "must be named node_id_to_ranges (bmtk spelling; libsonata's lookups fail on it)",
                )
                n2r = d["node_id_to_range"]
            else:
                n2r = self._dataset(path, d, "node_id_to_ranges", ndim=2)
            r2e = self._dataset(path, d, "range_to_edge_id", ndim=2)
            if n2r is None or r2e is None or n2r.ndim != 2 or r2e.ndim != 2:
                continue
            node_size = pops.get(ids_ds.name) if ids_ds is not None else None
            if node_size is not None and n2r.shape[0] != node_size:
                self.add(path, n2r.name, f"has {n2r.shape[0]} rows, the node population has {node_size}")
            self._index_content(path, n2r, r2e, ids_ds, n)

    def _index_content(
        self, path: Path, n2r: h5py.Dataset, r2e: h5py.Dataset, ids_ds: h5py.Dataset | None, n_edges: int
    ) -> None:
        rows = n2r[()].astype(np.int64)
        if rows.size and (
            rows.min() < 0 or rows[:, 1].max() > r2e.shape[0] or np.any(rows[:, 1] < rows[:, 0])
        ):
            self.add(path, n2r.name, f"ranges point past the end of {r2e.name} ({r2e.shape[0]} rows)")
            return
        if r2e.shape[0] > 4 * SCAN or ids_ds is None or ids_ds.shape[0] != n_edges:
            return  # too large to cross-check in memory; bounds are still checked below
        ranges = r2e[()].astype(np.int64)
        if ranges.size and (
            ranges.min() < 0 or ranges[:, 1].max() > n_edges or np.any(ranges[:, 1] < ranges[:, 0])
        ):
            self.add(path, r2e.name, f"edge ranges point past the number of edges ({n_edges})")
            return
        node_of_range = np.repeat(np.arange(rows.shape[0]), rows[:, 1] - rows[:, 0])
        range_ids = (
            np.concatenate([np.arange(a, b) for a, b in rows if b > a])
            if rows.size and rows.shape[0] < 50_000
            else None
        )
        if range_ids is None:
            from neuroloom.sonata._h5 import np_ranges

            range_ids = np_ranges(rows[:, 0], rows[:, 1])
        lengths = ranges[range_ids, 1] - ranges[range_ids, 0]
        from neuroloom.sonata._h5 import np_ranges

        edge_ids = np_ranges(ranges[range_ids, 0], ranges[range_ids, 1])
        expected_nodes = np.repeat(node_of_range, lengths)
        actual = ids_ds[()].astype(np.int64)
        if edge_ids.size != n_edges or np.unique(edge_ids).size != n_edges:
            self.add(path, r2e.name, f"the index covers {np.unique(edge_ids).size} of {n_edges} edges")
        if edge_ids.size and not np.array_equal(actual[edge_ids], expected_nodes):
            bad = int(np.flatnonzero(actual[edge_ids] != expected_nodes)[0])
            self.add(
                path,
                r2e.name,
                f"edge {int(edge_ids[bad])} is listed under node {int(expected_nodes[bad])} "
                f"but {ids_ds.name} says {int(actual[edge_ids[bad]])}",
            )

    def spikes(self, path: Path, root: h5py.Group) -> None:
        groups = {k: v for k, v in root.items() if isinstance(v, h5py.Group)}
        if not groups and "timestamps" in root:
            self.add(
                path,
                root.name,
                "old layout (/spikes/gids + /spikes/timestamps, no population): NEST, bmtk and neuroloom "
                "read it, libsonata reads 'gids' and 'timestamps' as two populations; rule: "
                "/spikes/<population>/{node_ids, timestamps}",
                "warning",
            )
            if "gids" in root and root["gids"].shape != root["timestamps"].shape:
                self.add(path, f"{root.name}/gids", "gids and timestamps differ in length")
        elif not groups:
            self.add(path, root.name, "no population groups under /spikes; rule: /spikes/<population>")
        for _name, grp in groups.items():
            ts = self._dataset(path, grp, "timestamps")
            ids = self._dataset(path, grp, "node_ids", ts.shape[0] if ts is not None else None)
            if ts is not None and "units" not in ts.attrs:
                self.add(path, ts.name, "missing attribute 'units'")
            if "sorting" in grp.attrs:
                dtype = grp.attrs.get_id("sorting").dtype
                if h5py.check_enum_dtype(dtype) is None:
                    self.add(
                        path,
                        f"{grp.name}@sorting",
                        "sorting must be an HDF5 enum (none/by_id/by_time), found a plain value",
                    )
            elif ids is not None and "sorting" in ids.attrs:
                self.add(path, f"{ids.name}@sorting", "sorting belongs on the population group, as an enum")

    def frames(self, path: Path, grp: h5py.Group) -> None:
        data = self._dataset(path, grp, "data", ndim=2)
        if data is not None and data.dtype != np.float32:
            self.add(
                path,
                data.name,
                f"dtype {data.dtype}; rule: libsonata reads only float32 frame data",
                "warning",
            )
        mapping = grp.get("mapping")
        if not isinstance(mapping, h5py.Group):
            self.add(path, f"{grp.name}/mapping", "missing mapping group")
            return
        ids = self._dataset(path, mapping, "node_ids")
        ptr_name = "index_pointers" if "index_pointers" in mapping else "index_pointer"
        if ptr_name == "index_pointer" and "index_pointer" in mapping:
            self.add(path, f"{mapping.name}/index_pointer", "must be named index_pointers")
        ptr = self._dataset(path, mapping, ptr_name, ids.shape[0] + 1 if ids is not None else None)
        el = self._dataset(
            path, mapping, "element_ids", data.shape[1] if data is not None and data.ndim == 2 else None
        )
        del el
        time = self._dataset(path, mapping, "time")
        if time is not None and time.shape[0] != 3:
            self.add(path, time.name, "must hold [tstart, tstop, dt]")
        if (
            ptr is not None
            and data is not None
            and data.ndim == 2
            and ptr.shape[0]
            and int(ptr[-1]) != data.shape[1]
        ):
            self.add(path, ptr.name, f"last pointer {int(ptr[-1])} != number of data columns {data.shape[1]}")

    # ------------------------------------------------------------------ config
    def config(self, path: Path) -> None:
        from neuroloom.sonata.config import read_circuit_config

        try:
            conf = read_circuit_config(path)
        except SonataError as exc:
            self.add(path, "/", str(exc))
            return
        sizes: dict[str, int] = {}
        nodes = conf["networks"].get("nodes", [])
        for i, entry in enumerate(nodes):
            file = Path(entry["nodes_file"])
            if not file.is_file():
                self.add(path, f"networks.nodes[{i}].nodes_file", f"file not found: {file}")
                continue
            found = self.h5(file)
            sizes.update(found)
            for pop in entry.get("populations", {}) or {}:
                if pop not in found:
                    self.add(path, f"networks.nodes[{i}].populations.{pop}", f"not in {file}")
            self._types(path, f"networks.nodes[{i}].node_types_file", entry.get("node_types_file"))
        for i, entry in enumerate(conf["networks"].get("edges", [])):
            file = Path(entry["edges_file"])
            if not file.is_file():
                self.add(path, f"networks.edges[{i}].edges_file", f"file not found: {file}")
                continue
            self.h5(file, sizes)
            self._types(path, f"networks.edges[{i}].edge_types_file", entry.get("edge_types_file"))
        sets = conf.get("node_sets_file")
        if sets:
            _node_sets(self, Path(sets), path, "node_sets_file")

    def _types(self, path: Path, where: str, file: str | None) -> None:
        if file and not Path(file).is_file():
            self.add(path, where, f"file not found: {file}")


def _json_kind(path: Path) -> str:
    """``circuit``, ``simulation`` or ``node_sets`` (by content), ``unreadable`` if not JSON."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "unreadable"
    if isinstance(data, dict) and "networks" in data:
        return "circuit"
    if isinstance(data, dict) and "run" in data:
        return "simulation"
    return "node_sets"


def _simulation(checker: _Checker, path: Path) -> None:
    """A simulation config: its network, node sets and input files exist and are valid."""
    from neuroloom.sonata.config import read_simulation_config

    try:
        conf = read_simulation_config(path)
    except SonataError as exc:
        checker.add(path, "/", str(exc))
        return
    network = conf.get("network") or str(path.parent / "circuit_config.json")
    if Path(network).is_file():
        checker.config(Path(network))
    else:
        checker.add(path, "network", f"file not found: {network}")
    sets = conf.get("node_sets_file")
    if sets:
        _node_sets(checker, Path(sets), path, "node_sets_file")
    for name, spec in (conf.get("inputs") or {}).items():
        for key in ("input_file", "spike_file"):
            if isinstance(spec, dict) and spec.get(key) and not Path(spec[key]).is_file():
                checker.add(path, f"inputs.{name}.{key}", f"file not found: {spec[key]}")


def _node_sets(checker: _Checker, sets: Path, where_file: Path, key: str) -> None:
    from neuroloom.sonata.node_sets import read_node_sets

    if not sets.is_file():
        checker.add(where_file, key, f"file not found: {sets}")
        return
    try:
        data = read_node_sets(sets)
    except SonataError as exc:
        checker.add(sets, "/", str(exc))
        return
    for name, rule in data.items():
        for part in rule if isinstance(rule, list) else []:
            if not isinstance(part, str) or part not in data:
                checker.add(sets, name, f"compound node set names {part!r}, which is not a node set")
        for attr, value in rule.items() if isinstance(rule, dict) else []:
            ops = set(value) - {"$gt", "$lt", "$gte", "$lte", "$regex"} if isinstance(value, dict) else set()
            if ops:
                checker.add(
                    sets, f"{name}.{attr}", f"unknown operators {sorted(ops)}; rule: $gt $lt $gte $lte $regex"
                )


def validate(path: str | Path) -> list[Violation]:
    """List every violation found in a config, node sets file, SONATA HDF5 file or report."""
    path = Path(path)
    checker = _Checker()
    if not path.exists():
        checker.add(path, "/", "no such file")
    elif path.suffix == ".json":
        kind = _json_kind(path)
        if kind == "simulation":
            _simulation(checker, path)
        elif kind == "node_sets":
            _node_sets(checker, path, path, "/")
        else:
            checker.config(path)
    else:
        checker.h5(path)
    return checker.found
