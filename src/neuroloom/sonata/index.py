"""SONATA edge indices: ``node_id_to_ranges`` and ``range_to_edge_id``.

For one direction (``source_to_target`` or ``target_to_source``) the index
maps every node id ``n`` of the population to rows ``[a, b)`` of
``range_to_edge_id``; each of those rows is a ``[start, stop)`` range of edge
ids whose node is ``n``. Nodes without edges get an empty range ``[a, a]``
(as libsonata writes it).

:func:`build_index` works in memory; :func:`write_index` streams a node-id
dataset of any length in blocks so memory stays bounded (see its docstring).
"""

from __future__ import annotations

import itertools

import h5py
import numpy as np

from neuroloom.errors import SonataFormatError
from neuroloom.sonata._h5 import dataset, np_ranges, read_ranges, read_rows, reading

INDEX_GROUPS = {"source": "source_to_target", "target": "target_to_source"}


def _block_ranges(
    node_ids: np.ndarray, edge_ids: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Index rows for nodes ``[lo, hi)`` given their edges sorted by (node, edge id).

    Returns ``(node_id_to_ranges relative to 0, range_to_edge_id)``.
    """
    n_nodes = hi - lo
    if node_ids.size == 0:
        return np.zeros((n_nodes, 2), dtype=np.uint64), np.zeros((0, 2), dtype=np.uint64)
    new_range = np.ones(node_ids.size, dtype=bool)
    new_range[1:] = (node_ids[1:] != node_ids[:-1]) | (edge_ids[1:] != edge_ids[:-1] + 1)
    starts = np.flatnonzero(new_range)
    stops = np.concatenate((starts[1:], [node_ids.size]))
    ranges = np.empty((starts.size, 2), dtype=np.uint64)
    ranges[:, 0] = edge_ids[starts]
    ranges[:, 1] = edge_ids[stops - 1] + 1
    range_node = node_ids[starts] - lo
    first = np.searchsorted(range_node, np.arange(n_nodes), side="left")
    last = np.searchsorted(range_node, np.arange(n_nodes), side="right")
    n2r = np.empty((n_nodes, 2), dtype=np.uint64)
    n2r[:, 0] = first
    n2r[:, 1] = last
    return n2r, ranges


def stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for integers in ``[0, bound)``, in linear time.

    A least-significant-digit radix sort on 16-bit digits (numpy sorts
    ``uint16`` with a stable radix sort), much faster than a comparison sort.
    """
    values = np.asarray(values)
    if bound <= 1 << 16:
        return np.argsort(values.astype(np.uint16), kind="stable")
    if bound > 1 << 48:
        return np.argsort(values, kind="stable")
    order = np.argsort((values & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while bound > 1 << shift:
        digit = ((values[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def build_index(node_ids: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Build ``(node_id_to_ranges, range_to_edge_id)`` for one direction in memory.

    Parameters
    ----------
    node_ids
        The source (or target) node id of every edge, in edge order.
    n_nodes
        Size of the node population (rows of ``node_id_to_ranges``).
    """
    node_ids = np.asarray(node_ids, dtype=np.int64)
    if node_ids.size and (node_ids.min() < 0 or node_ids.max() >= n_nodes):
        raise SonataFormatError(f"edge node ids must be in [0, {n_nodes}), found {node_ids.max()}")
    if node_ids.size < 2 or bool(np.all(node_ids[1:] >= node_ids[:-1])):
        return _block_ranges(node_ids, np.arange(node_ids.size, dtype=np.int64), 0, n_nodes)
    order = stable_order(node_ids, n_nodes)
    return _block_ranges(node_ids[order], order, 0, n_nodes)


#: the name bmtk's reader (``bmtk.utils.sonata``, so bionet and pointnet) looks an index up by
BMTK_NODE_ID_TO_RANGE = "node_id_to_range"


def link_bmtk_name(direction: h5py.Group) -> None:
    """Give an index direction group both names of its node-to-ranges table, one dataset.

    SONATA (and libsonata) name it ``node_id_to_ranges``; bmtk's reader refuses
    an index without ``node_id_to_range``. A hard link costs no space, and
    either name present is linked to the other.
    """
    if "node_id_to_ranges" in direction and BMTK_NODE_ID_TO_RANGE not in direction:
        direction[BMTK_NODE_ID_TO_RANGE] = direction["node_id_to_ranges"]
    elif BMTK_NODE_ID_TO_RANGE in direction and "node_id_to_ranges" not in direction:
        direction["node_id_to_ranges"] = direction[BMTK_NODE_ID_TO_RANGE]


def write_index_arrays(group: h5py.Group, direction: str, node_ids: np.ndarray, n_nodes: int) -> None:
    """Write ``indices/<direction>`` from the node ids of every edge held in memory."""
    n2r, r2e = build_index(node_ids, n_nodes)
    out = group.require_group("indices").require_group(direction)
    for name in ("node_id_to_ranges", BMTK_NODE_ID_TO_RANGE, "range_to_edge_id"):
        if name in out:
            del out[name]
    out.create_dataset("node_id_to_ranges", data=n2r)
    out.create_dataset("range_to_edge_id", data=r2e)
    link_bmtk_name(out)


def write_index(
    group: h5py.Group,
    direction: str,
    n_nodes: int,
    *,
    max_rows: int = 20_000_000,
    scan_rows: int = 8_000_000,
) -> None:
    """Write ``indices/<direction>`` of an edge population group, out of core.

    The node-id dataset is scanned in slices of ``scan_rows``. Nodes are split
    into blocks holding at most ``max_rows`` edges (from a first counting pass);
    each block gathers its (node id, edge id) pairs from one scan, sorts them and
    appends its ranges. Memory is bounded by about ``24 * (max_rows + scan_rows)``
    bytes plus ``16 * n_nodes``, whatever the number of edges. If the ids are
    already sorted (target ids of a target-sorted file) one pass is enough.
    """
    which = "source_node_id" if direction == "source_to_target" else "target_node_id"
    ids_ds = dataset(group, which)
    n_edges = ids_ds.shape[0]
    counts, is_sorted = _count_node_ids(group, ids_ds, n_nodes, scan_rows)
    out = group.require_group("indices").require_group(direction)
    for name in ("node_id_to_ranges", BMTK_NODE_ID_TO_RANGE, "range_to_edge_id"):
        if name in out:
            del out[name]
    n2r = out.create_dataset("node_id_to_ranges", shape=(n_nodes, 2), dtype=np.uint64)
    link_bmtk_name(out)
    r2e = out.create_dataset(
        "range_to_edge_id",
        shape=(0, 2),
        maxshape=(None, 2),
        dtype=np.uint64,
        chunks=(min(max(n_edges, 1), 1 << 18), 2),
    )
    cum = np.cumsum(counts)
    n_ranges = 0
    for lo, hi in itertools.pairwise(_node_blocks(cum, n_nodes, max_rows)):
        if is_sorted:
            e0 = int(cum[lo - 1]) if lo > 0 else 0
            e1 = int(cum[hi - 1]) if hi > 0 else 0
            with reading(ids_ds):
                nodes = ids_ds[e0:e1].astype(np.int64)
            edges = np.arange(e0, e1, dtype=np.int64)
        else:
            nodes, edges = _gather_block(ids_ds, lo, hi, scan_rows)
        block_n2r, block_r2e = _block_ranges(nodes, edges, lo, hi)
        n2r[lo:hi] = block_n2r + np.uint64(n_ranges)
        if block_r2e.shape[0]:
            r2e.resize((n_ranges + block_r2e.shape[0], 2))
            r2e[n_ranges:] = block_r2e
            n_ranges += block_r2e.shape[0]


def _count_node_ids(
    group: h5py.Group, ids_ds: h5py.Dataset, n_nodes: int, scan_rows: int
) -> tuple[np.ndarray, bool]:
    """Edges per node id (one scan of ``ids_ds``) and whether the ids are sorted."""
    n_edges = ids_ds.shape[0]
    counts = np.zeros(n_nodes, dtype=np.int64)
    is_sorted = True
    last = -1
    with reading(ids_ds):
        for a in range(0, n_edges, scan_rows):
            chunk = ids_ds[a : a + scan_rows].astype(np.int64)
            if chunk.size and (chunk.min() < 0 or chunk.max() >= n_nodes):
                raise SonataFormatError(
                    f"{group.file.filename}: {ids_ds.name} holds node id {int(chunk.max())} but the "
                    f"node population has {n_nodes} nodes"
                )
            if is_sorted and chunk.size:
                is_sorted = bool(chunk[0] >= last and np.all(chunk[1:] >= chunk[:-1]))
                last = int(chunk[-1])
            counts += np.bincount(chunk, minlength=n_nodes)
    return counts, is_sorted


def _node_blocks(cum: np.ndarray, n_nodes: int, max_rows: int) -> list[int]:
    """Bounds of node blocks holding at most ``max_rows`` edges each (``cum``: cumulative counts)."""
    bounds = [0]
    while bounds[-1] < n_nodes:
        base = cum[bounds[-1] - 1] if bounds[-1] > 0 else 0
        nxt = int(np.searchsorted(cum, base + max_rows, side="right"))
        bounds.append(max(nxt, bounds[-1] + 1))
    bounds[-1] = n_nodes
    return bounds


def _gather_block(ids_ds: h5py.Dataset, lo: int, hi: int, scan_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(node id, edge id) pairs of nodes ``[lo, hi)`` from one scan, sorted by (node, edge id)."""
    node_parts, edge_parts = [], []
    with reading(ids_ds):
        for a in range(0, ids_ds.shape[0], scan_rows):
            chunk = ids_ds[a : a + scan_rows].astype(np.int64)
            sel = np.flatnonzero((chunk >= lo) & (chunk < hi))
            node_parts.append(chunk[sel])
            edge_parts.append(sel + a)
    nodes = np.concatenate(node_parts) if node_parts else np.zeros(0, np.int64)
    edges = np.concatenate(edge_parts) if edge_parts else np.zeros(0, np.int64)
    order = stable_order(nodes - lo, hi - lo)
    return nodes[order], edges[order]


class IndexReader:
    """Read one direction of an edge index: node ids -> edge id ranges.

    Accepts bmtk's singular ``node_id_to_range`` as well as ``node_id_to_ranges``.
    """

    def __init__(self, group: h5py.Group, direction: str, n_edges: int) -> None:
        self.group = group
        name = "node_id_to_ranges" if "node_id_to_ranges" in group else "node_id_to_range"
        self.node_to_ranges = dataset(group, name)
        self.range_to_edges = dataset(group, "range_to_edge_id")
        self.n_edges = n_edges
        for ds in (self.node_to_ranges, self.range_to_edges):
            if ds.ndim != 2 or ds.shape[1] != 2:
                raise SonataFormatError(
                    f"{group.file.filename}: {ds.name} must have shape (n, 2), found {ds.shape}"
                )

    @property
    def n_nodes(self) -> int:
        return int(self.node_to_ranges.shape[0])

    def edge_ranges(self, node_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sorted, disjoint ``[start, stop)`` edge ranges of the given nodes."""
        node_ids = np.unique(np.asarray(node_ids, dtype=np.int64))
        node_ids = node_ids[(node_ids >= 0) & (node_ids < self.n_nodes)]
        if node_ids.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        rows = read_rows(self.node_to_ranges, node_ids).astype(np.int64)
        rows = rows[rows[:, 1] > rows[:, 0]]
        if rows.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        n_r = self.range_to_edges.shape[0]
        if rows[:, 1].max() > n_r or rows[:, 0].min() < 0:
            raise SonataFormatError(
                f"{self.group.file.filename}: {self.node_to_ranges.name} points to range "
                f"{int(rows[:, 1].max())} past the end of {self.range_to_edges.name} (length {n_r})"
            )
        if rows.shape[0] > 1 and np.any(rows[1:, 0] < rows[:-1, 0]):
            rows = rows[np.argsort(rows[:, 0], kind="stable")]
        ranges = read_ranges(self.range_to_edges, rows[:, 0], rows[:, 1]).astype(np.int64)
        if ranges.size and (ranges[:, 1].max() > self.n_edges or ranges.min() < 0):
            raise SonataFormatError(
                f"{self.group.file.filename}: {self.range_to_edges.name} holds edge id "
                f"{int(ranges[:, 1].max())} past the number of edges ({self.n_edges})"
            )
        if ranges.shape[0] > 1 and np.any(ranges[1:, 0] < ranges[:-1, 0]):
            ranges = ranges[np.argsort(ranges[:, 0], kind="stable")]
        return merge_ranges(ranges[:, 0], ranges[:, 1])


def merge_ranges(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted ranges that touch or overlap."""
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return starts, stops
    run_max = np.maximum.accumulate(stops)
    new = np.ones(starts.size, dtype=bool)
    new[1:] = starts[1:] > run_max[:-1]
    idx = np.flatnonzero(new)
    ends = np.concatenate((idx[1:], [starts.size])) - 1
    return starts[idx], np.maximum.reduceat(stops, idx) if idx.size else run_max[ends]


def ranges_to_ids(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Expand ranges into the ids they hold."""
    return np_ranges(starts, stops)
