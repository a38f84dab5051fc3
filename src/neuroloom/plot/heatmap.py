"""Heat map of a result over two explored parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neuroloom.analysis.tables import resolve_column
from neuroloom.errors import EmptyDataError
from neuroloom.plot._figure import figure_and_axes

__all__ = ["heatmap"]


def heatmap(
    table: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    agg: str = "mean",
    ax: Axes | None = None,
    cmap: str = "viridis",
    annotate: bool | None = None,
) -> Figure:
    """Colour map of ``value`` aggregated (``agg``) over every (``x``, ``y``) parameter pair.

    ``table`` is any long table with the two parameter columns, e.g.
    ``mean_rates(view, ..., per="run", by=["st_rate", "st_weight"])``; ``x``
    and ``y`` are spelled as in ``by=`` (``st_rate`` also finds
    ``st_input.rate``). Each explored
    value gets one cell (evenly spaced, labelled with its value); missing
    combinations stay blank. Cells are annotated with their value when the
    grid is small (at most 100 cells) unless ``annotate`` says otherwise.
    """
    x, y, value = (
        resolve_column(table.columns, c, what="result", where=w)
        for c, w in zip((x, y, value), ("x=", "y=", "value="))
    )
    if len(table) == 0:
        raise EmptyDataError("the table is empty: nothing to draw")
    grid = table.pivot_table(index=y, columns=x, values=value, aggfunc=agg, observed=True, dropna=False)  # type: ignore[arg-type]
    grid = grid.sort_index(axis=0).sort_index(axis=1)
    data = grid.to_numpy(dtype=np.float64)
    fig, axes = figure_and_axes(ax)
    mesh = axes.pcolormesh(data, cmap=cmap)
    axes.set_xticks(np.arange(data.shape[1]) + 0.5, [str(v) for v in grid.columns])
    axes.set_yticks(np.arange(data.shape[0]) + 0.5, [str(v) for v in grid.index])
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    fig.colorbar(mesh, ax=axes, label=f"{agg}({value})")
    if annotate if annotate is not None else data.size <= 100:
        for (row, col), cell in np.ndenumerate(data):
            if np.isfinite(cell):
                axes.text(col + 0.5, row + 0.5, f"{cell:.3g}", ha="center", va="center", fontsize="small")
    return fig
