"""Out-of-core index building gives the same index as the in-memory one."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from neuroloom.sonata.index import build_index, merge_ranges, write_index


def test_blocked_index_equals_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n_nodes, n_edges = 50, 3000
    src = rng.integers(0, n_nodes, n_edges)
    src[100:140] = 7  # a long run of one node: one range
    with h5py.File(tmp_path / "e.h5", "w") as fh:
        grp = fh.create_group("edges/p")
        grp.create_dataset("source_node_id", data=src.astype(np.uint64))
        grp.create_dataset("target_node_id", data=np.sort(src).astype(np.uint64))
        write_index(grp, "source_to_target", n_nodes, max_rows=97, scan_rows=211)  # many blocks and scans
        write_index(grp, "target_to_source", n_nodes, max_rows=97, scan_rows=211)  # sorted: one pass
        for direction, ids in (("source_to_target", src), ("target_to_source", np.sort(src))):
            n2r, r2e = build_index(ids, n_nodes)
            np.testing.assert_array_equal(grp[f"indices/{direction}/node_id_to_ranges"][()], n2r)
            np.testing.assert_array_equal(grp[f"indices/{direction}/range_to_edge_id"][()], r2e)
    n2r, r2e = build_index(np.sort(src), n_nodes)
    assert r2e.shape[0] == np.unique(src).size  # sorted ids: one range per node


def test_merge_ranges() -> None:
    starts, stops = merge_ranges(np.array([0, 2, 3, 10]), np.array([2, 5, 4, 12]))
    assert starts.tolist() == [0, 10] and stops.tolist() == [5, 12]
