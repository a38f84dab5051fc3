"""The demo cell shipped in the package: a ball-and-stick morphology with a tuft
(``sim/data/morphologies/ball_stick_tuft.swc``) and its biophysics
(``sim/data/biophysics_demo.json``, the JSON format of
:mod:`neuroloom.sim.neuron.biophysics`)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from neuroloom.sim.neuron.cell import CellModel

__all__ = ["demo_cell", "demo_files"]


def demo_files() -> tuple[Path, Path]:
    """Paths of the demo cell's morphology (SWC) and biophysics (JSON) files."""
    data = Path(str(resources.files("neuroloom.sim") / "data"))
    return data / "morphologies" / "ball_stick_tuft.swc", data / "biophysics_demo.json"


def demo_cell(**settings: Any) -> CellModel:
    """The demo cell as a :class:`CellModel` (``settings``: its other fields, e.g. ``name``)."""
    morphology, biophysics = demo_files()
    return CellModel(morphology, biophysics, **settings)
