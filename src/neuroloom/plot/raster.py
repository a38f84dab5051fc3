"""Spike raster: one dot per spike, one row per train, populations in colours."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neuroloom.analysis.tables import SPIKE_COLUMNS, check_columns, check_times, in_window, is_dask
from neuroloom.errors import EmptyDataError
from neuroloom.plot._figure import figure_and_axes

__all__ = ["raster"]


def raster(
    spikes: pd.DataFrame,
    *,
    runs: int | list[int] | None = None,
    t_start: float | None = None,
    t_stop: float | None = None,
    ax: Axes | None = None,
    marker_size: float = 2.0,
) -> Figure:
    """Raster plot of a spikes table.

    Each (run, population, node_id) train that spikes gets one row, ordered by
    population, run and node id, so several runs of one neuron read as trials.
    One scatter per population (a single draw call each, fine for millions of
    spikes).

    Parameters
    ----------
    spikes
        Spikes table (a dask table is computed after the run selection).
    runs
        Run index or indices to show (default: all).
    t_start, t_stop
        Time window in ms (default: all spikes).
    ax
        Axes to draw into (default: a new figure).
    marker_size
        Dot size in points squared.
    """
    check_columns(spikes, SPIKE_COLUMNS)
    table = spikes
    if runs is not None:
        wanted = [runs] if isinstance(runs, int) else list(runs)
        table = table[table["run"].isin(wanted)]
    table = table[list(SPIKE_COLUMNS)]
    lazy: Any = table
    frame: pd.DataFrame = lazy.compute() if is_dask(lazy) else lazy
    frame = in_window(frame, t_start, t_stop)
    if len(frame) == 0:
        raise EmptyDataError(f"no spike to draw for runs={runs!r} in [{t_start}, {t_stop}) ms")
    check_times(frame)
    population = frame["population"].astype(str)
    rows = frame.assign(population=population).groupby(["population", "run", "node_id"], sort=True).ngroup()
    fig, axes = figure_and_axes(ax)
    for name in sorted(population.unique()):
        mask = (population == name).to_numpy()
        axes.scatter(
            frame["time"].to_numpy()[mask], rows.to_numpy()[mask], s=marker_size, marker="|", label=name
        )
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("train (population, run, node)")
    axes.set_ylim(-1, int(np.max(rows)) + 1)
    axes.legend(loc="upper right", markerscale=4, fontsize="small")
    return fig
