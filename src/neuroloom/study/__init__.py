"""Studies: parameter trees, explorations, runs and a runner (pypet's layer)."""

from neuroloom.params.explore import Design, grid, points, random, zip_
from neuroloom.study.study import Study

__all__ = ["Design", "Study", "grid", "points", "random", "zip_"]
