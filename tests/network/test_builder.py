"""Network: bmtk's calls, saved files every reader accepts, reproducibility whatever the chunk size."""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest

from neuroloom.errors import NetworkBuildError
from neuroloom.network import Network, rules
from neuroloom.sonata import Circuit, validate


def _net(seed: int = 1, chunk_edges: int = 4_000_000, n: int = 600, threads: int = 2) -> Network:
    rng = np.random.default_rng(0)
    side = (n / 1e-4) ** (1 / 3)
    pos = rng.random((n, 3)) * side
    n_e = int(0.8 * n)
    net = Network("v1", seed=seed, chunk_edges=chunk_edges, threads=threads)
    net.add_nodes(N=n_e, positions=pos[:n_e], ei="e", model_type="point_neuron", tuning=rng.random(n_e))
    net.add_nodes(N=n - n_e, positions=pos[n_e:], ei="i", model_type="point_neuron")

    def weight(sources, targets, w0, rng):  # type: ignore[no-untyped-def]
        d = sources.positions - targets.positions
        return w0 * np.exp(-(d**2).sum(1) / (2 * 120.0**2)) * rng.uniform(0.5, 1.5, d.shape[0])

    for s, t, p, w0, delay in [
        ("e", "e", 0.3, 2.0, 1.5),
        ("e", "i", 0.5, 4.0, 1.5),
        ("i", "e", 0.5, -8.0, 0.8),
        ("i", "i", 0.5, -8.0, 0.8),
    ]:
        cm = net.add_edges(
            source={"ei": s},
            target={"ei": t},
            connection_rule=rules.GaussianDistance(p, 60.0),
            delay=delay,
            model_template="exp2syn",
        )
        cm.add_properties("syn_weight", rule=weight, rule_params={"w0": w0}, vectorized=True)
    return net


def test_build_save_and_read_back(tmp_path: Path) -> None:
    net = _net()
    net.build(progress=False)
    net.save(tmp_path)
    assert net.nedges > 1000
    assert validate(tmp_path / "circuit_config.json") == []
    circuit = Circuit(tmp_path / "circuit_config.json")
    nodes = circuit.nodes["v1"]
    edges = circuit.edges["v1_to_v1"]
    assert nodes.size == 600 and edges.size == net.nedges
    frame = edges.get(
        None, ["source_node_id", "target_node_id", "edge_type_id", "syn_weight", "delay", "model_template"]
    )
    ei = nodes.get(None, "ei")["ei"].astype(str).to_numpy()
    src_e = ei[frame["source_node_id"].to_numpy()] == "e"
    np.testing.assert_array_equal(frame["delay"].to_numpy(), np.where(src_e, 1.5, 0.8))
    assert (frame["source_node_id"] != frame["target_node_id"]).all()  # no autapses
    assert ((frame["syn_weight"] > 0) == src_e).all()
    assert set(frame["model_template"].astype(str)) == {"exp2syn"}
    # sorted by target, then source
    keys = frame["target_node_id"].to_numpy() * 1000 + frame["source_node_id"].to_numpy()
    assert np.all(np.diff(keys) >= 0)
    lib = libsonata.EdgeStorage(str(tmp_path / "v1_v1_edges.h5")).open_population("v1_to_v1")
    np.testing.assert_allclose(lib.get_attribute("syn_weight", lib.select_all()), frame["syn_weight"])
    np.testing.assert_array_equal(
        lib.afferent_edges([5, 500]).flatten(), edges.afferent_edges([5, 500]).flatten()
    )
    with h5py.File(tmp_path / "v1_nodes.h5") as fh:
        # shared values (one per add_nodes call) go in the types table, as bmtk writes them
        assert set(fh["nodes/v1/0"]) == {"x", "y", "z", "tuning"}
    node_types = (tmp_path / "v1_node_types.csv").read_text().splitlines()
    assert node_types == ["node_type_id ei model_type", "100 e point_neuron", "101 i point_neuron"]
    types = (tmp_path / "v1_v1_edge_types.csv").read_text().splitlines()
    assert types[0].split() == ["edge_type_id", "target_query", "source_query", "delay", "model_template"]


def test_same_seed_same_network_whatever_the_chunk_size(tmp_path: Path) -> None:
    a, b, c = _net(seed=4, n=2500), _net(seed=4, n=2500, chunk_edges=1000, threads=1), _net(seed=5, n=2500)
    for net, name in ((a, "a"), (b, "b"), (c, "c")):
        net.build(progress=False)
        net.save(tmp_path / name)

    def read(name: str) -> np.ndarray:
        with h5py.File(tmp_path / name / "v1_v1_edges.h5") as fh:
            g = fh["edges/v1_to_v1"]
            return np.stack([g["source_node_id"][()], g["target_node_id"][()], g["0/syn_weight"][()]])

    np.testing.assert_array_equal(read("a"), read("b"))
    assert read("a").shape != read("c").shape or not np.array_equal(read("a"), read("c"))


def test_bmtk_style_script(tmp_path: Path) -> None:
    """A bmtk script (per-pair rules, all_to_one, per-edge properties) runs unchanged."""
    np.random.seed(0)
    net = Network("cortex")
    net.add_nodes(
        N=10, pop_name="pyr", ei="e", positions=np.random.rand(10, 3) * 100, model_type="biophysical"
    )
    net.add_nodes(N=5, pop_name="pv", ei="i", positions=np.random.rand(5, 3) * 100, model_type="biophysical")

    def per_pair(source, target, nmax):  # type: ignore[no-untyped-def]
        return 0 if source.node_id == target.node_id else int(np.random.randint(0, nmax + 1))

    def to_one(sources, target):  # type: ignore[no-untyped-def]
        return [1 if s["ei"] != target["ei"] else 0 for s in sources]

    def weight(source, target):  # type: ignore[no-untyped-def]
        return float(np.linalg.norm(np.asarray(source["positions"]) - np.asarray(target["positions"])))

    cm = net.add_edges(
        source={"ei": "e"},
        target={"ei": "e"},
        connection_rule=per_pair,
        connection_params={"nmax": 2},
        syn_weight=1.0,
        dynamics_params="AMPA.json",
    )
    cm.add_properties("distance", rule=weight, dtypes=float)
    net.add_edges(
        source=net.nodes(ei="i"),
        target=net.nodes(pop_name="pyr"),
        connection_rule=to_one,
        iterator="all_to_one",
        syn_weight=-1.0,
    )
    net.add_edges(source={"ei": "e"}, target={"ei": "i"}, connection_rule=3, syn_weight=0.5)

    def from_one(source, targets):  # type: ignore[no-untyped-def]
        return [1 if t.node_id == source.node_id + 10 else 0 for t in targets]

    net.add_edges(
        source={"ei": "e"},
        target={"ei": "i"},
        connection_rule=from_one,
        iterator="one_to_all",
        syn_weight=0.1,
    )
    net.build(progress=False)
    net.save(output_dir=str(tmp_path))
    listed = net.edges()
    # bmtk counts synapses: a row with nsyns = k is k of them
    assert int(listed.to_frame()["nsyns"].fillna(1).sum()) == net.nedges
    first = next(iter(listed))
    assert first["syn_weight"] == listed.to_frame()["syn_weight"].iloc[0] and first.target_node_id >= 0
    edges = listed.to_frame()
    e2e = edges[edges.edge_type_id == 100]
    assert (e2e.source_node_id != e2e.target_node_id).all()
    pos = net.node_table[["x", "y", "z"]].to_numpy()
    expected = np.linalg.norm(pos[e2e.source_node_id] - pos[e2e.target_node_id], axis=1)
    np.testing.assert_allclose(e2e["distance"].to_numpy(), expected)
    i2e = net.edges(source_nodes=net.nodes(ei="i"))
    assert len(i2e) == 5 * 10
    e2i = edges[edges.edge_type_id == 102]
    assert len(e2i) == 50 and set(e2i["nsyns"]) == {3}
    one_to_all = edges[edges.edge_type_id == 103]
    assert list(zip(one_to_all.source_node_id, one_to_all.target_node_id)) == [(i, i + 10) for i in range(5)]
    assert [n.node_id for n in net.nodes(ei="i")] == [10, 11, 12, 13, 14]
    assert net.nodes(ei="i")[0]["pop_name"] == "pv"
    assert validate(tmp_path / "circuit_config.json") == []


def test_virtual_input_network_and_gap_junctions(tmp_path: Path) -> None:
    cortex = Network("cortex", seed=2)
    cortex.add_nodes(
        N=50, ei="e", model_type="point_neuron", positions=np.random.default_rng(0).random((50, 3))
    )
    cortex.add_gap_junctions(
        source={"ei": "e"}, target={"ei": "e"}, resistance=2.0, connection_rule=rules.FixedProbability(0.1)
    )
    cortex.build(progress=False)
    cortex.save(tmp_path)
    lgn = Network("lgn", seed=3)
    lgn.add_nodes(N=20, model_type="virtual", pop_name="lgn")
    lgn.add_edges(
        source=lgn.nodes(),
        target=cortex.nodes(ei="e"),
        connection_rule=rules.FixedInDegree(4),
        syn_weight=5.0,
        delay=2.0,
    )
    lgn.build(progress=False)
    lgn.save(tmp_path)
    circuit = Circuit(tmp_path / "circuit_config.json")
    assert sorted(circuit.nodes) == ["cortex", "lgn"]
    assert sorted(circuit.edges) == ["cortex_to_cortex", "lgn_to_cortex"]
    ext = circuit.edges["lgn_to_cortex"]
    assert (ext.source, ext.target) == ("lgn", "cortex")
    assert ext.afferent_counts(np.arange(50)).tolist() == [4] * 50
    gj = circuit.edges["cortex_to_cortex"].get(None, ["is_gap_junction", "syn_weight"])
    # bmtk's gap junctions: is_gap_junction and syn_weight = 1 / resistance, both in the edge types table
    assert gj["is_gap_junction"].astype(str).isin(["True", "1"]).all() and (gj["syn_weight"] == 0.5).all()
    assert circuit.nodes["lgn"].config["type"] == "virtual"
    assert validate(tmp_path / "circuit_config.json") == []


def test_errors() -> None:
    net = Network("n")
    with pytest.raises(NetworkBuildError, match="has 3 values for N=4"):
        net.add_nodes(N=4, x=[1.0, 2.0, 3.0])
    with pytest.raises(NetworkBuildError, match="use 1 or 2 dimensions"):
        net.add_nodes(N=2, m=np.zeros((2, 2, 2)))
    net.add_nodes(N=3)
    with pytest.raises(NetworkBuildError, match="not an int, a rule or a function"):
        net.add_edges(connection_rule="often")
    cm = net.add_edges(connection_rule=rules.FixedProbability(0.5))
    cm.add_properties("w", rule=1.0)
    with pytest.raises(NetworkBuildError, match="already added"):
        cm.add_properties("w", rule=2.0)
    with pytest.raises(NetworkBuildError, match="p must be in"):
        rules.FixedProbability(1.5)


def test_save_unbuilt_builds_in_place_and_cleans_up(tmp_path: Path) -> None:
    net = _net(n=200)
    net.save(tmp_path)  # build() happens in the output folder; nothing is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "circuit_config.json",
        "v1_node_types.csv",
        "v1_nodes.h5",
        "v1_v1_edge_types.csv",
        "v1_v1_edges.h5",
    ]
    assert len(net.edges(target_nodes=[3])) == int((net.edges().to_frame().target_node_id == 3).sum())


def test_multi_name_properties_and_constants() -> None:
    net = Network("m", seed=0)
    net.add_nodes(N=30, positions=np.random.default_rng(1).random((30, 3)) * 50)

    def two(sources, targets, scale):  # type: ignore[no-untyped-def]
        d = np.linalg.norm(sources.positions - targets.positions, axis=1)
        return d * scale, (sources["node_id"] + targets["node_id"]).astype(np.int32)

    cm = net.add_edges(connection_rule=rules.FixedInDegree(3), syn_weight=1.0)
    cm.add_properties(
        ["dist", "id_sum"], rule=two, rule_params={"scale": 2.0}, dtypes=[float, np.int32], vectorized=True
    )
    cm.add_properties("tag", rule=7, dtypes=np.int16)
    net.build(progress=False)
    frame = net.edges().to_frame()
    pos = net.node_table[["x", "y", "z"]].to_numpy()
    s, t = frame.source_node_id.to_numpy(), frame.target_node_id.to_numpy()
    np.testing.assert_allclose(frame["dist"], 2.0 * np.linalg.norm(pos[s] - pos[t], axis=1))
    np.testing.assert_array_equal(frame["id_sum"], s + t)
    assert frame["id_sum"].dtype == np.int32 and frame["tag"].dtype == np.int16 and (frame["tag"] == 7).all()
    assert (frame["syn_weight"] == 1.0).all()
