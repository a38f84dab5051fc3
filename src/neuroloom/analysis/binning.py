"""Temporal binning: per-trial binned counts, PSTHs and population rates.

Bins are half-open ``[edge_i, edge_i+1)`` in ms. ``temporal_binning`` keeps
one row per trial (a dense trials x bins count matrix, silent trials
included); ``psth`` and ``population_rate`` sum trials into groups without
building that matrix, so they scale to millions of trains.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from neuroloom.analysis.tables import (
    SPIKE_COLUMNS,
    NeuronsArg,
    Per,
    RunsArg,
    align_keys,
    by_columns,
    check_columns,
    check_populations,
    check_window,
    keys_for,
    map_table,
    universe,
    universe_columns,
)
from neuroloom.errors import AnalysisInputError

__all__ = ["bin_edges", "population_rate", "psth", "temporal_binning"]


def bin_edges(t_start: float, t_stop: float, bin_size: float) -> np.ndarray:
    """Edges of bins of ``bin_size`` ms from ``t_start``; the last bin ends at or before ``t_stop``.

    A window that is not a whole number of bins is shortened to the last full
    bin (as elephant's ``BinnedSpikeTrain`` does).
    """
    start, stop = check_window(t_start, t_stop)
    size = float(bin_size)
    if not np.isfinite(size) or size <= 0:
        raise AnalysisInputError(f"bin_size must be a positive number of ms, got {bin_size!r}")
    n_bins = int(np.floor((stop - start) / size + 1e-9))
    if n_bins < 1:
        raise AnalysisInputError(f"bin_size {size} ms is longer than the window [{start}, {stop}) ms")
    return start + size * np.arange(n_bins + 1, dtype=np.float64)


def _bin_part(frame: pd.DataFrame, keys: list[str], edges: np.ndarray) -> pd.DataFrame:
    times = frame["time"].to_numpy(dtype=np.float64)
    index = np.searchsorted(edges, times, side="right") - 1
    valid = (index >= 0) & (index < len(edges) - 1)
    window = frame.loc[valid, keys].assign(bin=index[valid])
    return (
        window.groupby([*keys, "bin"], observed=True, sort=False, dropna=False)
        .size()
        .rename("count")
        .reset_index()
    )


def _binned_counts(
    spikes: pd.DataFrame,
    edges: np.ndarray,
    by_cols: list[str],
    runs: RunsArg,
    neurons: NeuronsArg,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long (train keys, bin, count) of spiking trains and the neuron-train universe with ``row``."""
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    keys = keys_for("neuron", by_cols)
    parts, found = map_table(
        spikes, lambda f: _bin_part(f, keys, edges), distinct=universe_columns(runs, neurons, by_cols)
    )
    counts = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        summed = counts.groupby([*keys, "bin"], observed=True, sort=False, dropna=False)["count"].sum()
        counts = summed.reset_index()
    full = universe(runs, neurons, by_cols, "neuron", found)
    if neurons is not None:
        check_populations(pd.unique(counts["population"].astype(str)), full)
    counts, full = align_keys(counts, full, keys)
    full = full.assign(row=np.arange(len(full), dtype=np.int64))
    counts = counts.merge(full[[*keys, "row"]], on=keys, how="inner")
    return counts, full


def temporal_binning(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    bin_size: float,
    *,
    per: Per = "run",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Spike counts of every trial in fixed bins (one row per trial, silent ones included).

    Parameters
    ----------
    spikes
        Spikes table (pandas or dask).
    t_start, t_stop, bin_size
        Window and bin width in ms (see :func:`bin_edges`).
    per
        ``"run"``: a trial is one population in one run (its neurons summed);
        ``"neuron"``: a trial is one (run, population, node_id) train.
    by, runs, neurons
        Extra key columns and the universe of trains (see
        :mod:`neuroloom.analysis.tables`).

    Returns
    -------
    DataFrame of int64 counts: index = the trial keys, columns = bin start
    times (ms, named ``bin_start``).
    """
    by_cols = by_columns(spikes, by)
    edges = bin_edges(t_start, t_stop, bin_size)
    counts, full = _binned_counts(spikes, edges, by_cols, runs, neurons)
    n_bins = len(edges) - 1
    rows = counts["row"].to_numpy()
    if per == "run":
        trial_keys = keys_for("run", by_cols)
        trial_of_row = full.groupby(trial_keys, observed=True, sort=True, dropna=False).ngroup().to_numpy()
        sizes = full.groupby(trial_keys, observed=True, sort=True, dropna=False).size()
        index = sizes.index.to_frame(index=False)
        rows = trial_of_row[rows]
    else:
        index = full[keys_for(per, by_cols)]
    matrix = np.zeros((len(index), n_bins), dtype=np.int64)
    np.add.at(matrix, (rows, counts["bin"].to_numpy()), counts["count"].to_numpy(dtype=np.int64))
    columns = pd.Index(edges[:-1], name="bin_start")
    return pd.DataFrame(matrix, index=pd.MultiIndex.from_frame(index.reset_index(drop=True)), columns=columns)


def psth(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    bin_size: float,
    *,
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Peri-stimulus time histogram per population and ``by`` group.

    Sums the spikes of all trains (runs x neurons of the universe) in each
    group and bin. Returns a long DataFrame with the group columns,
    ``bin_start``, ``bin_stop``, ``count``, ``n_trains`` and ``rate`` (Hz per
    train = count / n_trains / bin width in s). in_silico_framework's
    "spikes per trial per ms" is ``rate / 1000``.
    """
    by_cols = by_columns(spikes, by)
    edges = bin_edges(t_start, t_stop, bin_size)
    counts, full = _binned_counts(spikes, edges, by_cols, runs, neurons)
    group = [*(["run"] if "run" in by_cols else []), "population"]
    group += [c for c in by_cols if c not in group]
    sizes = full.groupby(group, observed=True, sort=True, dropna=False).size().rename("n_trains")
    group_index = full.groupby(group, observed=True, sort=True, dropna=False).ngroup().to_numpy()
    n_bins = len(edges) - 1
    totals = np.zeros(len(sizes) * n_bins, dtype=np.int64)
    flat = group_index[counts["row"].to_numpy()] * n_bins + counts["bin"].to_numpy()
    np.add.at(totals, flat, counts["count"].to_numpy(dtype=np.int64))
    groups = sizes.reset_index()
    out = groups.loc[groups.index.repeat(n_bins)].reset_index(drop=True)
    out.insert(len(group), "bin_start", np.tile(edges[:-1], len(groups)))
    out.insert(len(group) + 1, "bin_stop", np.tile(edges[1:], len(groups)))
    out["count"] = totals
    widths = (out["bin_stop"] - out["bin_start"]) / 1000.0
    out["rate"] = out["count"] / out["n_trains"] / widths
    return out[[*group, "bin_start", "bin_stop", "count", "n_trains", "rate"]]


def population_rate(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    bin_size: float,
    *,
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Time-resolved population rate (Hz per neuron) of every population in every run.

    :func:`psth` grouped by run: ``rate`` = spikes of the population in the
    bin / number of its neurons / bin width in s. Pass ``neurons=`` (sizes)
    so that silent neurons lower the rate.
    """
    by_cols = by_columns(spikes, by)
    return psth(spikes, t_start, t_stop, bin_size, by=["run", *by_cols], runs=runs, neurons=neurons)
