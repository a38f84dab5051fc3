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
