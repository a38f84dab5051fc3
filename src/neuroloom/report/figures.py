"""The report's figures, each saved as a PNG file (written atomically).

- :func:`phase_diagram`: one heat map per population of a statistic over two
  explored parameters (or a line over one);
- :func:`run_raster`: spikes of a few neurons per population in one run;
- :func:`run_psth`: population rate over time in one run.

Drawing uses :mod:`neuroloom.plot` (no pyplot state).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from neuroloom._io.atomic import write_bytes

__all__ = ["phase_diagram", "run_psth", "run_raster", "save_png"]

LABELS = {"rate": "rate (Hz)", "cv": "CV of ISI", "fano": "Fano factor", "rate_std": "rate std (Hz)"}


def save_png(fig: Figure, path: Path, dpi: int = 90) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically and return the path."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    write_bytes(path, buffer.getvalue())
    return path


def _figure(n_axes: int, width: float = 4.2, height: float = 3.4) -> tuple[Figure, list[object]]:
    fig = Figure(figsize=(width * n_axes, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, n_axes, squeeze=False)[0]
    return fig, list(axes)


def phase_diagram(
    stats: pd.DataFrame, value: str, params: Sequence[str], populations: Sequence[str], path: Path
) -> Path:
    """Heat map (two parameters) or line (one) of ``value`` per population; saved at ``path``."""
    from neuroloom.plot import heatmap

    fig, axes = _figure(len(populations))
    for ax, population in zip(axes, populations):
        part = stats[stats["population"] == population]
        if len(params) >= 2:
            heatmap(part, params[0], params[1], value, ax=ax)  # type: ignore[arg-type]
        else:
            ordered = part.groupby(params[0])[value].mean().sort_index()
            ax.plot(ordered.index.to_numpy(), ordered.to_numpy(), "o-")  # type: ignore[attr-defined]
            ax.set_xlabel(params[0])  # type: ignore[attr-defined]
            ax.set_ylabel(LABELS.get(value, value))  # type: ignore[attr-defined]
        ax.set_title(f"{population}: {LABELS.get(value, value)}")  # type: ignore[attr-defined]
    return save_png(fig, path)


def run_raster(
    spikes: pd.DataFrame,
    title: str,
    path: Path,
    *,
    per_population: int = 100,
    t_start: float | None = None,
    t_stop: float | None = None,
) -> Path:
    """Raster of the first ``per_population`` neurons of each population of one run."""
    from neuroloom.plot import raster

    table = spikes[spikes["node_id"] < per_population]
    fig, (ax,) = _figure(1, width=7.0, height=3.6)
    if len(table) == 0:
        ax.text(0.5, 0.5, "no spikes", ha="center", va="center", transform=ax.transAxes)  # type: ignore[attr-defined]
    else:
        raster(table, t_start=t_start, t_stop=t_stop, ax=ax, marker_size=3.0)  # type: ignore[arg-type]
    ax.set_title(title, fontsize="small")  # type: ignore[attr-defined]
    return save_png(fig, path)


def run_psth(
    spikes: pd.DataFrame,
    title: str,
    path: Path,
    *,
    t_start: float,
    t_stop: float,
    bin_size: float,
    sizes: Mapping[str, int] | None,
    run: int,
) -> Path:
    """Population rate (Hz per neuron) over time of one run, one curve per population."""
    from neuroloom.plot import psth

    fig, (ax,) = _figure(1, width=7.0, height=3.0)
    if len(spikes) == 0:
        ax.text(0.5, 0.5, "no spikes", ha="center", va="center", transform=ax.transAxes)  # type: ignore[attr-defined]
    else:
        psth(spikes, t_start, t_stop, bin_size, runs=np.asarray([run]), neurons=sizes, ax=ax)  # type: ignore[arg-type]
    ax.set_title(title, fontsize="small")  # type: ignore[attr-defined]
    return save_png(fig, path)
