"""Per-run spiking statistics: rate, CV of ISIs and Fano factor per population.

Built on :mod:`neuroloom.analysis` (no statistic is computed here twice):

- ``rate``: mean firing rate (Hz) over the population's neurons, silent ones
  included when the population sizes are known;
- ``cv``: mean CV of the inter-spike intervals over neurons with at least
  two intervals (irregularity; ~1 for Poisson firing);
- ``fano``: mean over neurons of var/mean of the spike counts in consecutive
  windows of ``fano_window`` ms (variability of counts; ~1 for Poisson).
  The windows play the role of trials: each becomes one pseudo-run of
  :func:`neuroloom.analysis.fano_factor`.

Together, rate ~1-30 Hz, CV ~1 and Fano ~1 mark the asynchronous irregular
regime; Fano >> 1 means synchronous bursts, CV << 1 regular (clock-like) firing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["STAT_COLUMNS", "results_table", "run_statistics"]

STAT_COLUMNS = ("rate", "rate_std", "cv", "fano", "n_neurons")


def _fano(
    spikes: pd.DataFrame,
    runs: Sequence[int],
    neurons: Mapping[str, int] | None,
    t_start: float,
    t_stop: float,
    window: float,
) -> pd.DataFrame:
    from neuroloom.analysis import fano_factor

    n_windows = int((t_stop - t_start) // window)
    if n_windows < 2 or len(spikes) == 0:
        return pd.DataFrame(columns=["run", "population", "fano"])
    table = fano_factor(
        spikes, t_start, t_stop, method="windows", window=window, per="run", runs=runs, neurons=neurons
    )
    return table[["run", "population", "fano"]]


def run_statistics(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    *,
    runs: Sequence[int] | None = None,
    sizes: Mapping[str, int] | None = None,
    fano_window: float = 50.0,
) -> pd.DataFrame:
    """One row per (run, population): ``rate`` (Hz), ``rate_std``, ``cv``, ``fano``, ``n_neurons``.

    Parameters
    ----------
    spikes
        Spikes table (``run``, ``population``, ``node_id``, ``time`` in ms).
    t_start, t_stop
        Analysis window in ms (leave the initial transient out).
    runs
        Every run to report (runs without spikes get rate 0); default: those in the table.
    sizes
        Population sizes, so that silent neurons count; default: neurons that spiked.
    fano_window
        Counting window (ms) of the Fano factor.
    """
    from neuroloom.analysis import cv_isi, mean_rates

    frame = spikes[["run", "population", "node_id", "time"]].copy()
    frame["population"] = frame["population"].astype(str)
    if sizes is not None:
        frame = frame[frame["population"].isin(list(sizes))]
    run_ids = sorted({int(r) for r in (runs if runs is not None else frame["run"].unique())})
    neurons = dict(sizes) if sizes is not None else None
    if not run_ids:
        return pd.DataFrame(columns=["run", "population", *STAT_COLUMNS])
    if len(frame) == 0:
        if not sizes:
            return pd.DataFrame(columns=["run", "population", *STAT_COLUMNS])
        pops = sorted(sizes)
        return pd.DataFrame(
            {
                "run": np.repeat(run_ids, len(pops)),
                "population": pops * len(run_ids),
                "rate": 0.0,
                "rate_std": 0.0,
                "cv": np.nan,
                "fano": np.nan,
                "n_neurons": [sizes[p] for p in pops] * len(run_ids),
            }
        )
    rates = mean_rates(frame, t_start, t_stop, per="run", runs=run_ids, neurons=neurons)
    rates["population"] = rates["population"].astype(str)
    out = rates[["run", "population", "rate", "rate_std", "n_neurons"]]
    window = frame[(frame["time"] >= t_start) & (frame["time"] < t_stop)]
    if len(window):
        cvs = cv_isi(window, per="run", runs=run_ids, neurons=neurons)
        cvs["population"] = cvs["population"].astype(str)
        out = out.merge(cvs[["run", "population", "cv"]], on=["run", "population"], how="left")
    else:
        out = out.assign(cv=np.nan)
    fano = _fano(frame, run_ids, neurons, t_start, t_stop, fano_window)
    fano["population"] = fano["population"].astype(str)
    out = out.merge(fano, on=["run", "population"], how="left")
    return out[["run", "population", *STAT_COLUMNS]].sort_values(["run", "population"], ignore_index=True)


def results_table(study: Any) -> pd.DataFrame:
    """Per-run table: explored parameters, status and rate/CV/Fano of each population."""
    runs = study.runs
    explored = list(study.catalog.param_names())
    table = runs[["status", *explored]].copy()
    order = {"rate": 0, "cv": 1, "fano": 2}
    names = [n for n in study.catalog.result_names() if n.split("_")[0] in order]
    for name in sorted(names, key=lambda n: (order[n.split("_")[0]], n)):
        values = study.results(name)[name]
        table[name] = pd.to_numeric(values, errors="coerce").reindex(table.index)
    out: pd.DataFrame = table
    return out
