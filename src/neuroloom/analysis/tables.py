"""The spikes table contract, its validation and the map-reduce engine.

A *spikes table* is a pandas (or dask) DataFrame with one row per spike and
the columns ``run`` (int64 run index), ``population`` (str or category),
``node_id`` (int64) and ``time`` (float64, ms), plus any run parameter columns
(``st_stim``, ``st_input.rate``, ...), constant within a run. Run parameters
are spelled ``st_<name>`` (see :mod:`neuroloom.analysis` and
``docs/columns.md``); ``by=`` resolves ``st_rate`` to the table's
``st_input.rate`` when that suffix is unique.

Silent trains
-------------
A table only lists spikes, so a neuron (or a whole run) that never spiked is
absent from it. The analysis functions therefore work on a *universe* of
trains that may spike:

- ``runs``: the runs to count. ``None`` means the runs that appear in the
  table; an array of run indices or a DataFrame with a ``run`` column (and
  run parameters such as ``stim``, so silent runs still fall into their group)
  adds the runs without spikes. A View's ``view.runs`` also says which
  populations each run recorded, at which size (:mod:`neuroloom.analysis.recorded`):
  with it and no ``neurons=``, the universe is what each run recorded, the
  View's own definition (a trial of a population is a run that recorded it),
  for the populations present in the table.
- ``neurons``: the neurons to count. ``None`` means every (population,
  node_id) that spikes at least once somewhere in the table; a mapping
  ``{population: size}`` (node ids ``0..size-1``), ``{population: ids}`` or a
  DataFrame with ``population`` and ``node_id`` (or ``size``) columns adds
  silent neurons. A DataFrame with a ``run`` column gives every run its OWN
  neurons (``run, population, size`` when the network size is explored, or
  ``run, population, node_id``): a run then reports only the populations and
  neurons listed for it, and rates divide by that run's size.

Spikes of a population that ``neurons=`` does not name are refused (an
:class:`~neuroloom.errors.AnalysisInputError`), instead of being dropped: a
universe that misses the recorded populations would otherwise report zeros.
Spikes of node ids outside a named population's ids are left out.

Each train of the universe (every run x every neuron) gets a row in the
results: count 0 and rate 0 for a silent one, NaN for statistics that need
spikes (ISI, CV).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from neuroloom.analysis.recorded import Recorded, recorded_of
from neuroloom.errors import AnalysisInputError, EmptyDataError

SPIKE_COLUMNS: tuple[str, ...] = ("run", "population", "node_id", "time")
TRAIN_KEYS: tuple[str, ...] = ("run", "population", "node_id")
Per = Literal["run", "neuron"]
RunsArg = pd.DataFrame | Sequence[int] | np.ndarray | None
NeuronsArg = pd.DataFrame | Mapping[str, int | Sequence[int] | np.ndarray] | None
T = TypeVar("T")

PARAM_PREFIX = "st_"
"""Prefix of every run parameter column (mozaik's ``st_``): ``st_rate`` never clashes with ``rate``."""

OUTPUT_COLUMNS: frozenset[str] = frozenset(
    {
        "bin",
        "bin_start",
        "bin_stop",
        "count",
        "count_mean",
        "count_var",
        "cv",
        "fano",
        "fraction",
        "isi",
        "isi_mean",
        "isi_std",
        "n_isi",
        "n_neurons",
        "n_spikes",
        "n_trains",
        "n_trials",
        "n_windows",
        "n_with_spike",
        "n_without_spike",
        "rate",
        "rate_std",
        "time",
    }
)
"""Columns the analyses write; a ``by=`` column may not carry one of these names."""


def is_dask(table: object) -> bool:
    """Return whether ``table`` is a dask DataFrame (without importing dask)."""
    return type(table).__module__.split(".")[0] in {"dask", "dask_expr"} and hasattr(table, "npartitions")


def as_list(by: str | Iterable[str] | None) -> list[str]:
    """Normalise a ``by=`` argument to a list of column names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def param_column(name: str) -> str:
    """The column of run parameter ``name`` (``input.rate`` -> ``st_input.rate``)."""
    return name if name.startswith(PARAM_PREFIX) else PARAM_PREFIX + name


def resolve_column(columns: Iterable[Any], name: str, *, what: str = "spikes", where: str = "by=") -> str:
    """The column of ``columns`` that ``name`` designates (``by=``, ``x=``, ``y=``).

    A name present as a column is itself. ``st_<key>`` also finds the one run
    parameter column whose name with ``_`` for ``.`` is ``st_<key>``
    (``st_input_rate``), or whose last dotted part is ``<key>`` (``st_rate``
    for ``st_input.rate``), as ``study.filter`` does.

    Raises
    ------
    AnalysisInputError
        When nothing (or more than one column) matches; the message lists the
        run parameter columns and, for a bare name whose ``st_`` form exists,
        says to use that spelling.
    """
    names = [str(c) for c in columns]
    if name in names:
        return name
    params = [c[len(PARAM_PREFIX) :] for c in names if c.startswith(PARAM_PREFIX)]
    if name.startswith(PARAM_PREFIX):
        key = name[len(PARAM_PREFIX) :]
        for found in (
            [p for p in params if p.replace(".", "_") == key],
            [p for p in params if p.rsplit(".", 1)[-1] == key],
        ):
            if len(found) == 1:
                return PARAM_PREFIX + found[0]
            if len(found) > 1:
                raise AnalysisInputError(
                    f"{name!r} matches several run parameter columns of the {what} table: "
                    f"{[PARAM_PREFIX + p for p in found]}; give the full name"
                )
    hint = ""
    bare = [p for p in params if name in (p, p.replace(".", "_"), p.rsplit(".", 1)[-1])]
    if bare and not name.startswith(PARAM_PREFIX):
        hint = (
            f" Run parameters are spelled {PARAM_PREFIX}<name>: write {PARAM_PREFIX + bare[0]!r}"
            " (docs/columns.md)."
        )
    kind = "grouping column(s)" if where == "by=" else "column(s)"
    raise AnalysisInputError(
        f"unknown {kind} [{name!r}] in {where}; the {what} table has the columns {names}.{hint}"
    )


def by_columns(table: Any, by: str | Iterable[str] | None, *, what: str = "spikes") -> list[str]:
    """Resolve a ``by=`` argument against the table's columns (see :func:`resolve_column`).

    Raises
    ------
    AnalysisInputError
        For an unknown name, or one that is also an output column of the
        analyses (``rate``, ``count``, ``n_trials``, ...): a run parameter
        column must be spelled ``st_<name>``.
    """
    names = as_list(by)
    if not names or not (isinstance(table, pd.DataFrame) or is_dask(table)):
        return names
    resolved = [resolve_column(table.columns, n, what=what) for n in names]
    clash = [c for c in resolved if c in OUTPUT_COLUMNS]
    if clash:
        raise AnalysisInputError(
            f"by= names {clash}, which the analysis also writes as output column(s); run parameter "
            f"columns are spelled {PARAM_PREFIX}<name>: rename them first, e.g. "
            f"table.rename(columns={{{clash[0]!r}: {param_column(clash[0])!r}}}) and pass "
            f"by={param_column(clash[0])!r}"
        )
    return list(dict.fromkeys(resolved))


def check_columns(
    table: Any, required: Iterable[str], by: Iterable[str] = (), *, what: str = "spikes"
) -> None:
    """Raise :class:`AnalysisInputError` if a required or grouping column is missing."""
    if not (isinstance(table, pd.DataFrame) or is_dask(table)):
        raise AnalysisInputError(
            f"the {what} table must be a pandas or dask DataFrame, got {type(table).__name__}; "
            f"build one with the columns {', '.join(required)}"
        )
    columns = list(table.columns)
    missing = [c for c in required if c not in columns]
    if missing:
        raise AnalysisInputError(
            f"the {what} table lacks the column(s) {missing}; it has {columns}. "
            f"A {what} table needs {list(required)}"
        )
    unknown = [c for c in by if c not in columns]
    if unknown:
        raise AnalysisInputError(
            f"unknown grouping column(s) {unknown} in by=; the {what} table has the columns {columns}"
        )


def check_times(frame: pd.DataFrame, column: str = "time", *, what: str = "spikes") -> None:
    """Raise :class:`AnalysisInputError` on NaN or negative times in a pandas frame."""
    times = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(times)
    if nan.any():
        raise AnalysisInputError(
            f"{int(nan.sum())} NaN value(s) in the column {column!r} of the {what} table; "
            f"drop them (table.dropna(subset=[{column!r}])) before the analysis"
        )
    negative = times < 0
    if negative.any():
        raise AnalysisInputError(
            f"{int(negative.sum())} negative value(s) in the column {column!r} of the {what} table "
            f"(first {times[negative][0]!r}); times are in ms from the start of the run"
        )


def check_window(t_start: float, t_stop: float) -> tuple[float, float]:
    """Validate a ``[t_start, t_stop)`` window in ms and return it as floats."""
    start, stop = float(t_start), float(t_stop)
    if not (np.isfinite(start) and np.isfinite(stop)) or start < 0 or stop <= start:
        raise AnalysisInputError(
            f"invalid time window [{t_start!r}, {t_stop!r}) ms: need 0 <= t_start < t_stop, both finite"
        )
    return start, stop


def in_window(frame: pd.DataFrame, t_start: float | None, t_stop: float | None) -> pd.DataFrame:
    """Rows of ``frame`` whose ``time`` lies in ``[t_start, t_stop)`` (``None``: unbounded)."""
    if t_start is None and t_stop is None:
        return frame
    times = frame["time"].to_numpy()
    mask = np.ones(len(times), dtype=bool)
    if t_start is not None:
        mask &= times >= t_start
    if t_stop is not None:
        mask &= times < t_stop
    return frame[mask]


def keys_for(per: str, by: Iterable[str]) -> list[str]:
    """Grouping keys: the train keys for ``per`` followed by the extra ``by`` columns."""
    if per == "neuron":
        base = list(TRAIN_KEYS)
    elif per == "run":
        base = ["run", "population"]
    else:
        raise AnalysisInputError(f"per= must be 'run' or 'neuron', got {per!r}")
    return base + [c for c in by if c not in base]


def _guarded(part: pd.DataFrame, fn: Callable[[pd.DataFrame], T], columns: list[str]) -> tuple[int, T, Any]:
    check_times(part)
    distinct = part[columns].drop_duplicates() if columns else None
    return len(part), fn(part), distinct


def map_table(
    table: Any,
    fn: Callable[[pd.DataFrame], T],
    *,
    shuffle_on: Sequence[str] | None = None,
    distinct: Sequence[str] = (),
) -> tuple[list[T], pd.DataFrame | None]:
    """Apply ``fn`` to a pandas table or to every partition of a dask table.

    Every partition is checked (no NaN or negative time) and the table must
    hold at least one row. ``shuffle_on`` first moves all rows with equal
    values of those columns into the same dask partition (needed for ISIs).
    ``distinct`` names columns whose distinct value combinations are gathered
    in the same pass (used to build the universe of runs and neurons).
    Returns the list of per-partition results and the distinct frame.
    """
    cols = list(distinct)
    if not is_dask(table):
        if len(table) == 0:
            raise EmptyDataError("the spikes table is empty: there is nothing to analyse (check the filter)")
        check_times(table)
        found = table[cols].drop_duplicates() if cols else None
        return [fn(table)], found
    dask: Any = importlib.import_module("dask")
    if shuffle_on:
        table = table.shuffle(on=list(shuffle_on))
    parts = table.to_delayed()
    outputs = dask.compute(*[dask.delayed(_guarded)(part, fn, cols) for part in parts])
    if sum(n for n, _, _ in outputs) == 0:
        raise EmptyDataError("the spikes table is empty: there is nothing to analyse (check the filter)")
    found = pd.concat([d for _, _, d in outputs], ignore_index=True).drop_duplicates() if cols else None
    return [r for _, r, _ in outputs], found


def runs_frame(runs: RunsArg, found: pd.DataFrame | None, run_cols: list[str]) -> pd.DataFrame:
    if runs is None:
        assert found is not None
        return found[["run", *run_cols]].drop_duplicates(subset="run").reset_index(drop=True)
    if isinstance(runs, pd.DataFrame):
        if "run" not in runs.columns and runs.index.name == "run":
            runs = runs.reset_index()  # view.runs: the run index is the frame's index
        missing = [c for c in ["run", *run_cols] if c not in runs.columns]
        if missing:
            raise AnalysisInputError(
                f"runs= lacks the column(s) {missing} (it has {list(runs.columns)}); a runs table needs "
                "'run' (a column or the index, as view.runs) and every run-level grouping column named "
                "in by="
            )
        frame = runs[["run", *run_cols]]
        ids = frame["run"].to_numpy(dtype=np.int64)
        if not (np.diff(ids) > 0).all():
            _, first = np.unique(ids, return_index=True)
            frame = frame.iloc[first]
        return frame.reset_index(drop=True)
    if run_cols:
        raise AnalysisInputError(
            f"by= names the run parameter(s) {run_cols}; pass runs= as a DataFrame holding them "
            "(e.g. view.runs) so that runs without spikes get their group, or leave runs=None"
        )
    ids = np.unique(np.asarray(runs, dtype=np.int64))
    return pd.DataFrame({"run": ids})


def expand_sizes(frame: pd.DataFrame, size_col: str) -> pd.DataFrame:
    """Rows ``(..., population, size)`` -> one row per neuron ``(..., node_id)``, ids 0..size-1."""
    sizes = frame[size_col].to_numpy()
    if len(sizes) and (np.any(sizes < 0) or not np.all(np.equal(np.mod(sizes, 1), 0))):
        raise AnalysisInputError(f"neurons= column {size_col!r} must hold whole numbers >= 0")
    sizes = sizes.astype(np.int64)
    starts = np.cumsum(sizes) - sizes
    node_ids = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(starts, sizes)
    out = frame.drop(columns=size_col).loc[frame.index.repeat(sizes)].reset_index(drop=True)
    return out.assign(node_id=node_ids)


def _neurons_table(neurons: pd.DataFrame, neuron_cols: list[str]) -> pd.DataFrame:
    per_run = ["run"] if "run" in neurons.columns else []
    size_col = next((c for c in ("size", "n_neurons") if c in neurons.columns), None)
    if "node_id" not in neurons.columns and size_col is not None:
        neurons = expand_sizes(neurons[[*per_run, "population", size_col, *neuron_cols]], size_col)
    missing = [c for c in ("population", "node_id") if c not in neurons.columns]
    if missing:
        raise AnalysisInputError(
            f"neurons= lacks the column(s) {missing} (it has {list(neurons.columns)}); a neurons table "
            "needs 'population' and 'node_id' (or 'size'), plus 'run' for one universe per run"
        )
    frame = neurons[[*per_run, "population", "node_id", *neuron_cols]]
    if per_run:
        frame = frame.assign(run=frame["run"].to_numpy(dtype=np.int64))
    return frame


def neurons_frame(neurons: NeuronsArg, found: pd.DataFrame | None, neuron_cols: list[str]) -> pd.DataFrame:
    """The neuron universe: ``population``, ``node_id`` (+ ``run`` when it is given per run)."""
    if neurons is None:
        assert found is not None
        frame = found[["population", "node_id", *neuron_cols]]
    elif isinstance(neurons, pd.DataFrame):
        frame = _neurons_table(neurons, neuron_cols)
    elif isinstance(neurons, Mapping):
        pieces = []
        for name, spec in neurons.items():
            ids = (
                np.arange(int(spec), dtype=np.int64)
                if isinstance(spec, (int, np.integer))
                else np.asarray(spec, np.int64)
            )
            pieces.append(pd.DataFrame({"population": str(name), "node_id": ids}))
        if not pieces:
            raise AnalysisInputError("neurons= is an empty mapping; give {population: size or node ids}")
        frame = pd.concat(pieces, ignore_index=True)
    else:
        raise AnalysisInputError(
            "neurons= must be None, a mapping {population: size or node ids} or a DataFrame with "
            "'population' and 'node_id' (or 'size') columns, and 'run' for per-run sizes; got "
            f"{type(neurons).__name__}"
        )
    subset = [*(["run"] if "run" in frame.columns else []), "population", "node_id"]
    frame = frame.drop_duplicates(subset=subset).reset_index(drop=True)
    return frame.assign(population=frame["population"].astype(str), node_id=frame["node_id"].astype(np.int64))


def check_populations(spiking: Iterable[Any], frame: pd.DataFrame) -> None:
    """Refuse spikes of populations the neuron universe does not name (they would be dropped)."""
    named = set(frame["population"].astype(str))
    extra = sorted({str(p) for p in spiking} - named)
    if extra:
        raise AnalysisInputError(
            f"the spikes include population(s) {extra} that neurons= does not name (it names "
            f"{sorted(named)}); their spikes would be dropped. Add them to neurons=, or select the "
            "populations first (view.filter(population=...) or table[table.population.isin([...])])"
        )


def recorded_neurons(recorded: Recorded, seen: pd.DataFrame | None) -> pd.DataFrame:
    """The per-run neuron universe ``run, population, node_id`` of what a View's runs recorded.

    A population of known size has node ids ``0..size-1``; one of unknown size
    has the node ids that spike somewhere in ``seen`` (``population, node_id``).
    Only populations present in ``seen`` count: a table cut down to some
    populations is not reported with the others as silent.
    """
    pairs = recorded.frame()
    if seen is not None:
        pairs = pairs[pairs["population"].isin(set(seen["population"].astype(str)))]
    known = pairs[pairs["size"] >= 0]
    frames = [expand_sizes(known, "size")] if len(known) else []
    unknown = pairs.loc[pairs["size"] < 0, ["run", "population"]]
    if len(unknown) and seen is not None:
        nodes = seen[["population", "node_id"]].astype({"population": str}).drop_duplicates()
        frames.append(unknown.merge(nodes, on="population", how="inner"))
    if not frames:
        empty = np.zeros(0, np.int64)
        return pd.DataFrame({"run": empty, "population": np.zeros(0, object), "node_id": empty})
    out = pd.concat(frames, ignore_index=True)
    return out.assign(population=out["population"].astype(str), node_id=out["node_id"].astype(np.int64))


def neurons_for(
    runs: RunsArg, neurons: NeuronsArg, found: pd.DataFrame | None, neuron_cols: list[str]
) -> pd.DataFrame:
    """The neuron universe: ``neurons=`` as given, else what a View's ``runs=`` recorded, else ``found``."""
    recorded = recorded_of(runs) if neurons is None else None
    if recorded is not None:  # a View's runs: each run's own recorded populations and sizes
        return recorded_neurons(recorded, found)
    return neurons_frame(neurons, found, neuron_cols)


def universe_columns(runs: RunsArg, neurons: NeuronsArg, by: Sequence[str]) -> list[str]:
    """Columns to gather from the table to build the universe (those not supplied by the caller)."""
    neuron_cols = [c for c in by if isinstance(neurons, pd.DataFrame) and c in neurons.columns]
    run_cols = [c for c in by if c not in TRAIN_KEYS and c not in neuron_cols]
    cols: list[str] = []
    if runs is None:
        cols += ["run", *run_cols]
    if neurons is None:
        cols += ["population", "node_id", *[c for c in neuron_cols if c not in cols]]
    return list(dict.fromkeys(cols))


def universe(
    runs: RunsArg, neurons: NeuronsArg, by: Sequence[str], per: str, found: pd.DataFrame | None
) -> pd.DataFrame:
    """Every train (run x neuron, or run x population) that may spike, with its ``by`` columns.

    ``found`` holds the distinct values of :func:`universe_columns` seen in the
    table. By columns found in ``neurons`` are neuron-level; the others are
    run-level and come from ``runs`` (or from the table when ``runs`` is None).
    """
    neuron_cols = [c for c in by if isinstance(neurons, pd.DataFrame) and c in neurons.columns]
    run_cols = [c for c in by if c not in TRAIN_KEYS and c not in neuron_cols]
    run_frame = runs_frame(runs, found, run_cols)
    neuron_frame = neurons_for(runs, neurons, found, neuron_cols)
    per_run = "run" in neuron_frame.columns
    if per == "run":
        subset = ["run", "population"] if per_run else ["population"]
        neuron_frame = neuron_frame.drop(columns="node_id").drop_duplicates(subset=subset)
    if per_run:
        return run_frame.merge(neuron_frame, on="run", how="inner")
    return run_frame.merge(neuron_frame, how="cross")


def align_keys(
    values: pd.DataFrame, full: pd.DataFrame, keys: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give the key columns of ``values`` and of the universe ``full`` mergeable dtypes."""
    values = values.assign(population=values["population"].astype(str))
    for col in keys:
        if col in full.columns and col in values.columns and full[col].dtype != values[col].dtype:
            if pd.api.types.is_numeric_dtype(full[col]) and pd.api.types.is_numeric_dtype(values[col]):
                continue
            full = full.assign(**{col: full[col].astype(values[col].dtype)})
    return values, full


def fill_universe(
    values: pd.DataFrame, full: pd.DataFrame, keys: list[str], fill: Mapping[str, Any]
) -> pd.DataFrame:
    """Left-join ``values`` (one row per key) onto the universe ``full``; fill silent trains."""
    values, full = align_keys(values, full, keys)
    merged = full[keys].merge(values, on=keys, how="left", validate="one_to_one")
    return merged.fillna(dict(fill))


def split_wide(wide: pd.DataFrame, what: str) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Split an in_silico_framework wide table (NaN-padded times in columns ``0, 1, ...``).

    Returns ``(other_columns, rows, times)``: the non-time column names, and for
    every time present its row position in ``wide`` and its value (row order).

    Raises
    ------
    EmptyDataError, AnalysisInputError
        If the table is empty or has no numeric time columns.
    """
    if len(wide) == 0:
        raise EmptyDataError(f"the wide {what} table is empty")
    time_cols = [c for c in wide.columns if pd.api.types.is_number(c) or str(c).isdigit()]
    if not time_cols:
        raise AnalysisInputError(
            f"no {what} columns (0, 1, 2, ...) in the wide table; it has {list(wide.columns)}"
        )
    other = [c for c in wide.columns if c not in time_cols]
    times = wide[time_cols].to_numpy(dtype=np.float64, na_value=np.nan)
    rows, cols = np.nonzero(~np.isnan(times))
    return other, rows, times[rows, cols]


def from_wide_times(
    wide: pd.DataFrame, *, population: str = "cell", node_id: int = 0, run_column: str = "sim_trial_index"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert an in_silico_framework-style wide spike-time table to the long contract.

    ``wide`` has one row per trial (index: the trial name) and NaN-padded spike
    times in its numeric columns (``0, 1, 2, ...``); other columns (e.g.
    ``stim``) are trial parameters. Returns ``(spikes, runs)``: the long spikes
    table (runs numbered in row order, parameter columns carried along as
    ``st_<name>``, e.g. ``st_stim``) and the runs table (``run``,
    ``run_column`` holding the index, the ``st_`` parameters), which keeps the
    trials that never spiked.
    """
    param_cols, rows, values = split_wide(wide, "spike-time")
    run_ids = np.arange(len(wide), dtype=np.int64)
    runs = pd.DataFrame({"run": run_ids, run_column: wide.index.to_numpy()})
    for col in param_cols:
        runs[param_column(str(col))] = wide[col].to_numpy()
    spikes = pd.DataFrame(
        {
            "run": run_ids[rows],
            "population": pd.Categorical.from_codes(np.zeros(len(rows), np.int8), pd.Index([population])),
            "node_id": np.full(len(rows), node_id, dtype=np.int64),
            "time": values,
        }
    )
    for col in param_cols:
        spikes[param_column(str(col))] = runs[param_column(str(col))].to_numpy()[rows]
    check_times(spikes)
    return spikes, runs
