"""Parameters: values (coercion, canonical form, content ids), the parameter tree and exploration designs."""

from neuroloom.params.explore import Design, grid, points, random, zip_
from neuroloom.params.tree import ParamTree, load_params

__all__ = ["Design", "ParamTree", "grid", "load_params", "points", "random", "zip_"]
