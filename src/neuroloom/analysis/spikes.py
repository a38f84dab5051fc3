"""Per-train spike statistics: counts, rates, ISIs, CV of ISI, Fano factor.

Every function takes a spikes table (see :mod:`neuroloom.analysis.tables`),
works with numpy and pandas groupby only (no Python loop over neurons), and
accepts a dask DataFrame, which it processes partition by partition.
Times are in ms, rates in Hz (spikes per second).
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
    as_list,
    check_columns,
    check_window,
    fill_universe,
    in_window,
    keys_for,
    map_table,
    universe,
    universe_columns,
)
from neuroloom.errors import AnalysisInputError

__all__ = [
    "cv_isi",
    "fano_factor",
    "isi",
    "mean_rates",
    "spike_counts",
    "spike_counts_in_window",
    "trials_with_spike",
]


def _count_part(
    frame: pd.DataFrame, keys: list[str], t_start: float | None, t_stop: float | None
) -> pd.DataFrame:
    window = in_window(frame, t_start, t_stop)
    counts = window.groupby(keys, observed=True, sort=False, dropna=False).size()
    return counts.rename("count").reset_index()


def spike_counts(
    spikes: pd.DataFrame,
    t_start: float | None = None,
    t_stop: float | None = None,
    *,
    per: Per = "neuron",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Number of spikes of every train in ``[t_start, t_stop)`` ms.

    Parameters
    ----------
    spikes
        Spikes table (pandas or dask).
    t_start, t_stop
        Window in ms; ``None`` leaves that side open.
    per
        ``"neuron"``: one row per (run, population, node_id); ``"run"``: one
        row per (run, population), summing over its neurons.
    by
        Extra grouping columns (run parameters such as ``"stim"``).
    runs, neurons
        The universe of trains that may spike (silent ones get 0); see
        :mod:`neuroloom.analysis.tables`.

    Returns
    -------
    DataFrame with the key columns and ``count`` (int64).
    """
    by_cols = as_list(by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    if t_start is not None and t_stop is not None:
        check_window(t_start, t_stop)
    keys = keys_for("neuron", by_cols)
    parts, found = map_table(
        spikes,
        lambda f: _count_part(f, keys, t_start, t_stop),
        distinct=universe_columns(runs, neurons, by_cols),
    )
    counts = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        counts = counts.groupby(keys, observed=True, sort=False, dropna=False)["count"].sum().reset_index()
    full = universe(runs, neurons, by_cols, "neuron", found)
    result = fill_universe(counts, full, keys, {"count": 0})
    result["count"] = result["count"].astype(np.int64)
    if per == "run":
        run_keys = keys_for("run", by_cols)
        grouped = result.groupby(run_keys, observed=True, sort=True, dropna=False)["count"]
        return grouped.agg(count="sum", n_neurons="size").reset_index()
    return result.sort_values(keys, kind="stable", ignore_index=True)


def spike_counts_in_window(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    per: Per = "run",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Spike count of every trial in ``[t_start, t_stop)`` ms (default: one trial per run).

    Same as :func:`spike_counts` with a required window and ``per="run"`` by
    default: in_silico_framework's trial is one run of one cell.
    """
    check_window(t_start, t_stop)
    return spike_counts(spikes, t_start, t_stop, per=per, by=by, runs=runs, neurons=neurons)


def trials_with_spike(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    by: str | Iterable[str] | None = None,
    per: Per = "run",
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
    min_spikes: int = 1,
) -> pd.DataFrame:
    """How many trials have at least ``min_spikes`` spikes in ``[t_start, t_stop)`` ms.

    Answers in_silico_framework's "how many trials have a spike between 245
    and 265 ms", overall (``by=None``) or per run parameter (``by="stim"``).
    Pass ``runs=`` (e.g. the runs table with its parameters) so that trials
    without any spike at all are counted among those without.

    Returns
    -------
    DataFrame, one row per population and ``by`` group, with ``n_trials``,
    ``n_with_spike``, ``n_without_spike`` and ``fraction``.
    """
    by_cols = as_list(by)
    counts = spike_counts_in_window(spikes, t_start, t_stop, per=per, by=by_cols, runs=runs, neurons=neurons)
    group = ["population", *[c for c in by_cols if c != "population"]]
    hit = (counts["count"] >= int(min_spikes)).astype(np.int64)
    table = (
        counts.assign(hit=hit)
        .groupby(group, observed=True, sort=True, dropna=False)["hit"]
        .agg(n_trials="size", n_with_spike="sum")
        .reset_index()
    )
    table["n_without_spike"] = table["n_trials"] - table["n_with_spike"]
    table["fraction"] = table["n_with_spike"] / table["n_trials"]
    return table


def mean_rates(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    per: Per = "neuron",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Mean firing rate (Hz) of every train in ``[t_start, t_stop)`` ms.

    ``per="neuron"`` gives one row per (run, population, node_id) with
    ``count`` and ``rate``; ``per="run"`` averages over the neurons of each
    population in each run: ``rate`` (mean), ``rate_std`` (population std,
    ddof=0), ``n_neurons`` and ``count``. Silent neurons count as rate 0 when
    they are in the universe (pass ``neurons=``).
    """
    start, stop = check_window(t_start, t_stop)
    seconds = (stop - start) / 1000.0
    by_cols = as_list(by)
    counts = spike_counts(spikes, start, stop, per="neuron", by=by_cols, runs=runs, neurons=neurons)
    counts["rate"] = counts["count"] / seconds
    if per == "neuron":
        return counts
    keys = keys_for(per, by_cols)
    grouped = counts.groupby(keys, observed=True, sort=True, dropna=False)
    out = grouped["rate"].agg(["mean", "size"]).rename(columns={"mean": "rate", "size": "n_neurons"})
    out["rate_std"] = grouped["rate"].std(ddof=0)
    out["count"] = grouped["count"].sum()
    return out.reset_index()


def _interval_part(
    frame: pd.DataFrame, keys: list[str], t_start: float | None, t_stop: float | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Key frame, group code of every interval and the intervals (ms) of one partition."""
    window = in_window(frame, t_start, t_stop)
    grouped = window.groupby(keys, observed=True, sort=True, dropna=False)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    key_frame = grouped.size().rename("n_spikes").reset_index()
    times = window["time"].to_numpy(dtype=np.float64)
    order = np.lexsort((times, codes))
    sorted_codes, sorted_times = codes[order], times[order]
    same = sorted_codes[1:] == sorted_codes[:-1]
    return key_frame, sorted_codes[1:][same], np.diff(sorted_times)[same]


def _moments_part(
    frame: pd.DataFrame, keys: list[str], t_start: float | None, t_stop: float | None, ddof: int
) -> pd.DataFrame:
    key_frame, codes, intervals = _interval_part(frame, keys, t_start, t_stop)
    n_groups = len(key_frame)
    n = np.bincount(codes, minlength=n_groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=intervals, minlength=n_groups) / n
        squares = np.bincount(codes, weights=(intervals - mean[codes]) ** 2, minlength=n_groups)
        std = np.sqrt(squares / (n - ddof))
    key_frame["n_isi"] = n.astype(np.int64)
    key_frame["isi_mean"] = mean
    key_frame["isi_std"] = std
    return key_frame


def isi(
    spikes: pd.DataFrame,
    t_start: float | None = None,
    t_stop: float | None = None,
    *,
    by: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Inter-spike intervals (ms) of every (run, population, node_id) train.

    Returns a long DataFrame: the train keys, the ``by`` columns and ``isi``,
    the intervals of each train in time order (a train with fewer than two
    spikes in the window has none).
    """
    by_cols = as_list(by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    keys = keys_for("neuron", by_cols)

    def part(frame: pd.DataFrame) -> pd.DataFrame:
        key_frame, codes, intervals = _interval_part(frame, keys, t_start, t_stop)
        out = key_frame.drop(columns="n_spikes").iloc[codes].reset_index(drop=True)
        out["isi"] = intervals
        return out

    parts, _ = map_table(spikes, part, shuffle_on=keys)
    return pd.concat(parts, ignore_index=True).sort_values(keys, kind="stable", ignore_index=True)


def cv_isi(
    spikes: pd.DataFrame,
    t_start: float | None = None,
    t_stop: float | None = None,
    *,
    per: Per = "neuron",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
    min_intervals: int = 2,
    ddof: int = 0,
) -> pd.DataFrame:
    """Coefficient of variation of the inter-spike intervals, std(ISI) / mean(ISI).

    As in elephant (``scipy.stats.variation``) and mozaik the std has
    ``ddof=0``. A train with fewer than ``min_intervals`` intervals gets NaN.
    ``per="neuron"``: one row per train with ``n_spikes``, ``n_isi``,
    ``isi_mean``, ``isi_std``, ``cv``; ``per="run"``: the mean ``cv`` over the
    neurons of each population in each run that have one (``n_neurons``
    counts them), as mozaik's network irregularity.
    """
    if min_intervals < 1:
        raise AnalysisInputError(f"min_intervals must be >= 1, got {min_intervals}")
    by_cols = as_list(by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    if t_start is not None and t_stop is not None:
        check_window(t_start, t_stop)
    keys = keys_for("neuron", by_cols)
    parts, found = map_table(
        spikes,
        lambda f: _moments_part(f, keys, t_start, t_stop, ddof),
        shuffle_on=keys,
        distinct=universe_columns(runs, neurons, by_cols),
    )
    moments = pd.concat(parts, ignore_index=True)
    full = universe(runs, neurons, by_cols, "neuron", found)
    table = fill_universe(moments, full, keys, {"n_spikes": 0, "n_isi": 0})
    table["n_spikes"] = table["n_spikes"].astype(np.int64)
    table["n_isi"] = table["n_isi"].astype(np.int64)
    enough = table["n_isi"] >= min_intervals
    table["cv"] = np.where(enough, table["isi_std"] / table["isi_mean"], np.nan)
    table = table.sort_values(keys, kind="stable", ignore_index=True)
    if per == "neuron":
        return table
    run_keys = keys_for(per, by_cols)
    grouped = table.groupby(run_keys, observed=True, sort=True, dropna=False)["cv"]
    return grouped.agg(cv="mean", n_neurons="count").reset_index()


def fano_factor(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    per: Per = "neuron",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Fano factor var(count) / mean(count) of spike counts across runs (trials).

    Counts are taken per train (``per="neuron"``) or per population
    (``per="run"``) in ``[t_start, t_stop)`` ms, then compared across the runs
    of each (population[, node_id]) and ``by`` group; variance with ddof=0 as
    in elephant. NaN when every count is 0.
    """
    by_cols = as_list(by)
    counts = spike_counts(spikes, t_start, t_stop, per=per, by=by_cols, runs=runs, neurons=neurons)
    group = [k for k in keys_for(per, by_cols) if k != "run"]
    grouped = counts.groupby(group, observed=True, sort=True, dropna=False)["count"]
    out = grouped.agg(["mean", "size"]).rename(columns={"mean": "count_mean", "size": "n_trials"})
    out["count_var"] = grouped.var(ddof=0)
    out = out.reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["fano"] = np.where(out["count_mean"] > 0, out["count_var"] / out["count_mean"], np.nan)
    return out
