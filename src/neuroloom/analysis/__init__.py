"""Vectorised analysis of spikes tables, signal matrices and synapse activations.

Spike functions take a spikes table (pandas or dask DataFrame with ``run``,
``population``, ``node_id``, ``time`` in ms, plus run parameter columns) or a
study ``View``; see :mod:`neuroloom.analysis.tables` for the contract and how
silent neurons and runs are counted.

Column convention (``docs/columns.md``)
---------------------------------------
Run parameters are spelled ``st_<full name>`` everywhere: in ``view.runs``,
``view.spikes()``, every table an analysis returns, ``by=`` (on a table and
on a View) and the plots' ``x=``/``y=``/``by=``. ``st_rate`` also finds a
unique ``st_input.rate``. No output column starts with ``st_``, so a
parameter named ``rate`` (``st_rate``) never clashes with the ``rate`` that
``mean_rates`` writes; a ``by=`` column named like an output column
(``rate``, ``count``, ``n_trials`` ...) is refused with the rename to make.

Universe of trains
------------------
On a View, every run is measured against its own populations: those it
recorded, at the size it recorded (``run.record_spikes(..., size=)``, passed
by the simulators) or the study network's size, so rates divide by each
run's own number of neurons. On a table, pass ``neurons=`` a per-run table
(``run, population, size``) for the same.
"""

from __future__ import annotations

from neuroloom.analysis import binning as _binning
from neuroloom.analysis import correlation as _correlation
from neuroloom.analysis import fano as _fano
from neuroloom.analysis import spikes as _spikes
from neuroloom.analysis.binning import bin_edges
from neuroloom.analysis.correlation import sample_neurons
from neuroloom.analysis.signals import signal_times, trace_mean_std, window_summary
from neuroloom.analysis.synapses import activations_from_wide, synapse_activation_binning
from neuroloom.analysis.tables import SPIKE_COLUMNS, from_wide_times
from neuroloom.analysis.views import on_views

# Spike analyses accept a spikes table or a study View (see neuroloom.analysis.views).
cv_isi = on_views(_spikes.cv_isi)
fano_factor = on_views(_fano.fano_factor)
isi = on_views(_spikes.isi)
mean_rates = on_views(_spikes.mean_rates)
spike_counts = on_views(_spikes.spike_counts)
spike_counts_in_window = on_views(_spikes.spike_counts_in_window)
trials_with_spike = on_views(_spikes.trials_with_spike)
population_rate = on_views(_binning.population_rate)
psth = on_views(_binning.psth)
temporal_binning = on_views(_binning.temporal_binning)
pairwise_correlation = on_views(_correlation.pairwise_correlation)

__all__ = [
    "SPIKE_COLUMNS",
    "activations_from_wide",
    "bin_edges",
    "cv_isi",
    "fano_factor",
    "from_wide_times",
    "isi",
    "mean_rates",
    "pairwise_correlation",
    "population_rate",
    "psth",
    "sample_neurons",
    "signal_times",
    "spike_counts",
    "spike_counts_in_window",
    "synapse_activation_binning",
    "temporal_binning",
    "trace_mean_std",
    "trials_with_spike",
    "window_summary",
]
