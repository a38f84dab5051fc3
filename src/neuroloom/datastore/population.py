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

from neuroloom._io.names import NETWORK_DIR as NETWORK_DIR  # re-exported
from neuroloom.errors import EmptyDataError, QueryError
from neuroloom.sonata.reports import read_frame_report
from neuroloom.study.batches import read_batch_signal
from neuroloom.study.recordings import report_file
from neuroloom.study.run import run_folder, run_name

if TYPE_CHECKING:
    from neuroloom.datastore.view import View

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
    node_ids: Sequence[int] | np.ndarray | None = None,
    batches: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """Traces from the runs' frame reports (or their run batches).

    Rows ``(run, node_id)``, columns time in ms.
    """
    frames = []
    unit = ""
    for idx in runs:
        batch = (batches or {}).get(idx)
        if batch is not None:
            ids, data, t0, dt, unit = read_batch_signal(study_path, batch, idx, variable, population)
            keep = np.isin(ids, np.asarray(node_ids, np.int64)) if node_ids is not None else slice(None)
            ids, data = ids[keep], np.asarray(data, np.float64)[:, keep]
            times = t0 + dt * np.arange(data.shape[0])
        else:
            rep = read_frame_report(run_folder(study_path, idx) / report_file(variable), population, node_ids)
            unit = rep.units
            ids, data, times = rep.node_ids, np.asarray(rep.data, dtype=np.float64), rep.time_points
        index = pd.MultiIndex.from_arrays(
            [np.full(ids.size, idx, np.int64), ids.astype(np.int64)], names=["run", "node_id"]
        )
        frames.append(pd.DataFrame(data.T, index=index, columns=pd.Index(times, name="time")))
    out = pd.concat(frames) if frames else pd.DataFrame()
    out.attrs["unit"] = unit
    out.attrs["variable"] = variable
    out.attrs["population"] = population
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
        from neuroloom.datastore.run_tables import run_batches

        batches = run_batches(self.view.study.catalog, [idx])
        frame = read_signals(self.view.study.path, [idx], self.name, variable, wanted, batches)
        stored = frame.index.get_level_values("node_id").to_numpy(np.int64)
        missing = sorted(set(wanted.tolist()) - set(stored.tolist()))
        if missing:
            raise QueryError(
                f"{run_name(idx)}: {variable!r} of {self.name!r} is not stored for ids {missing[:10]}"
            )
        col = {int(n): k for k, n in enumerate(stored)}
        data = frame.to_numpy(dtype=np.float64).T
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
