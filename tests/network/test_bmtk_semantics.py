"""What a bmtk script can observe: nodes in callbacks, type ids, nsyns, filters, bad input, failed saves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import NetworkBuildError
from neuroloom.network import NetworkBuilder
from neuroloom.network.auxi.edge_connectors import connect_random, distance_connector
from neuroloom.network.auxi.node_params import (
    positions_columinar,
    positions_cuboid,
    positions_list,
    xiter_random,
)


def _net() -> NetworkBuilder:
    net = NetworkBuilder("v1", seed=1)
    net.add_nodes(N=3, ei="e", tuning_angle=[0.0, 90.0, 180.0], positions=np.eye(3))
    net.add_nodes(N=2, ei="i", node_type_id=7)
    net.add_nodes(N=1, ei="i")
    return net


def test_nodes_have_only_their_own_properties() -> None:
    net = _net()
    seen: dict[int, Any] = {}

    def rule(source: Any, target: Any) -> int:
        seen[target.node_id] = ("tuning_angle" in target, target.node_type_id, target.get("ei"))
        if "tuning_angle" in target:
            assert target["tuning_angle"] == [0.0, 90.0, 180.0][target.node_id]
            np.testing.assert_array_equal(target["positions"], np.eye(3)[target.node_id])
        else:
            with pytest.raises(KeyError):
                target["tuning_angle"]
        assert target["node_id"] == target.node_id
        return 1

    net.add_edges(source=net.nodes(node_id=0), connection_rule=rule)
    net.build(progress=False)
    assert seen == {
        0: (True, 100, "e"),
        1: (True, 100, "e"),
        2: (True, 100, "e"),
        3: (False, 7, "i"),
        4: (False, 7, "i"),
        5: (False, 101, "i"),  # numbered as bmtk does: from 100, skipping ids given by hand
    }
    assert net.node_types["node_type_id"].tolist() == [100, 7, 101]


def test_filters() -> None:
    net = _net()
    assert net.nodes(ei="i").node_ids.tolist() == [3, 4, 5]
    assert net.nodes(ei=["e", "i"], node_type_id=7).node_ids.tolist() == [3, 4]
    assert net.nodes(tuning_angle=lambda a: a > 45).node_ids.tolist() == [1, 2]
    assert len(net.nodes(tuning_angle=90.0)) == 1
    with pytest.raises(NetworkBuildError, match="no node has the property"):
        net.nodes(tunning_angle=90.0)  # a typo is an error, not an empty selection
    net.add_edges(
        source={"ei": "e"}, target={"ei": "i"}, connection_rule=2, syn_weight=1.5, model_template="exp"
    )
    net.build(progress=False)
    assert len(net.edges(model_template="exp")) == 9
    assert len(net.edges(syn_weight=2.0)) == 0
    with pytest.raises(NetworkBuildError, match="no edge has the property"):
        net.edges(synweight=1.5)
    assert [e["nsyns"] for e in net.edges()] == [2] * 9
    assert net.nedges == 18


def test_edge_type_ids_and_nsyns(tmp_path: Path) -> None:
    net = _net()
    net.add_edges(source={"ei": "e"}, target={"ei": "e"}, connection_rule=1)
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=lambda s, t: 3, edge_type_id=200)
    with pytest.raises(NetworkBuildError, match="already exists"):
        net.add_edges(connection_rule=1, edge_type_id=200)
    cm = net.add_edges(source={"ei": "i"}, target={"ei": "i"}, connection_rule=lambda s, t: 2)
    cm.add_properties(["w", "k"], rule=lambda s, t: (0.5, s.node_id), dtypes=[float, np.int32])
    net.build(progress=False)
    net.save(tmp_path)
    frame = net.edges().to_frame()
    assert sorted(set(frame["edge_type_id"])) == [100, 101, 200]
    by_type = frame.groupby("edge_type_id")
    assert by_type["nsyns"].sum().to_dict() == {100: 9, 200: 27, 101: 18}
    per_edge = frame[frame.edge_type_id == 101]  # with per-edge properties every synapse is a row
    assert len(per_edge) == 2 * 9 and set(per_edge["nsyns"]) == {1}
    assert per_edge["k"].tolist() == per_edge["source_node_id"].tolist()


def test_float_synapse_counts(tmp_path: Path) -> None:
    """``nsyns=1e4`` (a float, as population scripts compute it) is 10000 synapses per pair, as in bmtk;
    a fraction is refused."""
    net = _net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, nsyns=1e4)
    net.add_edges(source={"ei": "i"}, target={"ei": "e"}, connection_rule=np.float64(3.0))
    with pytest.raises(NetworkBuildError, match=r"2\.5 is not a whole number"):
        net.add_edges(source={"ei": "e"}, target={"ei": "e"}, nsyns=2.5)
    net.build(progress=False)
    net.save(tmp_path)
    frame = net.edges().to_frame()
    assert frame.groupby("edge_type_id")["nsyns"].unique().map(list).to_dict() == {100: [10000], 101: [3]}


def test_per_node_vectors_are_written_and_read_back(tmp_path: Path) -> None:
    """An (N, k) node property (bmtk's filter models' kpeaks, weights) is one (N, k) dataset, as bmtk writes
    it, and neuroloom's reader gives each node its row."""
    from neuroloom.sonata import open_nodes

    kpeaks = np.arange(8.0).reshape(4, 2)
    net = NetworkBuilder("lgn")
    net.add_nodes(N=4, model_type="virtual", kpeaks=kpeaks, sf_sep=None)
    net.build()
    net.save(tmp_path)
    pop = open_nodes(tmp_path / "lgn_nodes.h5", tmp_path / "lgn_node_types.csv")["lgn"]
    got = pop.get(None, "kpeaks")["kpeaks"].tolist()
    np.testing.assert_array_equal(np.stack(got), kpeaks)
    np.testing.assert_array_equal(pop.get([2], "kpeaks")["kpeaks"].iloc[0], kpeaks[2])
    assert pd.isna(pop.get([0], "sf_sep")["sf_sep"].iloc[0])


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_edge_indices_open_in_bmtk_libsonata_and_validate(tmp_path: Path, compression: str | None) -> None:
    """bmtk's reader (so bionet/pointnet) looks indices up as node_id_to_range, SONATA and libsonata as
    node_id_to_ranges: both names are one dataset, also after recompression."""
    import h5py

    from neuroloom.sonata.validate import validate

    net = _net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=2, syn_weight=1.0)
    net.build(progress=False)
    net.save(tmp_path, compression=compression)
    path = tmp_path / "v1_v1_edges.h5"
    with h5py.File(path) as fh:
        for direction in fh["edges/v1_to_v1/indices"].values():
            assert direction["node_id_to_range"] == direction["node_id_to_ranges"]  # one dataset
    assert [str(p) for p in validate(path) if "gzip-compressed" not in str(p)] == []
    bmtk_sonata = pytest.importorskip("bmtk.utils.sonata", reason="bmtk's reader is the reference")
    edges = bmtk_sonata.File(data_files=[str(path)], data_type_files=[str(tmp_path / "v1_v1_edge_types.csv")])
    assert [e.source_node_id for e in edges.edges["v1_to_v1"].get_target(3)] == [0, 1, 2]
    if compression:  # the libsonata wheel reads no gzip
        return
    libsonata = pytest.importorskip("libsonata")
    pop = libsonata.EdgeStorage(str(path)).open_population("v1_to_v1")
    assert pop.source_nodes(pop.afferent_edges([3])).tolist() == [0, 1, 2]


def test_a_build_script_runs_again_in_the_same_folder(tmp_path: Path) -> None:
    """bmtk's save_nodes/save_edges replace the files of an earlier run (tutorial scripts call both)."""
    for _ in range(2):
        net = _net()
        net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1)
        net.build(progress=False)
        net.save_nodes(output_dir=tmp_path)
        net.save_edges(output_dir=tmp_path)
    with pytest.raises(NetworkBuildError, match="exists; pass force_overwrite=True"):
        net.save_edges(output_dir=tmp_path, force_overwrite=False)


def test_typed_builders_name_their_properties() -> None:
    """BioNetBuilder/PointNetBuilder/PopNetBuilder: named arguments become properties unless None (their
    add_edges works; bmtk's own pass ``self`` twice and raise TypeError)."""
    from neuroloom.network import BioNetBuilder, PointNetBuilder, PopNetBuilder

    bio = BioNetBuilder("bio")
    bio.add_nodes(N=2, model_type="biophysical", morphology="c.swc", x=[0.0, 1.0], ei="e")
    cm = bio.add_edges(connection_rule=1, syn_weight=0.5, target_sections=["soma"], delay=None, tag="x")
    assert cm.edge_type_properties == {"tag": "x", "syn_weight": 0.5, "target_sections": ["soma"]}
    assert list(bio.node_types.columns) == ["node_type_id", "ei", "model_type", "morphology"]
    point = PointNetBuilder("point")
    point.add_nodes(N=2, model_template="nest:iaf_psc_alpha")
    point.add_edges(connection_rule=2, syn_weight=3.0, delay=1.0)
    assert point.node_types["model_type"].tolist() == ["point_neuron"]
    pops = PopNetBuilder("pops")
    pops.add_nodes(pop_name="exc")
    pops.add_nodes(pop_name="inh", model_type="virtual")
    pops.add_edges(source={"pop_name": "exc"}, target={"pop_name": "inh"}, nsyns=7.0, syn_weight=0.1)
    pops.build(progress=False)
    assert pops.nnodes == 2 and pops.node_types["model_type"].tolist() == ["population", "virtual"]
    assert pops.edges().to_frame()["nsyns"].tolist() == [7]


def test_node_edge_and_map_attributes_of_bmtk() -> None:
    """node.params / node.node_type_properties, edge.source_gid / target_gid, cm.source_nodes /
    target_nodes / max_connections(), as bmtk's builder has them."""
    builder = pytest.importorskip("bmtk.builder", reason="bmtk is the reference")
    seen: dict[str, Any] = {}
    for tool, cls in [("bmtk", builder.NetworkBuilder), ("neuroloom", NetworkBuilder)]:
        net = cls("v1")
        net.add_nodes(N=3, ei="e", tuning=[0.0, 1.0, 2.0], model_type="point_neuron")
        net.add_nodes(N=2, ei="i", model_type="point_neuron")
        got: dict[str, Any] = {}

        def rule(s: Any, t: Any, got: dict[str, Any] = got) -> int:
            got.setdefault(s.node_id, (s.params, s.node_type_properties))
            return 1

        cm = net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=rule)
        net.build()
        edge = net.edges()[0]
        seen[tool] = (
            got,
            (edge.source_gid, edge.target_gid),
            (
                [n.node_id for n in cm.source_nodes],
                [n.node_id for n in cm.target_nodes],
                cm.max_connections(),
            ),
        )
    assert seen["neuroloom"] == seen["bmtk"]


def test_auxi_helpers_draw_like_bmtk() -> None:
    np.random.seed(3)
    pos = positions_columinar(N=50, center=[0, 10.0, 0], max_radius=50.0, height=200.0)
    assert pos.shape == (50, 3)
    assert (np.hypot(pos[:, 0], pos[:, 2]) <= 50.0).all() and (np.abs(pos[:, 1] - 10.0) <= 100.0).all()
    cube = positions_cuboid(N=20, min_dist=10.0)
    assert len({tuple(p) for p in cube}) == 20
    np.testing.assert_array_equal(positions_list(np.ones((2, 3))), np.ones((2, 3)))
    assert (xiter_random(N=10, min_x=2.0, max_x=3.0) >= 2.0).all()
    net = NetworkBuilder("n")
    net.add_nodes(N=2, positions=np.array([[0.0, 0, 0], [1.0, 0, 0]]))
    a, b = net.nodes()
    assert distance_connector(a, a, 0.0, 1.0, 10.0, 1, 3) is None
    assert distance_connector(a, b, 1.0, 1.0, 10.0, 2, 2) == 2
    assert 0 <= connect_random(a, b, 0, 3) < 3


def test_more_node_params_helpers_draw_as_bmtk() -> None:
    """positions_ellipsoid, hcp and partition_locations: bmtk's values from the same seed."""
    from neuroloom.network.auxi import node_params as ours

    theirs = pytest.importorskip("bmtk.builder.auxi.node_params", reason="bmtk is the reference")
    for module in (ours, theirs):
        np.random.seed(9)
        ell = module.positions_ellipsoid(N=40, center=[5.0, 50.0, -5.0], height=60.0, x_length=80.0)
        parts = module.partition_locations(ell, [0.2, 0.5, 0.3])
        lattice = module.hcp(3, 2, 4, 1.5)
        if module is ours:
            got = (ell, parts, lattice)
    np.testing.assert_array_equal(got[0], ell)
    for a, b in zip(got[1], parts):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(got[2], lattice):
        np.testing.assert_allclose(a, b)


def test_nodes_iter_and_clear_as_bmtk() -> None:
    """nodes_iter(ids) as bmtk's; clear() forgets the built edges, the next build draws them again from
    numpy's global state (bmtk's clear also adds every node a second time on that build: not copied)."""
    builder = pytest.importorskip("bmtk.builder", reason="bmtk is the reference")
    seen = {}
    for tool, cls in [("bmtk", builder.NetworkBuilder), ("neuroloom", NetworkBuilder)]:
        np.random.seed(4)
        net = cls("v1")
        net.add_nodes(N=6, ei="e")
        net.add_edges(connection_rule=lambda s, t: int(np.random.random() < 0.5))
        net.build()
        pairs = sorted((e.source_node_id, e.target_node_id) for e in net.edges())
        seen[tool] = ([n.node_id for n in net.nodes_iter([1, 4])], len(net.nodes_iter()), pairs)
    assert seen["neuroloom"] == seen["bmtk"]
    net.clear()
    assert not net.edges_built
    net.build()
    again = sorted((e.source_node_id, e.target_node_id) for e in net.edges())
    assert net.nnodes == 6 and again != seen["neuroloom"][2] and 0 < len(again) < 36


def test_bad_callbacks_name_the_call_and_the_node() -> None:
    net = _net()
    net.add_edges(
        source={"ei": "e"}, target={"ei": "i"}, connection_rule=lambda sources, t: [1], iterator="all_to_one"
    )
    with pytest.raises(
        NetworkBuildError, match=r"add_edges\(source=v1:ei=='e', target=v1:ei=='i'\).*target node 3"
    ):
        net.build(progress=False)
    net = _net()
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=lambda s, t: "many")
    with pytest.raises(NetworkBuildError, match=r"ei=='i'.*str for source node 0 -> target node 3"):
        net.build(progress=False)
    net = _net()
    cm = net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=1)
    cm.add_properties(["w", "k"], rule=lambda s, t: 1.0)
    with pytest.raises(
        NetworkBuildError, match=r"add_edges\(source=v1:ei=='e'.*target node 3; expected 2 values"
    ):
        net.build(progress=False)


def test_mixed_types_name_the_property() -> None:
    net = NetworkBuilder("n")
    with pytest.raises(NetworkBuildError, match="'layer' mixes strings and numbers"):
        net.add_nodes(N=3, layer=[1, "L2", 3])
    net.add_nodes(N=2, layer=["L1", "L2"])
    net.add_nodes(N=2, layer=[1.0, 2.0])
    with pytest.raises(NetworkBuildError, match="'layer' has strings in one call and numbers in another"):
        net.save_nodes(output_dir="/tmp/never-written")


def test_failed_save_leaves_no_complete_looking_folder(tmp_path: Path) -> None:
    net = NetworkBuilder("n")
    net.add_nodes(N=2, layer=["L1", "L2"])
    net.add_nodes(N=2, layer=[1.0, 2.0])  # only detected while writing the nodes file
    net.add_edges(connection_rule=1)
    out = tmp_path / "net"
    with pytest.raises(NetworkBuildError):
        net.save(out)
    left = sorted(p.name for p in out.rglob("*")) if out.exists() else []
    assert not [name for name in left if name.endswith((".h5", ".csv", ".json"))], left


def _callback_net(workers: int) -> NetworkBuilder:
    np.random.seed(4)
    net = NetworkBuilder("n", callback_workers=workers)
    net.add_nodes(N=600, positions=np.random.rand(600, 3) * 100.0, ei="e")

    def to_one(sources: Any, target: Any) -> Any:
        return (np.random.random(len(sources)) < 0.05).astype(int)

    cm = net.add_edges(connection_rule=to_one, iterator="all_to_one")
    cm.add_properties("w", rule=lambda s, t: np.random.uniform(), dtypes=float)
    return net


def test_parallel_callbacks_are_reproducible_for_any_worker_count() -> None:
    frames = []
    for workers in (2, 3):
        net = _callback_net(workers)
        net.build(progress=False)
        frames.append(net.edges().to_frame()[["source_node_id", "target_node_id", "w"]])
    assert len(frames[0]) > 1000
    assert frames[0].equals(frames[1])
    serial = _callback_net(1)
    serial.build(progress=False)
    # bmtk's stream, not the per-block one: same law, other draws
    assert abs(serial.nedges - len(frames[0])) < 0.1 * len(frames[0])


def test_parallel_blocks_draw_their_own_vectorised_property_values() -> None:
    net = _callback_net(2)
    cm = net.add_edges(connection_rule=lambda s, t: 1, iterator="one_to_one")
    cm.add_properties("u", rule=lambda s, t, rng: rng.uniform(size=s.ids.size), dtypes=float, vectorized=True)
    net.build(progress=False)
    u = net.edges().to_frame()["u"].dropna().to_numpy()
    assert u.size > 2 * 256  # more than two blocks of targets
    assert np.unique(u).size == u.size  # no block repeats another block's draws


def test_import_nodes_keeps_ids_types_and_values(tmp_path: Path) -> None:
    net = _net()
    net.save_nodes(output_dir=tmp_path)
    again = NetworkBuilder("v1")
    again.import_nodes(tmp_path / "v1_nodes.h5", tmp_path / "v1_node_types.csv")
    assert again.nnodes == 6 and again.node_types["node_type_id"].tolist() == [100, 7, 101]
    assert again.nodes(ei="i").node_ids.tolist() == [3, 4, 5]
    node = again.nodes(node_id=1)[0]
    assert node["tuning_angle"] == 90.0 and node.node_type_id == 100
    again.add_nodes(N=1, ei="x")
    assert again.node_types["node_type_id"].tolist()[-1] == 102


def test_add_properties_values_in_bmtk_order() -> None:
    net = _net()
    cm = net.add_edges(source=net.nodes(node_id=[0, 1]), target=net.nodes(node_id=[3, 4]), connection_rule=1)
    cm.add_properties("w", values=[1.0, 2.0, 3.0, 4.0])
    net.build(progress=False)
    frame = net.edges().to_frame()
    # bmtk's order: source major; the file is sorted by target
    got = dict(zip(zip(frame.source_node_id, frame.target_node_id), frame.w))
    assert got == {(0, 3): 1.0, (0, 4): 2.0, (1, 3): 3.0, (1, 4): 4.0}


def test_per_edge_strings_and_mixed_edge_types(tmp_path: Path) -> None:
    import libsonata

    net = _net()
    cm = net.add_edges(source=net.nodes(node_id=[0, 1]), target=net.nodes(node_id=[3]), connection_rule=1)
    cm.add_properties(["w", "section"], rule=lambda s, t: (0.5, f"dend{s.node_id}"), dtypes=[float, str])
    net.add_edges(
        source=net.nodes(node_id=[2]), target=net.nodes(node_id=[3]), connection_rule=1, section="soma"
    )
    net.build(progress=False)
    net.save(tmp_path)
    pop = libsonata.EdgeStorage(str(tmp_path / "v1_v1_edges.h5")).open_population("v1_to_v1")
    every = pop.select_all()
    got = dict(zip(pop.source_nodes(every), pop.get_attribute("section", every)))
    assert got == {0: "dend0", 1: "dend1", 2: "soma"}  # a shared value is repeated where others vary
    bad = _net()
    cm = bad.add_edges(source=bad.nodes(node_id=[0]), target=bad.nodes(node_id=[3]), connection_rule=1)
    cm.add_properties("section", rule=lambda s, t: "x", dtypes=str)
    bad.add_edges(
        source=bad.nodes(node_id=[1]), target=bad.nodes(node_id=[3]), connection_rule=1, section=2.0
    )
    with pytest.raises(NetworkBuildError, match="'section' has strings in one add_edges call and numbers"):
        bad.build(progress=False)


def test_list_connection_rules() -> None:
    net = _net()
    net.add_edges(
        source=net.nodes(node_id=[0, 1]), target=net.nodes(node_id=[3, 4]), connection_rule=[1, 0, 2, 3]
    )
    net.add_edges(
        source=net.nodes(node_id=[0, 1]),
        target=net.nodes(node_id=[5]),
        connection_rule=[4],
        iterator="one_to_all",
    )
    with pytest.raises(NetworkBuildError, match="needs 2 values"):
        net.add_edges(source=net.nodes(node_id=[0, 1]), connection_rule=[1], iterator="all_to_one")
    net.build(progress=False)
    frame = net.edges().to_frame()
    got = {(s, t): n for s, t, n in zip(frame.source_node_id, frame.target_node_id, frame.nsyns)}
    assert got == {(0, 3): 1, (1, 3): 2, (1, 4): 3, (0, 5): 4, (1, 5): 4}
