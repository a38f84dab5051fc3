"""PSTH per group (in_silico_framework's ``histogram`` over ``temporal_binning``)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from neuroloom.analysis import binning
from neuroloom.errors import AnalysisInputError
from neuroloom.plot._figure import figure_and_axes, group_label

__all__ = ["psth"]

_VALUE_COLUMNS = ("bin_start", "bin_stop", "count", "n_trains", "rate")


def psth(
    table: pd.DataFrame,
    t_start: float | None = None,
    t_stop: float | None = None,
    bin_size: float | None = None,
    *,
    by: str | Iterable[str] | None = None,
    value: str = "rate",
    ax: Axes | None = None,
    **universe: object,
) -> Figure:
    """Draw one step curve per group of a PSTH.

    ``table`` is either the output of :func:`neuroloom.analysis.psth` (has a
    ``bin_start`` column) or a spikes table, in which case the PSTH is computed
    first with ``t_start``, ``t_stop``, ``bin_size``, ``by`` and the universe
    arguments (``runs=``, ``neurons=``). ``value`` is ``"rate"`` (Hz per train)
    or ``"count"``.
    """
    if "bin_start" not in table.columns:
        if t_start is None or t_stop is None or bin_size is None:
            raise AnalysisInputError("plotting a PSTH from spikes needs t_start, t_stop and bin_size (ms)")
        table = binning.psth(table, t_start, t_stop, bin_size, by=by, **universe)  # type: ignore[arg-type]
    if value not in ("rate", "count"):
        raise AnalysisInputError(f"value= must be 'rate' or 'count', got {value!r}")
    group_cols = [c for c in table.columns if c not in _VALUE_COLUMNS]
    fig, axes = figure_and_axes(ax)
    groups = table.groupby(group_cols, sort=True, observed=True) if group_cols else [((), table)]
    for key, part in groups:
        edges = [*part["bin_start"].to_numpy(), part["bin_stop"].to_numpy()[-1]]
        axes.stairs(part[value].to_numpy(), edges, label=group_label(key, group_cols) or None)
    axes.set_xlabel("time (ms)")
    axes.set_ylabel("rate (Hz per train)" if value == "rate" else "spikes per bin")
    if group_cols:
        axes.legend(fontsize="small")
    return fig
