"""Out-of-core index building gives the same index as the in-memory one."""

from __future__ import annotations

import itertools
from pathlib import Path

import h5py
import numpy as np
import pytest

from neuroloom.errors import SonataFormatError
from neuroloom.sonata.edges_write import EdgeFileWriter
from neuroloom.sonata.index import build_index, merge_ranges, stable_order, write_index


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


def test_stable_order_equals_stable_argsort() -> None:
    rng = np.random.default_rng(3)
    for bound in (1, 7, 1 << 16, (1 << 16) + 1, 3_000_000, 1 << 40):
        values = rng.integers(0, bound, 5000)
        values[:50] = bound - 1  # ties at the top digit
        np.testing.assert_array_equal(stable_order(values, bound), np.argsort(values, kind="stable"))


def test_index_ranges_by_brute_force() -> None:
    rng = np.random.default_rng(4)
    n_nodes = 70_000  # above one 16-bit radix digit
    ids = rng.integers(0, n_nodes, 20_000)
    ids[500:530] = 9
    n2r, r2e = build_index(ids, n_nodes)
    for node in [0, 9, int(ids[0]), int(ids[-1]), n_nodes - 1]:
        a, b = n2r[node]
        got = np.concatenate([np.arange(s, e) for s, e in r2e[a:b]]) if b > a else np.zeros(0)
        np.testing.assert_array_equal(got, np.flatnonzero(ids == node))


def test_writer_one_final_chunk_equals_many_chunks(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    n = 5000
    trg = np.sort(rng.integers(0, 300, n))
    src = rng.integers(0, 200, n)
    weight = rng.random(n)
    paths = []
    for name, cuts in (("one", [0, n]), ("many", [0, 1000, 1001, 4000, n])):
        writer = EdgeFileWriter(
            tmp_path / f"{name}.h5",
            "p",
            source="a",
            target="b",
            source_size=200,
            target_size=300,
            properties={"w": np.float64},
        )
        for k, (a, b) in enumerate(itertools.pairwise(cuts)):
            writer.append(src[a:b], trg[a:b], 0, {"w": weight[a:b]}, last=k == len(cuts) - 2)
        if name == "one":
            with pytest.raises(SonataFormatError, match="last=True"):
                writer.append(src[:1], trg[:1], 0, {"w": weight[:1]})
        paths.append(writer.close())
    with h5py.File(paths[0], "r") as one, h5py.File(paths[1], "r") as many:
        names: list[str] = []
        one.visititems(lambda key, obj: names.append(key) if isinstance(obj, h5py.Dataset) else None)
        assert "edges/p/indices/source_to_target/range_to_edge_id" in names
        for key in names:
            np.testing.assert_array_equal(one[key][()], many[key][()])
        assert one["edges/p/source_node_id"].chunks is None  # one chunk: contiguous
        assert one["edges/p/source_node_id"].attrs["node_population"] == "a"
