"""``neuroloom validate``: clean files pass, bmtk's files and broken ones list their violations."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from click.testing import CliRunner

from neuroloom.cli import main
from neuroloom.sonata import validate, write_circuit_config, write_edges, write_nodes, write_spikes


def _ours(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    write_nodes(folder / "n.h5", {"v1": {"N": 10, "x": rng.random(10), "mtype": ["a", "b"] * 5}})
    write_edges(
        folder / "e.h5",
        "v1_to_v1",
        rng.integers(0, 10, 50),
        rng.integers(0, 10, 50),
        source="v1",
        target="v1",
        source_size=10,
        target_size=10,
        properties={"syn_weight": rng.random(50)},
    )
    return write_circuit_config(
        folder / "circuit_config.json", [{"nodes_file": "n.h5"}], [{"edges_file": "e.h5"}]
    )


def test_clean_circuit_passes(tmp_path: Path) -> None:
    config = _ours(tmp_path)
    assert validate(config) == []
    result = CliRunner().invoke(main, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    spikes = write_spikes(tmp_path / "s.h5", {"v1": ([1], [2.0])})
    assert validate(spikes) == []


def test_bmtk_files_are_flagged(bmtk_dir: Path) -> None:
    found = validate(bmtk_dir / "v1_v1_edges.h5")
    text = "\n".join(map(str, found))
    assert "indices/source_to_target/node_id_to_range: must be named node_id_to_ranges" in text
    assert "gzip-compressed" in text
    result = CliRunner().invoke(main, ["validate", str(bmtk_dir / "v1_nodes.h5")])
    assert result.exit_code == 1
    assert "/nodes/v1/0/positions: has shape (" in result.output
    assert "rule: attribute datasets are 1-D" in result.output


def test_broken_index_and_lengths(tmp_path: Path) -> None:
    config = _ours(tmp_path)
    with h5py.File(tmp_path / "e.h5", "a") as fh:
        fh["edges/v1_to_v1/indices/target_to_source/range_to_edge_id"][0] = [1, 2]
        del fh["edges/v1_to_v1/edge_type_id"]
        fh["edges/v1_to_v1/source_node_id"][3] = 99
        fh.attrs.__delitem__("magic")
    found = [str(v) for v in validate(config)]
    assert any("/edges/v1_to_v1/edge_type_id: missing required dataset" in v for v in found)
    assert any("missing root attribute 'magic'" in v for v in found)
    assert any("source_node_id: node id 99 past the size of population 'v1' (10)" in v for v in found)
    assert any("target_to_source/range_to_edge_id" in v for v in found)
    spikes = tmp_path / "s.h5"
    with h5py.File(spikes, "w") as fh:
        grp = fh.create_group("spikes/p")
        grp.attrs["sorting"] = "by_time"
        grp["timestamps"] = [1.0, 2.0]
        grp["node_ids"] = np.array([1], dtype=np.uint64)
    found = [str(v) for v in validate(spikes)]
    assert any("sorting must be an HDF5 enum" in v for v in found)
    assert any("node_ids: has 1 rows, expected 2" in v for v in found)
    assert any("timestamps: missing attribute 'units'" in v for v in found)
