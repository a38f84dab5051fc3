"""CellModel refuses files that do not exist when it is made, naming the file (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from neuroloom.errors import SimulationError
from neuroloom.sim.neuron import CellModel, demo_cell, demo_files


def test_missing_morphology_is_refused_at_construction(tmp_path: Path) -> None:
    _, biophysics = demo_files()
    with pytest.raises(SimulationError, match=r"morphology file '.*cell\.swc' does not exist"):
        CellModel(tmp_path / "cell.swc", biophysics)


def test_missing_biophysics_is_refused_at_construction(tmp_path: Path) -> None:
    morphology, _ = demo_files()
    with pytest.raises(SimulationError, match=r"biophysics file 'biophysics\.json' does not exist"):
        CellModel(morphology, "biophysics.json")


def test_missing_mechanism_is_refused_at_construction(tmp_path: Path) -> None:
    morphology, biophysics = demo_files()
    with pytest.raises(SimulationError, match=r"mechanisms file .*extra\.mod"):
        CellModel(morphology, biophysics, mechanisms=[tmp_path / "extra.mod"])


def test_biophysics_as_a_mapping_needs_no_file() -> None:
    morphology, _ = demo_files()
    cell = CellModel(morphology, {"all": {"properties": {"Ra": 100.0}}})
    assert cell.morphology == morphology


def test_demo_cell_files_ship_with_the_package() -> None:
    cell = demo_cell(name="L5")
    assert Path(cell.morphology).is_file() and Path(str(cell.biophysics)).suffix == ".json"
    assert cell.name == "L5"
