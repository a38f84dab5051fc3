"""Node files: round trip of every SONATA dtype, libsonata/bluepysnap agree, bmtk files read."""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import SonataFormatError, UnknownPopulationError
from neuroloom.sonata import open_nodes, write_nodes

DTYPES = [
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float32,
    np.float64,
]


def _props(n: int, rng: np.random.Generator) -> dict[str, object]:
    props: dict[str, object] = {f"p_{np.dtype(dt).name}": rng.integers(0, 100, n).astype(dt) for dt in DTYPES}
    props["positions"] = rng.random((n, 3)) * 500
    props["mtype"] = np.array(["L23_PC", "L4_SS", "L5_TTPC"])[rng.integers(0, 3, n)]
    props["label"] = np.array([f"cell-{i}" for i in range(n)])
    props["model_type"] = "point_neuron"
    return props


def test_round_trip_every_dtype(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    props = _props(50, rng)
    path = write_nodes(tmp_path / "n.h5", {"v1": {"node_type_id": 7, **props}})
    pop = open_nodes(path)["v1"]
    assert pop.size == 50
    frame = pop.get()
    for dt in DTYPES:
        col = f"p_{np.dtype(dt).name}"
        assert frame[col].dtype == np.dtype(dt)
        np.testing.assert_array_equal(frame[col].to_numpy(), props[col])
    np.testing.assert_allclose(frame[["x", "y", "z"]].to_numpy(), props["positions"])
    assert list(frame["mtype"].astype(str)) == list(props["mtype"])
    assert list(frame["label"].astype(str)) == list(props["label"])
    assert set(frame["model_type"].astype(str)) == {"point_neuron"}
    assert (frame["node_type_id"] == 7).all()
    with h5py.File(path) as fh:
        group = fh["nodes/v1/0"]
        assert "mtype" in group["@library"]  # repeated strings become an enumeration
        assert "label" not in group["@library"]  # unique strings stay plain
        assert not any(ds.compression for ds in group.values() if isinstance(ds, h5py.Dataset))
        assert fh.attrs["magic"] == 0x0A7A


def test_libsonata_and_bluepysnap_read_our_values(tmp_path: Path) -> None:
    import bluepysnap

    from neuroloom.sonata import write_circuit_config

    rng = np.random.default_rng(1)
    props = _props(40, rng)
    write_nodes(tmp_path / "n.h5", {"v1": {"node_type_id": 3, **props}})
    lib = libsonata.NodeStorage(str(tmp_path / "n.h5")).open_population("v1")
    ours = open_nodes(tmp_path / "n.h5")["v1"]
    sel = [3, 1, 30]
    for name in ["x", "p_int16", "p_uint64", "p_float32", "label"]:
        ref = lib.get_attribute(name, libsonata.Selection(sorted(sel)))
        got = ours.get(sorted(sel), name)[name].to_numpy()
        assert list(ref) == list(got)
    assert list(lib.get_attribute("mtype", lib.select_all())) == list(
        ours.get(None, "mtype")["mtype"].astype(str)
    )
    config = write_circuit_config(
        tmp_path / "circuit_config.json",
        [{"nodes_file": "n.h5", "populations": {"v1": {"type": "point_neuron"}}}],
    )
    snap = bluepysnap.Circuit(str(config))
    snap_frame = snap.nodes["v1"].get(properties=["x", "mtype", "p_int32"])
    np.testing.assert_allclose(snap_frame["x"].to_numpy(), props["positions"][:, 0])
    assert list(snap_frame["mtype"].astype(str)) == list(props["mtype"])
    np.testing.assert_array_equal(snap_frame["p_int32"].to_numpy(), props["p_int32"])


def test_queries(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    props = _props(30, rng)
    write_nodes(tmp_path / "n.h5", {"v1": {"node_type_id": 1, **props}})
    pop = open_nodes(tmp_path / "n.h5")["v1"]
    expected = np.flatnonzero(props["mtype"] == "L4_SS")
    np.testing.assert_array_equal(pop.ids({"mtype": "L4_SS"}), expected)
    both = np.flatnonzero(np.isin(props["mtype"], ["L4_SS", "L23_PC"]))
    np.testing.assert_array_equal(pop.get({"mtype": ["L4_SS", "L23_PC"]}, "x").index, both)
    assert pop.get(5, "p_int8").index.tolist() == [5]
    with pytest.raises(SonataFormatError, match="out of range"):
        pop.get([30], "x")
    with pytest.raises(SonataFormatError, match="no property 'nope'"):
        pop.get(None, "nope")
    with pytest.raises(UnknownPopulationError, match="no node population 'v2'"):
        open_nodes(tmp_path / "n.h5")["v2"]


def test_bmtk_nodes_read_like_bmtk(bmtk_dir: Path) -> None:
    from bmtk.utils.sonata import File

    ref = (
        File(
            data_files=[str(bmtk_dir / "v1_nodes.h5")], data_type_files=[str(bmtk_dir / "v1_node_types.csv")]
        )
        .nodes["v1"]
        .to_dataframe()
    )
    pop = open_nodes(bmtk_dir / "v1_nodes.h5", bmtk_dir / "v1_node_types.csv")["v1"]
    ours = pop.get()
    assert pop.size == len(ref) == 10
    np.testing.assert_allclose(ours["x"], ref["positions.0"])
    np.testing.assert_allclose(ours["z"], ref["positions.2"])
    np.testing.assert_array_equal(ours["node_type_id"], ref["node_type_id"])
    pd.testing.assert_series_equal(ours["tuning"], ref["tuning"], check_names=False, check_index=False)
    pd.testing.assert_series_equal(ours["depth"], ref["depth"], check_names=False, check_index=False)
    assert list(ours["ei"]) == list(ref["ei"])
    assert list(ours["model_type"]) == list(ref["model_type"])
