"""Per-train spike statistics: counts, rates, ISIs, CV of ISI (Fano factor: :mod:`.fano`).

Every function takes a spikes table (see :mod:`neuroloom.analysis.tables`),
works with numpy and pandas groupby only (no Python loop over neurons), and
accepts a dask DataFrame, which it processes partition by partition.
Times are in ms, rates in Hz (spikes per second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.analysis.tables import (
    SPIKE_COLUMNS,
    TRAIN_KEYS,
    NeuronsArg,
    Per,
    RunsArg,
    by_columns,
    check_columns,
    check_window,
    in_window,
    is_dask,
    keys_for,
    map_table,
)
from neuroloom.analysis.trains import TrainSet, distinct_pieces, gather_pieces, split_by, train_set
from neuroloom.errors import AnalysisInputError

__all__ = [
    "cv_isi",
    "isi",
    "mean_rates",
    "spike_counts",
    "spike_counts_in_window",
    "trials_with_spike",
]


def _count_part(frame: pd.DataFrame, t_start: float | None, t_stop: float | None) -> pd.DataFrame:
    window = in_window(frame, t_start, t_stop)
    counts = window.groupby(list(TRAIN_KEYS), observed=True, sort=False).size()
    return counts.rename("count").reset_index()


def located_counts(
    spikes: Any,
    count_part: Callable[[pd.DataFrame], pd.DataFrame],
    keys: list[str],
    runs: RunsArg,
    neurons: NeuronsArg,
    by_cols: list[str],
) -> tuple[TrainSet, pd.DataFrame, np.ndarray, np.ndarray]:
    """Counts of a (dask or pandas) spikes table made per partition and placed on its trains.

    ``count_part(frame)`` gives the rows ``keys`` + ``count`` of one partition;
    the partitions' rows are summed per ``keys``. Returns the train set, the
    counts, and each count row's train position with the rows that have one
    (:meth:`TrainSet.locate`).
    """
    run_cols, _ = split_by(by_cols, neurons)

    def part(frame: pd.DataFrame) -> Any:
        pieces = distinct_pieces(frame, run_cols, runs is None, neurons is None)
        return count_part(frame), pieces

    outputs, _ = map_table(spikes, part)
    trains = train_set(None, runs, neurons, by_cols, gather_pieces([p for _, p in outputs]))
    counts = pd.concat([c for c, _ in outputs], ignore_index=True)
    if len(outputs) > 1:
        counts = counts.groupby(keys, observed=True, sort=False)["count"].sum().reset_index()
    if neurons is not None:
        trains.check_populations(counts)
    where, ok = trains.locate(counts)
    return trains, counts, where, ok


def train_counts(
    spikes: Any,
    t_start: float | None,
    t_stop: float | None,
    runs: RunsArg,
    neurons: NeuronsArg,
    by_cols: list[str],
) -> tuple[TrainSet, np.ndarray]:
    """The train set and the spike count of each of its trains (pandas: one bincount; dask: per partition)."""
    if is_dask(spikes):
        trains, counts, where, ok = located_counts(
            spikes, lambda f: _count_part(f, t_start, t_stop), list(TRAIN_KEYS), runs, neurons, by_cols
        )
        weights = counts["count"].to_numpy(dtype=np.float64)[ok]
        size = trains.n_runs * trains.n_neurons
        return trains, np.bincount(where[ok], weights=weights, minlength=size).astype(np.int64)
    map_table(spikes, lambda f: None)  # validation: not empty, no NaN or negative time
    trains = train_set(spikes, runs, neurons, by_cols)
    if neurons is not None:
        trains.check_populations(spikes)
    where, ok = trains.locate(in_window(spikes, t_start, t_stop))
    return trains, np.bincount(where[ok], minlength=trains.n_runs * trains.n_neurons)


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
        row per (run, population), summing over its neurons (plus ``n_neurons``).
    by
        Extra grouping columns: run parameters such as ``"stim"`` (constant
        within a run), or neuron columns given in ``neurons=``.
    runs, neurons
        The universe of trains that may spike (silent ones get 0); see
        :mod:`neuroloom.analysis.tables`.

    Returns
    -------
    DataFrame with the key columns and ``count`` (int64), sorted by run,
    population and node id; ``population`` is categorical.
    """
    by_cols = by_columns(spikes, by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    if t_start is not None and t_stop is not None:
        check_window(t_start, t_stop)
    keys_for(per, by_cols)  # validates per
    trains, counts = train_counts(spikes, t_start, t_stop, runs, neurons, by_cols)
    if per == "run" and not trains.neuron_cols:
        table = trains.population_table(by_cols)
        table.insert(len(table.columns) - 1, "count", trains.per_population(counts))
        return trains.keep_populations(table)
    table = trains.neuron_table(by_cols)
    table["count"] = counts
    table = trains.keep(table)
    if per == "run":
        grouped = table.groupby(keys_for("run", by_cols), observed=True, sort=True)["count"]
        return (
            grouped.agg(["sum", "size"]).rename(columns={"sum": "count", "size": "n_neurons"}).reset_index()
        )
    return table


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
    by_cols = by_columns(spikes, by)
    counts = spike_counts_in_window(spikes, t_start, t_stop, per=per, by=by_cols, runs=runs, neurons=neurons)
    return tally_trials(counts, by_cols, min_spikes)


def tally_trials(counts: pd.DataFrame, by: Sequence[str], min_spikes: int) -> pd.DataFrame:
    """The :func:`trials_with_spike` table from one row per trial with its ``count`` in the window.

    ``counts`` has ``population``, the ``by`` columns and ``count``; a trial
    is a hit when ``count >= min_spikes``. Groups are (population, *by),
    sorted. This is the one definition the study View's fast path shares.
    """
    group = ["population", *[c for c in by if c != "population"]]
    counts = counts.assign(population=counts["population"].astype(str))
    hit = (counts["count"].to_numpy() >= int(min_spikes)).astype(np.int64)
    codes = np.zeros(len(counts), dtype=np.int64)
    for col in group:
        col_codes, uniques = pd.factorize(counts[col], sort=True, use_na_sentinel=False)
        codes = codes * len(uniques) + col_codes
    labels, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    table = counts[group].iloc[first].reset_index(drop=True)
    table["n_trials"] = np.bincount(inverse, minlength=len(labels))
    table["n_with_spike"] = np.bincount(inverse, weights=hit, minlength=len(labels)).astype(np.int64)
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
    by_cols = by_columns(spikes, by)
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
    by_cols = by_columns(spikes, by)
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
    by_cols = by_columns(spikes, by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    if t_start is not None and t_stop is not None:
        check_window(t_start, t_stop)
    keys_for(per, by_cols)  # validates per
    run_cols, _ = split_by(by_cols, neurons)
    if is_dask(spikes):

        def part(frame: pd.DataFrame) -> Any:
            pieces = distinct_pieces(frame, run_cols, runs is None, neurons is None)
            return _moments_part(frame, list(TRAIN_KEYS), t_start, t_stop, ddof), pieces

        outputs, _ = map_table(spikes, part, shuffle_on=list(TRAIN_KEYS))
        trains = train_set(None, runs, neurons, by_cols, gather_pieces([p for _, p in outputs]))
        moments = pd.concat([m for m, _ in outputs], ignore_index=True)
        if neurons is not None:
            trains.check_populations(moments)
        where, ok = trains.locate(moments)
        size = trains.n_runs * trains.n_neurons
        columns = {"n_spikes": np.zeros(size, np.int64), "n_isi": np.zeros(size, np.int64)}
        columns |= {"isi_mean": np.full(size, np.nan), "isi_std": np.full(size, np.nan)}
        for name, column in columns.items():
            column[where[ok]] = moments[name].to_numpy()[ok]
    else:
        map_table(spikes, lambda f: None)  # validation: not empty, no NaN or negative time
        trains = train_set(spikes, runs, neurons, by_cols)
        if neurons is not None:
            trains.check_populations(spikes)
        window = in_window(spikes, t_start, t_stop)
        where, ok = trains.locate(window)
        columns = _moments(
            where[ok], window["time"].to_numpy(np.float64)[ok], trains.n_runs * trains.n_neurons, ddof
        )
    table = trains.neuron_table(by_cols)
    for name, column in columns.items():
        table[name] = column
    table = trains.keep(table)
    enough = table["n_isi"].to_numpy() >= min_intervals
    table["cv"] = np.where(enough, table["isi_std"] / table["isi_mean"], np.nan)
    if per == "neuron":
        return table
    grouped = table.groupby(keys_for(per, by_cols), observed=True, sort=True)["cv"]
    return grouped.agg(["mean", "count"]).rename(columns={"mean": "cv", "count": "n_neurons"}).reset_index()


def _moments(where: np.ndarray, times: np.ndarray, size: int, ddof: int) -> dict[str, np.ndarray]:
    """Spike count and ISI mean/std of every train from the train position and time of each spike."""
    by_time = np.argsort(times)
    order = by_time[np.argsort(where[by_time], kind="stable")]  # = lexsort((times, where)), faster
    position, ordered = where[order], times[order]
    same = position[1:] == position[:-1]
    codes, intervals = position[1:][same], np.diff(ordered)[same]
    n = np.bincount(codes, minlength=size).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=intervals, minlength=size) / n
        squares = np.bincount(codes, weights=(intervals - mean[codes]) ** 2, minlength=size)
        std = np.sqrt(squares / (n - ddof))
    n_spikes = np.bincount(where, minlength=size)
    return {"n_spikes": n_spikes, "n_isi": n.astype(np.int64), "isi_mean": mean, "isi_std": std}
