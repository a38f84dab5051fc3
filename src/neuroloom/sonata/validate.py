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
            self.add(path, "/", "missing root attribute 'magic'")
        elif int(np.asarray(fh.attrs["magic"]).ravel()[0]) != MAGIC:
            self.add(path, "/", f"root attribute 'magic' is {fh.attrs['magic']}, expected {MAGIC}")
        if "version" not in fh.attrs:
            self.add(path, "/", "missing root attribute 'version'")

    def _dataset(
        self, path: Path, grp: h5py.Group, name: str, n: int | None = None, ndim: int = 1
    ) -> h5py.Dataset | None:
        obj = grp.get(name)
        if not isinstance(obj, h5py.Dataset):
            self.add(path, f"{grp.name}/{name}", "missing required dataset")
            return None
        if obj.ndim != ndim:
            self.add(path, obj.name, f"must be {ndim}-D, found shape {obj.shape}")
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
            self.add(path, grp.name, 'no attribute group ("0")')
            return
        if len(groups) > 1:
            self.add(
                path, grp.name, f"{len(groups)} attribute groups; libsonata reads only one group", "warning"
            )
        multi = len(groups) > 1
        gid = grp.get(f"{kind}_group_id")
        gidx = grp.get(f"{kind}_group_index")
        if multi and not (isinstance(gid, h5py.Dataset) and isinstance(gidx, h5py.Dataset)):
            self.add(path, grp.name, f"several groups need {kind}_group_id and {kind}_group_index")
        counts: dict[str, int] = {}
        if isinstance(gid, h5py.Dataset) and gid.shape[0] == n and n:
            ids = gid[()].astype(np.int64)
            counts = {str(k): int(c) for k, c in zip(*np.unique(ids, return_counts=True))}
            unknown = set(counts) - set(groups)
            if unknown:
                self.add(path, gid.name, f"refers to missing groups {sorted(unknown)}")
        for gname, g in groups.items():
            expected = counts.get(gname, n if not multi else None)
            for key, obj in g.items():
                if key == "@library":
                    for lib_name in obj:
                        if lib_name not in g:
                            self.add(path, obj[lib_name].name, "enumeration without its attribute dataset")
                    continue
                if key == "dynamics_params" or not isinstance(obj, h5py.Dataset):
                    continue
                self._compression(path, obj)
                if obj.ndim != 1:
                    self.add(
                        path,
                        obj.name,
                        f"attribute datasets must be 1-D, found shape {obj.shape}"
                        + (" (write x, y, z)" if key == "positions" else ""),
                    )
                    continue
                if expected is not None and obj.shape[0] != expected:
                    self.add(path, obj.name, f"has {obj.shape[0]} rows, expected {expected}")
                if "@library" in g and key in g["@library"] and obj.shape[0]:
                    codes = obj[()]
                    size = g["@library"][key].shape[0]
                    if codes.max() >= size:
                        self.add(path, obj.name, f"code {int(codes.max())} past @library size {size}")

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
                    path, f"{d.name}/node_id_to_range", "must be named node_id_to_ranges (bmtk spelling)"
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
        if not groups:
            self.add(
                path,
                root.name,
                "no population groups under /spikes",
                "warning" if "timestamps" in root else "error",
            )
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
            try:
                json.loads(Path(sets).read_text())
            except (OSError, json.JSONDecodeError) as exc:
                self.add(path, "node_sets_file", f"cannot read {sets}: {exc}")

    def _types(self, path: Path, where: str, file: str | None) -> None:
        if file and not Path(file).is_file():
            self.add(path, where, f"file not found: {file}")


def validate(path: str | Path) -> list[Violation]:
    """List every violation found in a circuit config, SONATA HDF5 file or report."""
    path = Path(path)
    checker = _Checker()
    if not path.exists():
        checker.add(path, "/", "no such file")
    elif path.suffix == ".json":
        checker.config(path)
    else:
        checker.h5(path)
    return checker.found
