"""Figure and axes creation: pyplot figures by default, detached Agg figures on request.

New figures are made with ``matplotlib.pyplot.figure`` so that ``plt.show()``
shows them outside Jupyter too (and ``plt.close(fig)`` frees one).
``use_pyplot(False)`` switches to figures with their own Agg canvas, unknown
to pyplot: nothing global is kept, which suits workers and servers that only
save figures (``fig.savefig``).
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure, SubFigure

from neuroloom.errors import AnalysisInputError

_PYPLOT = {"enabled": True}


def use_pyplot(enabled: bool = True) -> None:
    """Make new figures with pyplot (``True``, the default: ``plt.show()`` works) or detached."""
    _PYPLOT["enabled"] = bool(enabled)


def figure_and_axes(ax: Axes | None, figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    """Return ``(figure, axes)``: those of ``ax`` when given, else a new figure with one axes."""
    if ax is None:
        if _PYPLOT["enabled"]:
            import matplotlib.pyplot as plt

            fig = plt.figure(figsize=figsize, layout="constrained")
        else:
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
