"""Every node sets file of the corpus resolves to the ids libsonata's ``NodeSets`` gives.

libsonata reads attributes from HDF5 only (not from the types CSV), so each
population of the circuit next to the node sets file is first written back by
neuroloom with all its properties in group "0" (a round trip); libsonata then
materialises every node set on that file. The libsonata test data's node sets
name attributes no corpus population has: they are resolved on a population
crafted with those attributes (operators ``$gt``, ``$lt``, ``$gte``, ``$lte``,
``$regex``, lists, ``node_id``, ``population``, compound sets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libsonata
import numpy as np
import pytest

from neuroloom.sonata import Circuit, open_nodes, read_node_sets, resolve_node_set, write_nodes

from .corpus import files, path_of


def _crafted(tmp_path: Path) -> Path:
    n = 12
    props = {
        "node_type_id": np.arange(n) % 3,
        "model_type": np.array(["biophysical", "point", "virtual"] * 4),
        "location": np.array(["layer4", "layer5", "layer6", "layer5"] * 3),
        "numeric_attribute_gt": np.arange(n),
        "numeric_attribute_lt": np.arange(n)[::-1] % 5,
        "numeric_attribute_gte": np.arange(n) % 7,
        "numeric_attribute_lte": np.arange(n) % 4,
        "string_attr": np.array(["some value", "same value", "some values", "xome value"] * 3),
    }
    return write_nodes(tmp_path / "crafted.h5", {"biophysical": props, "other": props})


def _populations(rel: str, path: Path, tmp_path: Path) -> Path:
    """A nodes file holding, in group "0", every property of the populations the node sets address."""
    config = path.parent / "circuit_config.json"
    if not config.is_file():
        return _crafted(tmp_path)
    circuit = Circuit(config)
    data: dict[str, dict[str, Any]] = {}
    for name in circuit.nodes.population_names:
        frame = circuit.nodes[name].get()
        # "dynamics_params" of the types CSV is a file name per type; in group "0"
        # SONATA reserves that name for the per-node parameter subgroup, so it stays out
        data[name] = {col: frame[col].to_numpy() for col in frame.columns if col != "dynamics_params"}
    return write_nodes(tmp_path / "circuit_nodes.h5", data)


@pytest.mark.parametrize("rel", files("node_sets"))
def test_node_sets_equal_libsonata(rel: str, tmp_path: Path) -> None:
    path = path_of(rel)
    sets = read_node_sets(path)
    theirs = libsonata.NodeSets.from_file(str(path))
    assert sorted(sets) == sorted(theirs.names)
    nodes_file = _populations(rel, path, tmp_path)
    ours = open_nodes(nodes_file)
    storage = libsonata.NodeStorage(str(nodes_file))
    compared = 0
    for name in sorted(theirs.names):
        resolved = resolve_node_set(sets, name, ours)
        for pop in sorted(storage.population_names):
            try:
                expected = theirs.materialize(name, storage.open_population(pop)).flatten()
            except libsonata.SonataError as exc:  # an attribute this population lacks
                assert "No such attribute" in str(exc)
                expected = np.zeros(0, dtype=np.int64)
            got = resolved.get(pop, np.zeros(0, dtype=np.int64))
            np.testing.assert_array_equal(np.sort(got), np.sort(expected), err_msg=f"{rel}: {name} in {pop}")
            compared += 1
    assert compared
