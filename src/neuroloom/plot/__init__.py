"""Figures for spikes tables and analysis results; every function returns a matplotlib Figure.

Figures are created without pyplot (Agg canvas), so plotting in workers or
servers leaks no global state; pass ``ax=`` to draw into your own axes.
"""

from __future__ import annotations

from neuroloom.plot.distributions import distribution
from neuroloom.plot.heatmap import heatmap
from neuroloom.plot.psth import psth
from neuroloom.plot.raster import raster
from neuroloom.plot.traces import manylines, trace_density

__all__ = ["distribution", "heatmap", "manylines", "psth", "raster", "trace_density"]
