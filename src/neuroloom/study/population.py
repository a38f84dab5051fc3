"""Per-population access to a view (mozaik's segment accessors) and vectorised helpers.

``view.population("exc")`` gives a :class:`PopulationView`: spike trains of
given neuron ids (same order as asked), the ids that spiked or whose signals
were stored, recorded traces, and neuron positions and annotations from the
study's network (SONATA files under ``<study>/network/``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from neuroloom.errors import EmptyDataError, QueryError
from neuroloom.sonata.reports import read_frame_report
from neuroloom.study.recordings import report_file
from neuroloom.study.run import run_folder, run_name

if TYPE_CHECKING:
    from neuroloom.study.query import View

NETWORK_DIR = "network"
Ids = int | Sequence[int] | np.ndarray


def network_nodes(study_path: Path) -> Mapping[str, Any]:
    """``{population: NodePopulation}`` of the network stored under ``<study>/network/`` ({} if none)."""
    folder = study_path / NETWORK_DIR
    if not folder.is_dir():
        return {}
    config = folder / "circuit_config.json"
    if config.is_file():
        from neuroloom.sonata.circuit import Circuit

        return Circuit(config).nodes  # type: ignore[no-any-return]
    from neuroloom.sonata.nodes import open_nodes

    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*nodes*.h5")):
        types = path.with_name(path.name.replace(".h5", "_types.csv").replace("nodes_types", "node_types"))
        storage = open_nodes(path, types if types.is_file() else None)
        out.update({name: storage[name] for name in storage})
    return out


def read_signals(
    study_path: Path,
    runs: Sequence[int],
    population: str,
    variable: str,
    node_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Traces from the runs' frame reports: rows ``(run, node_id)``, columns time in ms."""
    frames = []
    unit = ""
    for idx in runs:
        rep = read_frame_report(run_folder(study_path, idx) / report_file(variable), population, node_ids)
        unit = rep.units
        data = np.asarray(rep.data, dtype=np.float64).T
        index = pd.MultiIndex.from_arrays(
            [np.full(rep.node_ids.size, idx, np.int64), rep.node_ids.astype(np.int64)],
            names=["run", "node_id"],
        )
        frames.append(pd.DataFrame(data, index=index, columns=pd.Index(rep.time_points, name="time")))
    out = pd.concat(frames) if frames else pd.DataFrame()
    out.attrs["unit"] = unit
    out.attrs["variable"] = variable
    out.attrs["population"] = population
    return out


def _population_codes(table: pa.Table) -> tuple[np.ndarray, list[str]]:
    col = table.column("population")
    if col.num_chunks == 0:
        return np.zeros(0, np.int32), []
    arr = col.combine_chunks() if col.num_chunks > 1 else col.chunk(0)
    if isinstance(arr, pa.DictionaryArray):
        return arr.indices.to_numpy(zero_copy_only=False), arr.dictionary.to_pylist()
    codes, uniques = pd.factorize(np.asarray(arr.to_pylist(), dtype=object))
    return codes.astype(np.int32), list(uniques)


def count_runs_with_spike(
    table: pa.Table,
    recorded: pa.Table,
    runs: pd.DataFrame,
    populations: Sequence[str],
    by: Sequence[str],
    t_start: float,
    t_stop: float,
    min_spikes: int,
) -> pd.DataFrame:
    """Runs with at least ``min_spikes`` spikes in ``[t_start, t_stop)`` per population and ``by`` group."""
    if t_stop <= t_start:
        raise QueryError(f"trials_with_spike: t_stop ({t_stop}) must be greater than t_start ({t_start})")
    run_idx = runs.index.to_numpy()
    if by:
        codes, groups = (
            pd.MultiIndex.from_frame(runs[list(by)]).factorize(sort=True)
            if len(by) > 1
            else pd.factorize(runs[by[0]], sort=True)
        )
        labels = (
            pd.DataFrame(list(groups), columns=list(by))
            if len(by) > 1
            else pd.DataFrame({by[0]: np.asarray(groups)})
        )
    else:
        codes, labels = np.zeros(len(runs), np.int64), pd.DataFrame(index=[0])
    n_groups = len(labels)
    rec_kind = recorded.column("kind").to_numpy(zero_copy_only=False)
    rec_pop = recorded.column("population").to_numpy(zero_copy_only=False)
    rec_run = recorded.column("run").to_numpy()
    pop_codes, dictionary = _population_codes(table)
    spike_run = table.column("run").to_numpy()
    times = table.column("time").to_numpy()
    in_window = (times >= t_start) & (times < t_stop)
    rows = []
    for pop in populations:
        trial = np.zeros(len(run_idx), dtype=bool)
        rr = rec_run[(rec_kind == "spikes") & (rec_pop == pop)]
        pos = np.searchsorted(run_idx, rr)
        ok = (
            (pos < len(run_idx)) & (run_idx[np.minimum(pos, len(run_idx) - 1)] == rr)
            if len(run_idx)
            else pos < 0
        )
        trial[pos[ok]] = True
        sel = in_window
        if pop in dictionary:
            sel = in_window & (pop_codes == dictionary.index(pop))
        else:
            sel = np.zeros_like(in_window)
        spos = np.searchsorted(run_idx, spike_run[sel])
        counts = np.bincount(spos, minlength=len(run_idx))[: len(run_idx)]
        hit = trial & (counts >= min_spikes)
        n_trials = np.bincount(codes[trial], minlength=n_groups)
        n_hit = np.bincount(codes[hit], minlength=n_groups)
        block = labels.copy()
        block.insert(0, "population", pop)
        block["n_trials"] = n_trials
        block["n_with_spike"] = n_hit
        rows.append(block[block["n_trials"] > 0])
    if not rows:
        return pd.DataFrame(
            columns=["population", *by, "n_trials", "n_with_spike", "n_without_spike", "fraction"]
        )
    out = pd.concat(rows, ignore_index=True)
    out["n_without_spike"] = out["n_trials"] - out["n_with_spike"]
    out["fraction"] = out["n_with_spike"] / out["n_trials"]
    return out


class PopulationView:
    """Accessors of one population in a view (mozaik's ``MozaikSegment`` calls)."""

    def __init__(self, view: View, name: str) -> None:
        self.view = view
        self.name = name

    def __repr__(self) -> str:
        return f"PopulationView({self.name!r} of {self.view!r})"

    def _run(self, run: int | None) -> int:
        runs = self.view._runs().index
        if run is None:
            if len(runs) != 1:
                raise QueryError(
                    f"{self}: the view holds {len(runs)} runs; pass run=<index> or narrow the view "
                    "(e.g. .filter(st_rate=5.0)) to one run"
                )
            return int(runs[0])
        if int(run) not in set(runs.tolist()):
            raise QueryError(f"{self}: run {run} is not in the view (runs: {runs.tolist()[:10]} ...)")
        return int(run)

    def _spikes(self, run: int) -> tuple[np.ndarray, np.ndarray]:
        table = self.view.filter(run=run).spike_table(("node_id", "time"), params=False)
        return table.column("node_id").to_numpy(), table.column("time").to_numpy()

    def spike_trains(self, ids: Ids, run: int | None = None) -> Any:
        """Spike times (ms) of neuron ``ids``: one array for an int, a list in the same order for a list."""
        nodes, times = self._spikes(self._run(run))
        order = np.lexsort((times, nodes))
        nodes, times = nodes[order], times[order]
        wanted = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        lo = np.searchsorted(nodes, wanted, "left")
        hi = np.searchsorted(nodes, wanted, "right")
        trains = [times[a:b] for a, b in zip(lo.tolist(), hi.tolist())]
        return trains[0] if np.ndim(ids) == 0 else trains

    def spike_ids(self, run: int | None = None) -> np.ndarray:
        """Ids of the neurons that spiked in the run."""
        nodes, _ = self._spikes(self._run(run))
        return np.unique(nodes)

    def signal_ids(self, variable: str, run: int | None = None) -> np.ndarray:
        """Ids of the neurons whose ``variable`` is stored in the run (sorted)."""
        idx = self._run(run)
        summary = self.view.filter(run=idx).signal_summary(variable)
        return np.sort(summary.loc[summary["population"] == self.name, "node_id"].to_numpy())

    def signal(self, variable: str, ids: Ids, run: int | None = None) -> Any:
        """Trace(s) of ``variable`` for ``ids``: one array for an int, a list in the same order for a list."""
        idx = self._run(run)
        wanted = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        rep = read_frame_report(
            run_folder(self.view.study.path, idx) / report_file(variable), self.name, wanted
        )
        stored = rep.node_ids.astype(np.int64)
        missing = sorted(set(wanted.tolist()) - set(stored.tolist()))
        if missing:
            raise QueryError(
                f"{run_name(idx)}: {variable!r} of {self.name!r} is not stored for ids {missing[:10]}"
            )
        col = {int(n): k for k, n in enumerate(stored)}
        data = np.asarray(rep.data, dtype=np.float64)
        traces = [data[:, col[int(i)]] for i in wanted]
        return traces[0] if np.ndim(ids) == 0 else traces

    def _nodes(self) -> Any:
        nodes = network_nodes(self.view.study.path)
        if self.name not in nodes:
            raise EmptyDataError(
                f"{self}: the study has no network population {self.name!r} under "
                f"{self.view.study.path / NETWORK_DIR}; store the network there as SONATA "
                f"(found: {', '.join(nodes) or 'no network'})"
            )
        return nodes[self.name]

    def annotations(self, ids: Ids | None = None) -> pd.DataFrame:
        """Every property of the neurons (all, or ``ids``) from the network, indexed by node id."""
        return self._nodes().get(None if ids is None else np.atleast_1d(ids))  # type: ignore[no-any-return]

    def positions(self, ids: Ids | None = None) -> pd.DataFrame:
        """``x``, ``y`` (and ``z`` when stored) of the neurons, indexed by node id."""
        pop = self._nodes()
        names = [c for c in ("x", "y", "z") if c in pop.property_names]
        if not names:
            raise EmptyDataError(f"{self}: the network population has no x/y/z properties")
        return pop.get(None if ids is None else np.atleast_1d(ids), names)  # type: ignore[no-any-return]
