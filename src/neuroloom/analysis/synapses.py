"""Synapse activation binning by time and a grouping column (ISF's ``synapse_activation_binning``).

A *synapse activation table* has one row per activation with the columns
``run`` (int64) and ``time`` (ms) plus descriptive columns such as
``synapse_type``, ``celltype`` or ``soma_distance``; numeric columns can be cut
into ranges with ``ranges={"soma_distance": [0, 500, 1000, 2000]}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from neuroloom.analysis.binning import bin_edges
from neuroloom.analysis.tables import RunsArg, as_list, check_columns, map_table, split_wide
from neuroloom.errors import AnalysisInputError, EmptyDataError

__all__ = ["activations_from_wide", "synapse_activation_binning"]


def _part(
    frame: pd.DataFrame, by: list[str], ranges: Mapping[str, Sequence[float]], edges: np.ndarray
) -> pd.DataFrame:
    times = frame["time"].to_numpy(dtype=np.float64)
    index = np.searchsorted(edges, times, side="right") - 1
    valid = (index >= 0) & (index < len(edges) - 1)
    window = frame.loc[valid, ["run", *by]].assign(bin=index[valid])
    for column, cuts in ranges.items():
        window[column] = pd.cut(window[column], [float(c) for c in cuts], right=False)
        window = window[window[column].notna()]
    grouped = window.groupby(["run", *by, "bin"], observed=True, sort=False, dropna=False)
    return grouped.size().rename("count").reset_index()


def synapse_activation_binning(
    activations: pd.DataFrame,
    t_start: float,
    t_stop: float,
    bin_size: float,
    *,
    by: str | Iterable[str] = "synapse_type",
    ranges: Mapping[str, Sequence[float]] | None = None,
    per: str = "run",
    runs: RunsArg = None,
) -> pd.DataFrame:
    """Count synapse activations per time bin and group, per run or summed over runs.

    Parameters
    ----------
    activations
        Synapse activation table (pandas or dask).
    t_start, t_stop, bin_size
        Window and bin width in ms; bins are ``[edge, next edge)``.
    by
        Grouping column(s), e.g. ``"synapse_type"`` or ``["celltype", "soma_distance"]``.
    ranges
        Numeric ``by`` columns to cut into ``[a, b)`` ranges at the given edges
        (values outside every range are dropped).
    per
        ``"run"``: one row per run and group (runs without activations get
        zeros, every group that occurs anywhere appears for every run);
        ``"group"``: counts summed over runs, plus the mean per run.
    runs
        Runs to include (array of indices or a DataFrame with ``run``);
        default: those in the table.

    Returns
    -------
    Wide DataFrame of counts: index = (``run``,) + the ``by`` columns, columns
    = bin start times (``bin_start``). With ``per="group"`` the index holds
    only the groups and the values are the mean count per run (float).
    """
    by_cols = as_list(by)
    cut = dict(ranges or {})
    _check_arguments(by_cols, cut, per)
    check_columns(activations, ["run", "time"], by_cols, what="synapse activation")
    edges = bin_edges(t_start, t_stop, bin_size)
    parts, found = map_table(activations, lambda f: _part(f, by_cols, cut, edges), distinct=["run"])
    counts = pd.concat(parts, ignore_index=True)
    summed = counts.groupby(["run", *by_cols, "bin"], observed=True, sort=False, dropna=False)["count"].sum()
    counts = summed.reset_index()
    if runs is None:
        assert found is not None
        run_ids = np.unique(found["run"].to_numpy(dtype=np.int64))
    else:
        raw = runs["run"] if isinstance(runs, pd.DataFrame) else runs
        run_ids = np.unique(np.asarray(raw, dtype=np.int64))
        counts = counts[counts["run"].isin(run_ids)]
    if len(counts) == 0:
        raise EmptyDataError(f"no synapse activation in [{t_start}, {t_stop}) ms for the selected runs")
    return _wide_counts(counts, run_ids, by_cols, edges, per)


def _check_arguments(by_cols: list[str], cut: Mapping[str, Sequence[float]], per: str) -> None:
    """Raise :class:`AnalysisInputError` for an empty ``by``, ``ranges`` outside it, or a wrong ``per``."""
    if not by_cols:
        raise AnalysisInputError("by= must name at least one grouping column (e.g. 'synapse_type')")
    unknown = [c for c in cut if c not in by_cols]
    if unknown:
        raise AnalysisInputError(f"ranges= names {unknown}, which are not in by={by_cols}")
    if per not in ("run", "group"):
        raise AnalysisInputError(f"per= must be 'run' or 'group', got {per!r}")


def _wide_counts(
    counts: pd.DataFrame, run_ids: np.ndarray, by_cols: list[str], edges: np.ndarray, per: str
) -> pd.DataFrame:
    """The long ``counts`` (run, by..., bin, count) as the wide table of the binning."""
    groups = counts[by_cols].drop_duplicates().sort_values(by_cols, ignore_index=True)
    groups["group"] = np.arange(len(groups))
    counts = counts.merge(groups, on=by_cols, how="left")
    n_bins = len(edges) - 1
    run_pos = np.searchsorted(run_ids, counts["run"].to_numpy())
    matrix = np.zeros((len(run_ids), len(groups), n_bins), dtype=np.int64)
    np.add.at(
        matrix, (run_pos, counts["group"].to_numpy(), counts["bin"].to_numpy()), counts["count"].to_numpy()
    )
    columns = pd.Index(edges[:-1], name="bin_start")
    group_frame = groups.drop(columns="group")
    if per == "group":
        index = (
            pd.MultiIndex.from_frame(group_frame) if len(by_cols) > 1 else pd.Index(group_frame[by_cols[0]])
        )
        return pd.DataFrame(matrix.mean(axis=0), index=index, columns=columns)
    index_frame = group_frame.loc[np.tile(np.arange(len(groups)), len(run_ids))].reset_index(drop=True)
    index_frame.insert(0, "run", np.repeat(run_ids, len(groups)))
    return pd.DataFrame(
        matrix.reshape(-1, n_bins), index=pd.MultiIndex.from_frame(index_frame), columns=columns
    )


def activations_from_wide(wide: pd.DataFrame, *, trial_column: str = "trial") -> pd.DataFrame:
    """Convert ISF's wide synapse activation table to the long contract.

    ``wide`` has one row per synapse and trial (index: the trial name),
    descriptive columns (``synapse_type``, ``soma_distance``, ...) and NaN-padded
    activation times in the numeric columns ``0, 1, 2, ...``. Returns one row
    per activation with ``run`` (trials numbered in order of first
    appearance), ``trial_column`` (the trial name), the descriptive columns
    and ``time``.
    """
    info_cols, rows, values = split_wide(wide, "synapse activation")
    codes, labels = pd.factorize(wide.index)
    out = pd.DataFrame({"run": codes[rows].astype(np.int64), trial_column: np.asarray(labels)[codes[rows]]})
    for col in info_cols:
        out[col] = wide[col].to_numpy()[rows]
    out["time"] = values
    return out
