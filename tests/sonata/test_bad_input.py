"""Damaged or inconsistent files give a neuroloom error naming the file and the dataset."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from neuroloom.errors import NeuroloomError, SonataFormatError, UnknownPopulationError
from neuroloom.sonata import open_edges, open_nodes, read_spikes, write_edges, write_nodes, write_spikes


@pytest.fixture
def edges_file(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    return write_edges(
        tmp_path / "e.h5",
        "p",
        rng.integers(0, 10, 200),
        rng.integers(0, 10, 200),
        source="a",
        target="a",
        source_size=10,
        target_size=10,
        properties={"syn_weight": rng.random(200)},
    )


def test_truncated_file(tmp_path: Path, edges_file: Path) -> None:
    data = edges_file.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SonataFormatError, match=r"cut\.h5"):
        pop = open_edges(cut)["p"]
        pop.get(None, "syn_weight")
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all")
    with pytest.raises(SonataFormatError, match="not an HDF5 file"):
        open_nodes(garbage)


def test_missing_dataset(tmp_path: Path, edges_file: Path) -> None:
    with h5py.File(edges_file, "a") as fh:
        del fh["edges/p/target_node_id"]
    with pytest.raises(SonataFormatError, match="missing required dataset /edges/p/target_node_id"):
        open_edges(edges_file)["p"]
    write_nodes(tmp_path / "n.h5", {"v1": {"N": 3, "x": [1.0, 2.0, 3.0]}})
    with h5py.File(tmp_path / "n.h5", "a") as fh:
        del fh["nodes/v1/node_type_id"]
    with pytest.raises(SonataFormatError, match="node_type_id"):
        open_nodes(tmp_path / "n.h5")["v1"]


def test_index_past_end(edges_file: Path) -> None:
    with h5py.File(edges_file, "a") as fh:
        n2r = fh["edges/p/indices/target_to_source/node_id_to_ranges"]
        n2r[3] = [0, 10_000]
    with pytest.raises(SonataFormatError, match="node_id_to_ranges points to range 10000 past the end"):
        open_edges(edges_file)["p"].afferent_edges([3])
    with h5py.File(edges_file, "a") as fh:
        r2e = fh["edges/p/indices/source_to_target/range_to_edge_id"]
        r2e[0] = [0, 5000]
    with pytest.raises(SonataFormatError, match="past the number of edges"):
        open_edges(edges_file)["p"].efferent_edges(np.arange(10))


def test_mismatched_lengths(tmp_path: Path, edges_file: Path) -> None:
    with h5py.File(edges_file, "a") as fh:
        w = fh["edges/p/0/syn_weight"][()]
        del fh["edges/p/0/syn_weight"]
        fh["edges/p/0/syn_weight"] = w[:-5]
        del fh["edges/p/edge_group_index"]
    pop = open_edges(edges_file)["p"]  # opens (like libsonata); the bad column is refused when read
    with pytest.raises(SonataFormatError, match="syn_weight has 195 rows but its group has 200"):
        pop.get(None, ["syn_weight"])
    with pytest.raises(SonataFormatError, match="3 values but there are 4 rows"):
        write_nodes(tmp_path / "n.h5", {"v1": {"N": 4, "x": [1.0, 2.0, 3.0]}})
    assert not (tmp_path / "n.h5").exists()
    bad = tmp_path / "spikes.h5"
    write_spikes(bad, {"p": ([1, 2], [1.0, 2.0])})
    with h5py.File(bad, "a") as fh:
        del fh["spikes/p/node_ids"]
        fh["spikes/p/node_ids"] = np.array([1], dtype=np.uint64)
    with pytest.raises(SonataFormatError, match="timestamps has 2 values but node_ids has 1"):
        read_spikes(bad)


def test_unknown_population_and_missing_file(tmp_path: Path, edges_file: Path) -> None:
    with pytest.raises(UnknownPopulationError, match=r"e\.h5: no edge population 'q' \(found \['p'\]\)"):
        open_edges(edges_file)["q"]
    with pytest.raises(NeuroloomError, match="no such file"):
        open_nodes(tmp_path / "missing.h5")
    with pytest.raises(SonataFormatError, match="past the population size"):
        write_edges(
            tmp_path / "x.h5", "p", [0, 11], [0, 1], source="a", target="a", source_size=10, target_size=10
        )
    assert not any(p.name.startswith(".tmp-") for p in tmp_path.iterdir())


def test_enum_code_past_library(tmp_path: Path) -> None:
    write_nodes(tmp_path / "n.h5", {"v1": {"N": 4, "mtype": ["a", "b", "a", "b"]}}, enumerate_strings=True)
    with h5py.File(tmp_path / "n.h5", "a") as fh:
        fh["nodes/v1/0/mtype"][0] = 9
    with pytest.raises(SonataFormatError, match="holds code 9"):
        open_nodes(tmp_path / "n.h5")["v1"].get(None, "mtype")
