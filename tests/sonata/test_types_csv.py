"""Node/edge types tables: quoted values with spaces, aligned columns, tabs, NULL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import SonataFormatError
from neuroloom.sonata import read_types, write_types


def test_values_with_spaces_and_quotes_round_trip_and_match_bmtk_reading(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "node_type_id": [100, 101, 102],
            "model_name": ["Scnn1a 473845048", 'say "hi"', None],
            "ei": ["e", "i", "e"],
            "tau": [10.5, np.nan, 3.0],
        }
    )
    path = tmp_path / "node_types.csv"
    write_types(path, table, "node_type_id")
    got = read_types(path, "node_type_id")
    assert got.loc[100, "model_name"] == "Scnn1a 473845048"
    assert got.loc[101, "model_name"] == 'say "hi"'
    assert pd.isna(got.loc[102, "model_name"]) and pd.isna(got.loc[101, "tau"])
    assert got["ei"].tolist() == ["e", "i", "e"]
    # bmtk reads types tables with pandas, sep=' '
    bmtk = pd.read_csv(path, sep=" ", na_values=["NULL"]).set_index("node_type_id")
    pd.testing.assert_frame_equal(got, bmtk)


def test_aligned_columns_trailing_spaces_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "edge_types.csv"
    path.write_text(
        "edge_type_id   syn_weight  model_template  \n\n100   2.5   static_synapse  \n101 NULL stdp\n"
    )
    got = read_types(path, "edge_type_id")
    assert list(got.columns) == ["syn_weight", "model_template"]
    assert got.loc[100, "syn_weight"] == 2.5 and pd.isna(got.loc[101, "syn_weight"])
    assert got["model_template"].tolist() == ["static_synapse", "stdp"]


def test_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "node_types.csv"
    path.write_text("node_type_id\tpop_name\n1\texc\n2\tinh\n")
    assert read_types(path, "node_type_id")["pop_name"].tolist() == ["exc", "inh"]


def test_missing_id_column_and_duplicates_are_named(tmp_path: Path) -> None:
    path = tmp_path / "node_types.csv"
    path.write_text("pop_name\nexc\n")
    with pytest.raises(SonataFormatError, match=r"node_types.csv: missing column 'node_type_id'"):
        read_types(path, "node_type_id")
    path.write_text("node_type_id pop_name\n1 exc\n1 inh\n")
    with pytest.raises(SonataFormatError, match="must be unique"):
        read_types(path, "node_type_id")


def _two_groups(tmp_path: Path) -> tuple[Path, Path]:
    """Nodes 0, 2, 4 in group 0 (with model_name, without layer); 1, 3 in group 1 (the reverse)."""
    import h5py

    nodes, types = tmp_path / "nodes.h5", tmp_path / "node_types.csv"
    with h5py.File(nodes, "w") as f:
        pop = f.create_group("nodes/p")
        pop["node_id"] = np.arange(5, dtype=np.uint64)
        pop["node_type_id"] = np.array([100, 101, 100, 101, 100], dtype=np.int64)
        pop["node_group_id"] = np.array([0, 1, 0, 1, 0], dtype=np.uint32)
        pop["node_group_index"] = np.array([0, 0, 1, 1, 2], dtype=np.uint64)
        pop["0/x"] = np.array([0.0, 2.0, 4.0])
        pop["0/model_name"] = np.array([b"a", b"b", b"c"], dtype=h5py.string_dtype())
        pop["1/x"] = np.array([1.0, 3.0])
        pop["1/layer"] = np.array([b"L4", b"L5"], dtype=h5py.string_dtype())
    types.write_text("node_type_id model_name\n100 from_types_100\n101 from_types_101\n")
    return nodes, types


def test_a_group_without_a_property_takes_the_types_value(tmp_path: Path) -> None:
    from neuroloom.sonata import open_nodes

    nodes, types = _two_groups(tmp_path)
    pop = open_nodes(nodes, types)["p"]
    got = pop.get(None, ["x", "model_name", "layer"])
    assert got["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert got["model_name"].tolist() == ["a", "from_types_101", "b", "from_types_101", "c"]
    layer = got["layer"].tolist()  # no types value: missing where group 0 has none
    assert layer[1] == "L4" and layer[3] == "L5" and all(pd.isna(layer[i]) for i in (0, 2, 4))
    assert pop.get([3], "model_name")["model_name"].tolist() == ["from_types_101"]


def test_bmtk_empty_fields_stay_in_their_columns(tmp_path: Path) -> None:
    """bmtk writes a property set to None as nothing (two spaces in a row), also as the last field."""
    path = tmp_path / "lgn_node_types.csv"
    path.write_bytes(
        b"node_type_id model_template sf_sep model_type dynamics_params ei\r\n"
        b"100 lgnmodel:tOFF  virtual tOFF.json e\r\n"
        b"101 lgnmodel:sONsOFF 6.0 virtual sOFF.json \r\n"
        b'102 "lgn model" 4.0 virtual  i\r\n'
    )
    got = read_types(path, "node_type_id")
    assert got["model_type"].tolist() == ["virtual"] * 3
    assert got["sf_sep"].tolist()[1:] == [6.0, 4.0] and pd.isna(got.loc[100, "sf_sep"])
    assert got["dynamics_params"].tolist()[:2] == ["tOFF.json", "sOFF.json"]
    assert pd.isna(got.loc[102, "dynamics_params"]) and pd.isna(got.loc[101, "ei"])
    assert got.loc[102, "model_template"] == "lgn model"


def test_reads_what_bmtk_writes_for_none(tmp_path: Path) -> None:
    builder = pytest.importorskip("bmtk.builder", reason="bmtk is the reference writer")
    net = builder.NetworkBuilder("lgn")
    net.add_nodes(N=2, model_type="virtual", sf_sep=None, non_dom_params=None, ei="e")
    net.add_nodes(N=1, model_type="virtual", sf_sep=6.0, non_dom_params="sON.json", ei="e")
    net.build()
    net.save_nodes(output_dir=str(tmp_path))
    got = read_types(tmp_path / "lgn_node_types.csv", "node_type_id")
    assert got["ei"].tolist() == ["e", "e"] and got["model_type"].tolist() == ["virtual", "virtual"]
    assert pd.isna(got["sf_sep"].iloc[0]) and got["sf_sep"].iloc[1] == 6.0
    assert pd.isna(got["non_dom_params"].iloc[0]) and got["non_dom_params"].iloc[1] == "sON.json"
