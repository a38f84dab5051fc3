"""circuit_config.json with a manifest, node sets, and Circuit; libsonata/bluepysnap open the same config."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import libsonata
import numpy as np
import pytest

from neuroloom.errors import SonataFormatError, UnknownPopulationError
from neuroloom.sonata import (
    Circuit,
    read_circuit_config,
    write_circuit_config,
    write_edges,
    write_node_sets,
    write_nodes,
)


def _circuit(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    write_nodes(
        folder / "nodes.h5",
        {
            "v1": {
                "node_type_id": 1,
                "positions": rng.random((20, 3)),
                "ei": ["e"] * 16 + ["i"] * 4,
                "layer": np.repeat([2, 4], 10).astype(np.int32),
            },
            "lgn": {"N": 5, "node_type_id": 2, "model_type": "virtual"},
        },
    )
    write_edges(
        folder / "edges.h5",
        "lgn_to_v1",
        rng.integers(0, 5, 60),
        rng.integers(0, 20, 60),
        source="lgn",
        target="v1",
        source_size=5,
        target_size=20,
        properties={"syn_weight": rng.random(60)},
    )
    write_node_sets(
        folder / "node_sets.json",
        {
            "exc": {"ei": "e"},
            "inh": {"ei": "i", "population": "v1"},
            "l4": {"layer": 4},
            "both": ["exc", "inh"],
            "some": {"population": "v1", "node_id": [1, 3, 19]},
        },
    )
    return write_circuit_config(
        folder / "circuit_config.json",
        [
            {
                "nodes_file": "nodes.h5",
                "populations": {"v1": {"type": "point_neuron"}, "lgn": {"type": "virtual"}},
            }
        ],
        [{"edges_file": "edges.h5", "populations": {"lgn_to_v1": {"type": "chemical"}}}],
        node_sets_file="node_sets.json",
    )


def test_circuit_and_node_sets(tmp_path: Path) -> None:
    config = _circuit(tmp_path)
    circuit = Circuit(config)
    assert sorted(circuit.nodes) == ["lgn", "v1"]
    assert circuit.nodes["v1"].size == 20 and circuit.nodes["lgn"].size == 5
    assert circuit.edges["lgn_to_v1"].source == "lgn"
    assert circuit.node_ids("exc")["v1"].tolist() == list(range(16))
    inh = circuit.node_ids("inh")
    assert list(inh) == ["v1"] and inh["v1"].tolist() == [16, 17, 18, 19]
    assert circuit.node_ids("exc")["lgn"].size == 0  # lgn has no 'ei': nothing matches there
    assert circuit.node_ids("both")["v1"].tolist() == list(range(20))
    assert circuit.node_ids("l4")["v1"].tolist() == list(range(10, 20))
    assert circuit.node_ids("some")["v1"].tolist() == [1, 3, 19]
    with pytest.raises(SonataFormatError, match="unknown node set"):
        circuit.node_ids("nope")
    with pytest.raises(UnknownPopulationError, match="no node population 'x'"):
        circuit.nodes["x"]


def test_manifest_and_move(tmp_path: Path) -> None:
    config = _circuit(tmp_path / "a")
    raw = json.loads(config.read_text())
    assert raw["manifest"] == {"$BASE_DIR": "."}
    assert raw["networks"]["nodes"][0]["nodes_file"] == "$BASE_DIR/nodes.h5"
    shutil.move(str(tmp_path / "a"), str(tmp_path / "b"))
    moved = read_circuit_config(tmp_path / "b" / "circuit_config.json")
    assert moved["networks"]["nodes"][0]["nodes_file"] == str((tmp_path / "b" / "nodes.h5").resolve())
    nested = tmp_path / "b" / "nested.json"
    nested.write_text(
        json.dumps(
            {
                "manifest": {"$BASE_DIR": ".", "$NET": "$BASE_DIR/."},
                "networks": {"nodes": [{"nodes_file": "$NET/nodes.h5"}], "edges": []},
            }
        )
    )
    assert Circuit(nested).nodes["v1"].size == 20
    bmtk_style = tmp_path / "b" / "bmtk_style.json"
    bmtk_style.write_text(
        json.dumps(
            {
                "manifest": {"$BASE_DIR": "${configdir}", "$NETWORK_DIR": "$BASE_DIR"},
                "networks": {"nodes": [{"nodes_file": "$NETWORK_DIR/nodes.h5"}]},
            }
        )
    )
    assert Circuit(bmtk_style).nodes["lgn"].size == 5
    bad = tmp_path / "b" / "bad.json"
    bad.write_text(json.dumps({"manifest": {"$A": "$B"}, "networks": {"nodes": []}}))
    with pytest.raises(SonataFormatError, match="cannot be resolved"):
        read_circuit_config(bad)


def test_peers_open_our_config(tmp_path: Path) -> None:
    import bluepysnap

    config = _circuit(tmp_path)
    lib = libsonata.CircuitConfig.from_file(str(config))
    assert sorted(lib.node_populations) == ["lgn", "v1"]
    assert list(lib.edge_populations) == ["lgn_to_v1"]
    snap = bluepysnap.Circuit(str(config))
    ours = Circuit(config)
    np.testing.assert_array_equal(snap.nodes["v1"].ids("exc"), ours.node_ids("exc")["v1"])
    edges = snap.edges["lgn_to_v1"]
    np.testing.assert_array_equal(
        np.sort(
            edges.afferent_edges([3]).ids
            if hasattr(edges.afferent_edges([3]), "ids")
            else edges.afferent_edges([3])
        ),
        ours.edges["lgn_to_v1"].afferent_edges([3]).flatten(),
    )
    np.testing.assert_allclose(
        edges.get(edges.afferent_edges([3]), ["syn_weight"])["syn_weight"].to_numpy(),
        ours.edges["lgn_to_v1"]
        .get(ours.edges["lgn_to_v1"].afferent_edges([3]), "syn_weight")["syn_weight"]
        .to_numpy(),
    )


def test_node_sets_match_libsonata(tmp_path: Path) -> None:
    config = _circuit(tmp_path)
    ours = Circuit(config)
    sets = libsonata.NodeSets.from_file(str(tmp_path / "node_sets.json"))
    v1 = libsonata.NodeStorage(str(tmp_path / "nodes.h5")).open_population("v1")
    for name in ("exc", "inh", "l4", "both", "some"):
        expected = sets.materialize(name, v1).flatten()
        np.testing.assert_array_equal(ours.node_ids(name)["v1"], expected, err_msg=name)
