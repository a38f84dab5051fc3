"""Pairwise correlation of binned spike counts for a sample of neurons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.analysis.binning import temporal_binning
from neuroloom.analysis.tables import (
    SPIKE_COLUMNS,
    NeuronsArg,
    RunsArg,
    check_columns,
    is_dask,
    universe,
)
from neuroloom.errors import AnalysisInputError

__all__ = ["SAMPLES_ITS_NEURONS", "pairwise_correlation", "sample_neurons"]


def sample_neurons(
    spikes: pd.DataFrame, n: int, *, neurons: NeuronsArg = None, seed: int | None = 0
) -> pd.DataFrame:
    """Draw ``n`` distinct (population, node_id) neurons without replacement.

    From ``neurons`` when given (silent neurons can be drawn), else from the
    neurons that spike in the table. Returns them sorted.
    """
    if n < 2:
        raise AnalysisInputError(f"a correlation needs a sample of at least 2 neurons, got {n}")
    check_columns(spikes, SPIKE_COLUMNS)
    found: pd.DataFrame | None = None
    if neurons is None:
        distinct: Any = spikes[["population", "node_id"]].drop_duplicates()
        found = distinct.compute() if is_dask(distinct) else distinct
    pool = universe(np.array([0]), neurons, [], "neuron", found)[["population", "node_id"]]
    pool = pool.sort_values(
        ["population", "node_id"], ignore_index=True
    )  # the draw must not depend on row order
    if len(pool) < n:
        raise AnalysisInputError(f"cannot sample {n} neurons: only {len(pool)} are available")
    chosen = np.random.default_rng(seed).choice(len(pool), size=n, replace=False)
    return pool.iloc[np.sort(chosen)].reset_index(drop=True)


def pairwise_correlation(
    spikes: pd.DataFrame,
    t_start: float,
    t_stop: float,
    bin_size: float,
    *,
    sample: int | pd.DataFrame = 100,
    neurons: NeuronsArg = None,
    runs: RunsArg = None,
    binary: bool = False,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Pearson correlation of the binned spike counts of every pair of sampled neurons, per run.

    Parameters
    ----------
    spikes
        Spikes table (pandas or dask).
    t_start, t_stop, bin_size
        Window and bin width in ms.
    sample
        Number of neurons to draw (:func:`sample_neurons`) or a DataFrame of
        ``population``/``node_id`` to use.
    neurons, runs
        Universe to draw from and runs to compute (see
        :mod:`neuroloom.analysis.tables`).
    binary
        Clip counts to 0/1 first (elephant's ``binary=True``).
    seed
        Seed of the draw.

    Returns
    -------
    Long DataFrame, one row per run and unordered pair (i < j): ``run``,
    ``population_i``, ``node_id_i``, ``population_j``, ``node_id_j``, ``r``
    (NaN when a train has no variance, e.g. no spike).
    """
    chosen = (
        sample
        if isinstance(sample, pd.DataFrame)
        else sample_neurons(spikes, sample, neurons=neurons, seed=seed)
    )
    chosen = universe(np.array([0]), chosen, [], "neuron", None)[["population", "node_id"]]
    pops = sorted(set(chosen["population"]))
    spikes = spikes[spikes["population"].astype(str).isin(pops)]  # the sample restricts on purpose
    binned = temporal_binning(spikes, t_start, t_stop, bin_size, per="neuron", runs=runs, neurons=chosen)
    index = binned.index.to_frame(index=False)
    n_neurons = len(chosen)
    n_runs = len(index) // n_neurons
    counts = binned.to_numpy(dtype=np.float64).reshape(n_runs, n_neurons, -1)
    if binary:
        counts = np.minimum(counts, 1.0)
    centred = counts - counts.mean(axis=2, keepdims=True)
    norms = np.sqrt(np.einsum("rnb,rnb->rn", centred, centred))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.einsum("rnb,rmb->rnm", centred, centred) / (norms[:, :, None] * norms[:, None, :])
    i, j = np.triu_indices(n_neurons, k=1)
    first = index.iloc[:n_neurons]
    run_ids = index["run"].to_numpy()[::n_neurons]
    return pd.DataFrame(
        {
            "run": np.repeat(run_ids, len(i)),
            "population_i": np.tile(first["population"].to_numpy()[i], n_runs),
            "node_id_i": np.tile(first["node_id"].to_numpy()[i], n_runs),
            "population_j": np.tile(first["population"].to_numpy()[j], n_runs),
            "node_id_j": np.tile(first["node_id"].to_numpy()[j], n_runs),
            "r": matrix[:, i, j].reshape(-1),
        }
    )


SAMPLES_ITS_NEURONS: frozenset[Callable[..., Any]] = frozenset({pairwise_correlation})
"""Analyses whose ``neurons=`` chooses a sample of neurons, not the neuron universe a view passes."""
