"""Vectorised analysis of spikes tables, signal matrices and synapse activations.

Spike functions take a spikes table (pandas or dask DataFrame with ``run``,
``population``, ``node_id``, ``time`` in ms, plus run parameter columns); see
:mod:`neuroloom.analysis.tables` for the contract and how silent neurons and
runs are counted.
"""

from __future__ import annotations

from neuroloom.analysis.binning import bin_edges, population_rate, psth, temporal_binning
from neuroloom.analysis.correlation import pairwise_correlation, sample_neurons
from neuroloom.analysis.signals import signal_times, trace_mean_std, window_summary
from neuroloom.analysis.spikes import (
    cv_isi,
    fano_factor,
    isi,
    mean_rates,
    spike_counts,
    spike_counts_in_window,
    trials_with_spike,
)
from neuroloom.analysis.synapses import activations_from_wide, synapse_activation_binning
from neuroloom.analysis.tables import SPIKE_COLUMNS, from_wide_times

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
