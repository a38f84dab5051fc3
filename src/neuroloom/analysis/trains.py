"""The set of trains an analysis reports on, and the fast mapping of spikes onto it.

A :class:`TrainSet` is every run of the universe times every neuron of the
universe (see :mod:`neuroloom.analysis.tables`), in a fixed order: run-major,
then population and node id. ``locate`` maps spike rows to train positions
with integer searches only (no join, no groupby), so per-train statistics are
``np.bincount`` calls. When the neurons are given per run (a ``run`` column
in ``neurons=``), the set is the product over the union of the neurons and a
``present`` mask marks the trains that exist in their run; tables keep only
those, so every run is measured against its own population sizes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.analysis.tables import (
    TRAIN_KEYS,
    NeuronsArg,
    RunsArg,
    check_populations,
    is_dask,
    neurons_for,
    runs_frame,
)
from neuroloom.errors import AnalysisInputError


def split_by(by: Sequence[str], neurons: NeuronsArg) -> tuple[list[str], list[str]]:
    """``by`` columns split into run-level ones and neuron-level ones (those found in ``neurons``)."""
    neuron_cols = [c for c in by if isinstance(neurons, pd.DataFrame) and c in neurons.columns]
    run_cols = [c for c in by if c not in TRAIN_KEYS and c not in neuron_cols]
    return run_cols, neuron_cols


def population_codes(column: pd.Series, names: np.ndarray) -> np.ndarray:
    """Index of every row's population in the sorted array ``names`` (-1 when absent)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        uniques = np.asarray(column.cat.categories.astype(str), dtype=object)
    else:
        codes, found = pd.factorize(column)
        uniques = np.asarray(pd.Index(found).astype(str), dtype=object)
    where = np.searchsorted(names, uniques) if len(names) else np.zeros(len(uniques), np.int64)
    safe = np.minimum(where, max(len(names) - 1, 0))
    known = (where < len(names)) & (names[safe] == uniques) if len(names) else np.zeros(len(uniques), bool)
    mapping = np.append(np.where(known, where, -1), -1)  # code -1 (missing) maps to the last entry
    return mapping[codes].astype(np.int64)


def distinct_pieces(frame: pd.DataFrame, run_cols: list[str], need_runs: bool, need_neurons: bool) -> Any:
    """First row of every run (with ``run_cols``) and every distinct (population, node_id) of a frame."""
    runs = neurons = None
    if need_runs:
        _, first = np.unique(frame["run"].to_numpy(), return_index=True)
        runs = frame[["run", *run_cols]].iloc[first]
    if need_neurons:
        column = frame["population"]
        is_cat = isinstance(column.dtype, pd.CategoricalDtype)
        codes = column.cat.codes.to_numpy() if is_cat else pd.factorize(column)[0]
        nodes = frame["node_id"].to_numpy(dtype=np.int64)
        stride = int(nodes.max()) + 1 if len(nodes) else 1
        _, first = np.unique(codes.astype(np.int64) * stride + nodes, return_index=True)
        neurons = frame[["population", "node_id"]].iloc[first]
    return runs, neurons


class TrainSet:
    """Every (run, neuron) train of the universe, in run-major order."""

    present: np.ndarray | None

    def __init__(
        self, runs: pd.DataFrame, neurons: pd.DataFrame, run_cols: list[str], neuron_cols: list[str]
    ):
        per_run = neurons if "run" in neurons.columns else None
        if per_run is not None:
            neurons = per_run.drop(columns="run").drop_duplicates(subset=["population", "node_id"])
        if not (np.diff(runs["run"].to_numpy()) > 0).all():
            runs = runs.sort_values("run", kind="stable", ignore_index=True)
        self.runs = runs
        if len(neurons) > 1:
            neurons = neurons.sort_values(["population", "node_id"], kind="stable", ignore_index=True)
        self.neurons = neurons
        self.run_cols, self.neuron_cols = run_cols, neuron_cols
        self.run_ids = self.runs["run"].to_numpy(dtype=np.int64)
        self.pop_names = np.asarray(pd.unique(neurons["population"]), dtype=object)
        self.pop_of_neuron = np.searchsorted(self.pop_names, neurons["population"].to_numpy(dtype=object))
        nodes = neurons["node_id"].to_numpy(dtype=np.int64)
        if len(nodes) and nodes.min() < 0:
            raise AnalysisInputError("neurons= holds negative node ids; SONATA node ids start at 0")
        self.stride = int(nodes.max()) + 1 if len(nodes) else 1
        self.neuron_keys = self.pop_of_neuron.astype(np.int64) * self.stride + nodes
        self.pop_starts = np.searchsorted(self.pop_of_neuron, np.arange(len(self.pop_names)))
        self.present = None
        if per_run is not None:
            where, ok = self.locate(per_run)
            present = np.zeros(self.n_runs * self.n_neurons, dtype=bool)
            present[where[ok]] = True
            self.present = present

    @property
    def n_runs(self) -> int:
        return len(self.run_ids)

    @property
    def n_neurons(self) -> int:
        return len(self.neuron_keys)

    def locate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Train position of every row and a mask of the rows that belong to the universe."""
        run = frame["run"].to_numpy(dtype=np.int64)
        run_pos = np.searchsorted(self.run_ids, run)
        ok = run_pos < self.n_runs
        ok &= self.run_ids[np.minimum(run_pos, self.n_runs - 1)] == run
        pop = population_codes(frame["population"], self.pop_names)
        node = frame["node_id"].to_numpy(dtype=np.int64)
        ok &= (pop >= 0) & (node >= 0) & (node < self.stride)
        key = pop * self.stride + node
        neuron_pos = np.searchsorted(self.neuron_keys, key)
        ok &= neuron_pos < self.n_neurons
        ok &= self.neuron_keys[np.minimum(neuron_pos, self.n_neurons - 1)] == key
        where = run_pos * self.n_neurons + neuron_pos
        if self.present is not None:
            ok &= self.present[np.where(ok, where, 0)]
        return where, ok

    def check_populations(self, frame: pd.DataFrame) -> None:
        """Refuse rows of populations outside the universe (see :func:`check_populations`)."""
        pop = population_codes(frame["population"], self.pop_names)
        if (pop < 0).any():
            check_populations(pd.unique(frame["population"].astype(str)), self.neurons)

    def keep(self, table: pd.DataFrame) -> pd.DataFrame:
        """Rows of a per-train table (``neuron_table`` order) whose train exists in its run."""
        if self.present is None:
            return table
        return table[self.present].reset_index(drop=True)

    def keep_populations(self, table: pd.DataFrame) -> pd.DataFrame:
        """Rows of a ``population_table`` whose population has neurons in that run."""
        if self.present is None:
            return table
        return table[table["n_neurons"].to_numpy() > 0].reset_index(drop=True)

    def neuron_table(self, by: Sequence[str]) -> pd.DataFrame:
        """One row per train: ``run``, ``population``, ``node_id`` and the ``by`` columns."""
        n_runs, n_neurons = self.n_runs, self.n_neurons
        data: dict[str, Any] = {
            "run": np.repeat(self.run_ids, n_neurons),
            "population": pd.Categorical.from_codes(
                np.tile(self.pop_of_neuron, n_runs), pd.Index(self.pop_names)
            ),
            "node_id": np.tile(self.neurons["node_id"].to_numpy(dtype=np.int64), n_runs),
        }
        for col in by:
            if col in self.run_cols:
                data[col] = np.repeat(self.runs[col].to_numpy(), n_neurons)
            elif col in self.neuron_cols:
                data[col] = np.tile(self.neurons[col].to_numpy(), n_runs)
        return pd.DataFrame(data)

    def population_table(self, by: Sequence[str]) -> pd.DataFrame:
        """One row per (run, population) with the run-level ``by`` columns and ``n_neurons``."""
        n_runs, n_pops = self.n_runs, len(self.pop_names)
        data: dict[str, Any] = {
            "run": np.repeat(self.run_ids, n_pops),
            "population": pd.Categorical.from_codes(
                np.tile(np.arange(n_pops), n_runs), pd.Index(self.pop_names)
            ),
        }
        for col in by:
            if col in self.run_cols:
                data[col] = np.repeat(self.runs[col].to_numpy(), n_pops)
        if self.present is None:
            data["n_neurons"] = np.tile(np.bincount(self.pop_of_neuron, minlength=n_pops), n_runs)
        else:
            data["n_neurons"] = self.per_population(self.present.astype(np.int64))
        return pd.DataFrame(data)

    def per_population(self, per_train: np.ndarray) -> np.ndarray:
        """Sum a per-train array (length n_runs * n_neurons) over the neurons of each population."""
        matrix = per_train.reshape(self.n_runs, self.n_neurons)
        return np.add.reduceat(matrix, self.pop_starts, axis=1).reshape(-1)


def train_set(
    spikes: Any, runs: RunsArg, neurons: NeuronsArg, by: Sequence[str], pieces: Any = None
) -> TrainSet:
    """Build the :class:`TrainSet` of a pandas table (``pieces=None``) or from gathered pieces."""
    run_cols, neuron_cols = split_by(by, neurons)
    if pieces is None and (runs is None or neurons is None):
        pieces = distinct_pieces(spikes, run_cols, runs is None, neurons is None)
    found_runs, found_neurons = pieces if pieces is not None else (None, None)
    run_frame = runs_frame(runs, found_runs, run_cols)
    neuron_frame = neurons_for(runs, neurons, found_neurons, neuron_cols)
    return TrainSet(run_frame, neuron_frame, run_cols, neuron_cols)


def gather_pieces(outputs: list[Any]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Combine per-partition :func:`distinct_pieces` outputs."""
    runs = [r for r, _ in outputs if r is not None]
    neurons = [n for _, n in outputs if n is not None]
    run_frame = pd.concat(runs, ignore_index=True).drop_duplicates(subset="run") if runs else None
    neuron_frame = pd.concat(neurons, ignore_index=True).drop_duplicates() if neurons else None
    if neuron_frame is not None:
        neuron_frame = neuron_frame.assign(
            population=neuron_frame["population"].astype(str)
        ).drop_duplicates()
    return run_frame, neuron_frame


__all__ = ["TrainSet", "distinct_pieces", "gather_pieces", "is_dask", "split_by", "train_set"]
