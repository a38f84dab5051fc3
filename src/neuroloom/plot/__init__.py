"""Figures for spikes tables and analysis results; every function returns a matplotlib Figure.

New figures are pyplot figures, so ``plt.show()`` displays them in a script
as in Jupyter; pass ``ax=`` to draw into your own axes. In workers or servers
call ``plot.use_pyplot(False)`` first: figures then get their own Agg canvas
and pyplot keeps no reference to them (save them with ``fig.savefig``).
Column names (``x=``, ``y=``, ``by=``) follow the analysis convention: run
parameters are ``st_<name>`` (``st_rate`` finds ``st_input.rate``).
"""

from __future__ import annotations

from neuroloom.plot._figure import use_pyplot
from neuroloom.plot.distributions import distribution
from neuroloom.plot.heatmap import heatmap
from neuroloom.plot.psth import psth
from neuroloom.plot.raster import raster
from neuroloom.plot.traces import manylines, trace_density

__all__ = ["distribution", "heatmap", "manylines", "psth", "raster", "trace_density", "use_pyplot"]
