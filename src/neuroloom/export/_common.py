"""What both exporters need: the view's trains split per (run, population, node) and its signals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroloom.errors import EmptyDataError, NeuroloomError

if TYPE_CHECKING:
    from neuroloom.datastore.view import View


class ExportDependencyError(NeuroloomError, ImportError):
    """An export needs a package of the ``export`` extra that is not installed."""


def require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExportDependencyError(
            f"this export needs {module!r}; install the extra: pip install 'neuroloom[export]'"
        ) from None


def trains(spikes: pd.DataFrame) -> Iterator[tuple[int, str, int, np.ndarray]]:
    """``(run, population, node_id, times ms)`` per train, from a spikes table (one sort, one split)."""
    frame = spikes.assign(population=spikes["population"].astype(str)).sort_values(
        ["run", "population", "node_id", "time"], kind="stable"
    )
    run = frame["run"].to_numpy()
    pop = frame["population"].to_numpy(dtype=object)
    node = frame["node_id"].to_numpy()
    times = frame["time"].to_numpy()
    if not len(run):
        return
    change = np.flatnonzero((run[1:] != run[:-1]) | (pop[1:] != pop[:-1]) | (node[1:] != node[:-1])) + 1
    starts = np.concatenate(([0], change))
    stops = np.concatenate((change, [len(run)]))
    for a, b in zip(starts.tolist(), stops.tolist()):
        yield int(run[a]), str(pop[a]), int(node[a]), times[a:b]


def view_spikes(view: View) -> pd.DataFrame:
    spikes: pd.DataFrame = view.spikes(params=False)
    if spikes.empty and not view.signal_summary().shape[0]:
        raise EmptyDataError(f"export: {view} holds no recordings")
    return spikes


def signal_keys(view: View) -> list[tuple[str, str]]:
    """``(population, variable)`` pairs recorded in the view."""
    summary = view.signal_summary()
    if summary.empty:
        return []
    pairs = summary[["population", "variable"]].drop_duplicates()
    return [(str(p), str(v)) for p, v in pairs.itertuples(index=False)]


def quantity_unit(unit: str) -> str:
    """Our unit text as understood by ``quantities``."""
    return {"1": "dimensionless", "%": "percent", "": "dimensionless"}.get(unit, unit)
