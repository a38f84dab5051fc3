"""Node sets through the builder API (issue 13): written to node_sets.json, referenced from
circuit_config.json, read back by neuroloom's Circuit and by libsonata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import NetworkBuildError
from neuroloom.network import rules


def _two_networks(folder: Path) -> None:
    v1 = nl.Network("v1", seed=1)
    v1.add_nodes(N=8, ei="e", model_type="point_neuron")
    v1.add_nodes(N=2, ei="i", model_type="point_neuron")
    v1.add_node_set("exc", {"population": "v1", "ei": "e"})
    ext = nl.Network("ext", seed=2)
    ext.add_nodes(N=3, model_type="virtual")
    ext.add_edges(
        source=ext.nodes(), target=v1.nodes(), connection_rule=rules.AllToAll(1), syn_weight=1.0, delay=1.0
    )
    v1.save(
        folder,
        node_sets={"inh": {"population": "v1", "ei": "i"}, "first": {"population": "v1", "node_id": [0, 1]}},
    )
    ext.save(folder, node_sets={"all": ["exc", "inh"]})


def test_save_writes_node_sets_and_the_config_references_them(tmp_path: Path) -> None:
    _two_networks(tmp_path)
    config = json.loads((tmp_path / "circuit_config.json").read_text())
    assert config["node_sets_file"] == "$BASE_DIR/node_sets.json"
    assert len(config["networks"]["nodes"]) == 2  # the second save kept the first network and the sets
    circuit = nl.Circuit(tmp_path / "circuit_config.json")
    np.testing.assert_array_equal(circuit.node_ids("inh")["v1"], [8, 9])
    np.testing.assert_array_equal(circuit.node_ids("exc")["v1"], np.arange(8))
    np.testing.assert_array_equal(circuit.node_ids("first")["v1"], [0, 1])
    assert sorted(json.loads((tmp_path / "node_sets.json").read_text())) == ["all", "exc", "first", "inh"]


def test_libsonata_reads_the_node_sets(tmp_path: Path) -> None:
    libsonata = pytest.importorskip("libsonata")
    _two_networks(tmp_path)
    config = libsonata.CircuitConfig.from_file(str(tmp_path / "circuit_config.json"))
    sets = libsonata.NodeSets.from_file(config.node_sets_path)
    pop = libsonata.NodeStorage(str(tmp_path / "v1_nodes.h5")).open_population("v1")
    assert sets.materialize("first", pop).flatten().tolist() == [0, 1]  # libsonata reads no types CSV


def test_a_node_set_that_is_no_rule_is_refused(tmp_path: Path) -> None:
    net = nl.Network("v1", seed=1)
    net.add_nodes(N=2, model_type="point_neuron")
    with pytest.raises(NetworkBuildError, match="SONATA rule"):
        net.save(tmp_path, node_sets={"bad": "v1"})  # type: ignore[dict-item]
