"""Fano factor of spike counts, under its two usual definitions, chosen by name.

- ``method="trials"`` (elephant, in_silico_framework): the count of a train
  (or of a population) in ``[t_start, t_stop)`` is compared across the runs
  (trials) of each group: var over runs / mean over runs.
- ``method="windows"`` (pypet's clustered-network example, Litwin-Kumar and
  Doiron 2012): the window is cut into consecutive windows of ``window`` ms
  and the counts of ONE train are compared across those windows; one value
  per train and run, so it needs one run per setting only.

Both use the variance with ddof=0 and give NaN when the mean count is 0
(pypet returns 0 there). A variance over a single sample is refused with an
:class:`~neuroloom.errors.AnalysisInputError` that names the other method,
instead of returning a silent 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from neuroloom.analysis.spikes import located_counts, spike_counts
from neuroloom.analysis.tables import (
    SPIKE_COLUMNS,
    TRAIN_KEYS,
    NeuronsArg,
    Per,
    RunsArg,
    by_columns,
    check_columns,
    check_window,
    keys_for,
)
from neuroloom.errors import AnalysisInputError

__all__ = ["fano_factor"]

Method = Literal["trials", "windows"]


def _ratio(mean: Any, var: Any) -> Any:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(mean) > 0, np.asarray(var) / np.asarray(mean), np.nan)


def _across_trials(
    spikes: Any,
    t_start: float,
    t_stop: float,
    per: Per,
    by_cols: list[str],
    runs: RunsArg,
    neurons: NeuronsArg,
) -> pd.DataFrame:
    counts = spike_counts(spikes, t_start, t_stop, per=per, by=by_cols, runs=runs, neurons=neurons)
    group = [k for k in keys_for(per, by_cols) if k != "run"]
    grouped = counts.groupby(group, observed=True, sort=True, dropna=False)["count"]
    out = grouped.agg(["mean", "size"]).rename(columns={"mean": "count_mean", "size": "n_trials"})
    out["count_var"] = grouped.var(ddof=0)
    out = out.reset_index()
    single = out[out["n_trials"] < 2]
    if len(single):
        first = single.iloc[0][group].to_dict()
        raise AnalysisInputError(
            f"fano_factor(method='trials') compares counts across runs, but {len(single)} group(s) "
            f"have a single run (first: {first}); a variance over one sample is meaningless. Group "
            "by fewer parameters, add trials, or use method='windows', window=<ms> (counts in "
            "consecutive windows of one run, as pypet's examples)"
        )
    out["fano"] = _ratio(out["count_mean"], out["count_var"])
    return out


def _window_part(frame: pd.DataFrame, t_start: float, width: float, n_windows: int) -> pd.DataFrame:
    times = frame["time"].to_numpy(dtype=np.float64)
    index = np.floor((times - t_start) / width).astype(np.int64)
    valid = (times >= t_start) & (index >= 0) & (index < n_windows)
    window = frame.loc[valid, list(TRAIN_KEYS)].assign(window=index[valid])
    grouped = window.groupby([*TRAIN_KEYS, "window"], observed=True, sort=False)
    return grouped.size().rename("count").reset_index()


def _over_windows(
    spikes: Any,
    t_start: float,
    t_stop: float,
    window: float,
    per: Per,
    by_cols: list[str],
    runs: RunsArg,
    neurons: NeuronsArg,
) -> pd.DataFrame:
    width = float(window)
    if not np.isfinite(width) or width <= 0:
        raise AnalysisInputError(f"window= must be a positive number of ms, got {window!r}")
    n_windows = int(np.floor((t_stop - t_start) / width + 1e-9))
    if n_windows < 2:
        raise AnalysisInputError(
            f"fano_factor(method='windows'): [{t_start}, {t_stop}) ms holds {n_windows} window(s) of "
            f"{width} ms; a variance needs at least 2, use a shorter window="
        )
    trains, counts, where, ok = located_counts(
        spikes,
        lambda f: _window_part(f, t_start, width, n_windows),
        [*TRAIN_KEYS, "window"],
        runs,
        neurons,
        by_cols,
    )
    size = trains.n_runs * trains.n_neurons
    values = counts["count"].to_numpy(dtype=np.float64)[ok]
    total = np.bincount(where[ok], weights=values, minlength=size)
    squares = np.bincount(where[ok], weights=values**2, minlength=size)
    table = trains.neuron_table(by_cols)
    table["n_windows"] = n_windows
    table["count_mean"] = total / n_windows
    table["count_var"] = np.maximum(squares / n_windows - table["count_mean"].to_numpy() ** 2, 0.0)
    table["fano"] = _ratio(table["count_mean"], table["count_var"])
    table = trains.keep(table)
    if per == "neuron":
        return table
    grouped = table.groupby(keys_for("run", by_cols), observed=True, sort=True)["fano"]
    return grouped.agg(["mean", "count"]).rename(columns={"mean": "fano", "count": "n_neurons"}).reset_index()


def fano_factor(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    method: Method = "trials",
    window: float | None = None,
    per: Per = "neuron",
    by: str | Iterable[str] | None = None,
    runs: RunsArg = None,
    neurons: NeuronsArg = None,
) -> pd.DataFrame:
    """Fano factor var(count) / mean(count) in ``[t_start, t_stop)`` ms (see the module docstring).

    Parameters
    ----------
    spikes
        Spikes table (pandas or dask) or a study View.
    t_start, t_stop
        Window in ms.
    method
        ``"trials"``: across runs, per (population[, node_id]) and ``by``
        group; returns ``count_mean``, ``n_trials``, ``count_var``, ``fano``.
        ``"windows"``: across consecutive ``window``-ms windows within each
        train; ``per="neuron"`` returns one row per (run, population,
        node_id) with ``n_windows``, ``count_mean``, ``count_var``, ``fano``;
        ``per="run"`` the mean ``fano`` over the neurons of each population
        in each run that have one (``n_neurons`` counts them).
    window
        Window length in ms (``method="windows"`` only; whole windows from
        ``t_start``, a remainder at the end is left out).
    per, by, runs, neurons
        As in :func:`neuroloom.analysis.spike_counts`.

    Raises
    ------
    AnalysisInputError
        Unknown method; ``window`` missing or given with ``"trials"``; a
        variance over one sample (one run in a group, or one window).
    """
    start, stop = check_window(t_start, t_stop)
    by_cols = by_columns(spikes, by)
    check_columns(spikes, SPIKE_COLUMNS, by_cols)
    keys_for(per, by_cols)  # validates per
    if method == "trials":
        if window is not None:
            raise AnalysisInputError(
                "window= belongs to method='windows'; method='trials' uses the runs as samples"
            )
        return _across_trials(spikes, start, stop, per, by_cols, runs, neurons)
    if method == "windows":
        if window is None:
            raise AnalysisInputError("fano_factor(method='windows') needs window=<ms>, e.g. window=100.0")
        return _over_windows(spikes, start, stop, window, per, by_cols, runs, neurons)
    raise AnalysisInputError(f"method= must be 'trials' or 'windows', got {method!r}")
