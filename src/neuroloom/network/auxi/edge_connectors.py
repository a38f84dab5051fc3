"""bmtk's ready-made connection rules (``bmtk.builder.auxi.edge_connectors``), same draws."""

from __future__ import annotations

import random
from typing import Any

import numpy as np


def distance_connector(
    source: Any,
    target: Any,
    d_weight_min: float,
    d_weight_max: float,
    d_max: float,
    nsyn_min: int,
    nsyn_max: int,
) -> int | None:
    """Synapses between two nodes, with a probability falling linearly with distance (no autapses).

    The probability is ``d_weight_max`` at distance 0 and ``d_weight_min`` at
    ``d_max`` (0 beyond); a connection gets ``randint(nsyn_min, nsyn_max)``
    synapses. Draws from :mod:`random`, as bmtk does.
    """
    if source.node_id == target.node_id:
        return None
    r = float(np.linalg.norm(np.asarray(source["positions"]) - np.asarray(target["positions"])))
    if r > d_max:
        weight = 0.0
    else:
        t = r / d_max
        weight = d_weight_max * (1.0 - t) + d_weight_min * t
    if weight <= 0 or random.random() > weight:
        return None
    return random.randint(nsyn_min, nsyn_max)


def connect_random(
    source: Any, target: Any, nsyn_min: int = 0, nsyn_max: int = 10, distribution: Any = None
) -> int:
    """A uniform number of synapses in ``[nsyn_min, nsyn_max)`` (numpy's global generator)."""
    del source, target, distribution
    return int(np.random.randint(nsyn_min, nsyn_max))
