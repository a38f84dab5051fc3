"""Figure and axes creation without pyplot's global state (safe in workers and servers)."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

from neuroloom.errors import AnalysisInputError


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    """Return ``(figure, axes)``: those of ``ax`` when given, else a new Agg figure with one axes."""
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise AnalysisInputError(f"ax= must be a matplotlib Axes, got {type(ax).__name__}")
    parent: Any = ax.figure
    while isinstance(parent, SubFigure):
        parent = parent.figure
    return parent, ax


def group_label(values: tuple[Any, ...] | Any, names: list[str]) -> str:
    """A legend label such as ``stim=B1, population=exc`` for one group."""
    if not isinstance(values, tuple):
        values = (values,)
    return ", ".join(f"{n}={v}" for n, v in zip(names, values))
