"""Distributions of per-train values (rates, CVs, Fano factors) per group."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neuroloom.analysis.tables import as_list, resolve_column
from neuroloom.errors import EmptyDataError
from neuroloom.plot._figure import figure_and_axes, group_label

__all__ = ["distribution"]


def distribution(
    table: pd.DataFrame,
    column: str = "rate",
    *,
    by: str | Iterable[str] | None = "population",
    bins: int | np.ndarray = 30,
    density: bool = False,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of ``column`` (e.g. ``rate`` from ``mean_rates``, ``cv`` from ``cv_isi``) per group.

    All groups share the same bin edges so they can be compared; NaN values
    (e.g. the CV of a train with too few spikes) are left out.
    """
    if by == "population":
        by_cols = [c for c in as_list(by) if c in table.columns]
    else:
        by_cols = [resolve_column(table.columns, c, what="result") for c in as_list(by)]
    column = resolve_column(table.columns, column, what="result", where="column=")
    values = table[column].to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        raise EmptyDataError(f"no finite value in column {column!r} to draw")
    edges = np.histogram_bin_edges(values[finite], bins=bins)
    fig, axes = figure_and_axes(ax)
    groups = table[finite].groupby(by_cols, sort=True, observed=True) if by_cols else [((), table[finite])]
    for key, part in groups:
        counts, _ = np.histogram(part[column].to_numpy(dtype=np.float64), bins=edges, density=density)
        axes.stairs(counts, edges, label=group_label(key, by_cols) or None)
    axes.set_xlabel(column)
    axes.set_ylabel("density" if density else "count")
    if by_cols:
        axes.legend(fontsize="small")
    return fig
