"""Edge files: indices as libsonata builds them, queries agree with libsonata, bmtk files read."""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest

from neuroloom.sonata import EdgeSelection, open_edges, write_edges


def _write(
    tmp_path: Path, n_edges: int = 400, n_nodes: int = 30, seed: int = 0, sort: str | None = "target"
) -> tuple[Path, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    data = {
        "source": rng.integers(0, n_nodes, n_edges),
        "target": rng.integers(0, n_nodes, n_edges),
        "syn_weight": rng.normal(size=n_edges),
        "delay": rng.uniform(0.5, 2, n_edges).astype(np.float32),
        "syn_type_id": rng.integers(0, 5, n_edges).astype(np.int16),
    }
    path = write_edges(
        tmp_path / "e.h5",
        "a_to_a",
        data["source"],
        data["target"],
        source="a",
        target="a",
        source_size=n_nodes,
        target_size=n_nodes,
        edge_type_id=100,
        properties={k: data[k] for k in ("syn_weight", "delay", "syn_type_id")},
        sort=sort,
    )
    return path, data


def test_indices_equal_libsonata_write_indices(tmp_path: Path) -> None:
    path, _ = _write(tmp_path, sort=None)
    copy = tmp_path / "copy.h5"
    with h5py.File(path) as src, h5py.File(copy, "w") as dst:
        for key in ("source_node_id", "target_node_id", "edge_type_id", "edge_group_id", "edge_group_index"):
            src.copy(src[f"edges/a_to_a/{key}"], dst.require_group("edges/a_to_a"), key)
        dst["edges/a_to_a"].create_group("0")
    libsonata.EdgePopulation.write_indices(str(copy), "a_to_a", 30, 30)
    with h5py.File(path) as ours, h5py.File(copy) as ref:
        for direction in ("source_to_target", "target_to_source"):
            for name in ("node_id_to_ranges", "range_to_edge_id"):
                key = f"edges/a_to_a/indices/{direction}/{name}"
                np.testing.assert_array_equal(ours[key][()], ref[key][()], err_msg=key)


def test_queries_agree_with_libsonata(tmp_path: Path) -> None:
    path, _data = _write(tmp_path)
    ours = open_edges(path)["a_to_a"]
    lib = libsonata.EdgeStorage(str(path)).open_population("a_to_a")
    assert ours.size == lib.size == 400
    assert (ours.source, ours.target) == (lib.source, lib.target) == ("a", "a")
    for ids in ([2, 5], [0], list(range(30)), [29, 3, 3]):
        np.testing.assert_array_equal(ours.afferent_edges(ids).flatten(), lib.afferent_edges(ids).flatten())
        np.testing.assert_array_equal(ours.efferent_edges(ids).flatten(), lib.efferent_edges(ids).flatten())
    conn = ours.pathway_edges([1, 2, 3], [4, 5, 6])
    np.testing.assert_array_equal(conn.flatten(), lib.connecting_edges([1, 2, 3], [4, 5, 6]).flatten())
    sel = ours.afferent_edges([7, 8, 20])
    frame = ours.get(sel, ["source_node_id", "syn_weight", "delay", "syn_type_id"])
    lsel = lib.afferent_edges([7, 8, 20])
    np.testing.assert_array_equal(frame["source_node_id"], lib.source_nodes(lsel))
    np.testing.assert_array_equal(frame["syn_weight"], lib.get_attribute("syn_weight", lsel))
    np.testing.assert_array_equal(frame["delay"], lib.get_attribute("delay", lsel))
    np.testing.assert_array_equal(frame["syn_type_id"], lib.get_attribute("syn_type_id", lsel))
    assert frame["delay"].dtype == np.float32


def test_counts_and_connections(tmp_path: Path) -> None:
    path, data = _write(tmp_path)
    ours = open_edges(path)["a_to_a"]
    ids = np.array([0, 4, 4, 29])
    expected = [int((data["target"] == i).sum()) for i in ids]
    assert ours.afferent_counts(ids).tolist() == expected
    counts = ours.connection_counts([4, 9])
    for t in (4, 9):
        srcs, n = np.unique(data["source"][data["target"] == t], return_counts=True)
        assert counts[t] == dict(zip(srcs.tolist(), n.tolist()))
    pairs = list(ours.iter_connections(target_ids=[4], return_edge_count=True))
    assert [(s, n) for s, _, n in pairs] == list(counts[4].items())
    all_pairs = set(ours.iter_connections())
    assert all_pairs == set(zip(data["source"].tolist(), data["target"].tolist()))


def test_selection_by_ids_and_order(tmp_path: Path) -> None:
    path, data = _write(tmp_path)
    ours = open_edges(path)["a_to_a"]
    frame = ours.get([5, 3, 4, 399], ["target_node_id"])
    assert frame.index.tolist() == [3, 4, 5, 399]
    targets = np.sort(data["target"])
    np.testing.assert_array_equal(frame["target_node_id"], targets[[3, 4, 5, 399]])
    assert EdgeSelection.from_ids([1, 2, 3, 7]).ranges.tolist() == [[1, 4], [7, 8]]


def test_bmtk_edges_read_like_bmtk(bmtk_dir: Path) -> None:
    from bmtk.utils.sonata import File

    for name, pop_name in (("v1_v1", "v1_to_v1"), ("lgn_v1", "lgn_to_v1")):
        ref_pop = File(
            data_files=[str(bmtk_dir / f"{name}_edges.h5")],
            data_type_files=[str(bmtk_dir / f"{name}_edge_types.csv")],
        ).edges[pop_name]
        ref = sorted(
            (
                e.source_node_id,
                e.target_node_id,
                e.edge_type_id,
                round(float(e["syn_weight"]), 12),
                float(e["delay"]),
            )
            for e in ref_pop
        )
        pop = open_edges(bmtk_dir / f"{name}_edges.h5", bmtk_dir / f"{name}_edge_types.csv")[pop_name]
        frame = pop.get(None, ["source_node_id", "target_node_id", "edge_type_id", "syn_weight", "delay"])
        ours = sorted(
            (
                int(r.source_node_id),
                int(r.target_node_id),
                int(r.edge_type_id),
                round(float(r.syn_weight), 12),
                float(r.delay),
            )
            for r in frame.itertuples()
        )
        assert ours == ref
        targets = np.unique(frame["target_node_id"])
        for t in targets[:3]:  # bmtk's index (node_id_to_range, gzip) is used for queries
            expected = sorted(e.source_node_id for e in ref_pop.get_target(int(t)))
            assert sorted(pop.get(pop.afferent_edges([t]), "source_node_id")["source_node_id"]) == expected


@pytest.mark.parametrize("sort", ["target", "source", None])
def test_write_sort_orders(tmp_path: Path, sort: str | None) -> None:
    path, data = _write(tmp_path, sort=sort, n_edges=100)
    pop = open_edges(path)["a_to_a"]
    frame = pop.get(None, ["source_node_id", "target_node_id", "syn_weight"])
    got = sorted(zip(frame.source_node_id, frame.target_node_id, frame.syn_weight))
    assert got == sorted(zip(data["source"], data["target"], data["syn_weight"]))
