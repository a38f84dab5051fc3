"""Shared NEURON fixtures: the shipped demo cell."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from neuroloom.sim.neuron import CellModel

DATA = Path(str(resources.files("neuroloom.sim") / "data"))


@pytest.fixture
def demo_cell() -> CellModel:
    return CellModel(DATA / "morphologies" / "ball_stick_tuft.swc", DATA / "biophysics_demo.json")
