"""Per-population access to a view (mozaik's segment accessors) and vectorised helpers.

``view.population("exc")`` gives a :class:`PopulationView`: spike trains of
given neuron ids (same order as asked), the ids that spiked or whose signals
were stored, recorded traces, and neuron positions and annotations from the
study's network (SONATA files under ``<study>/network/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from neuroloom._io.names import NETWORK_DIR as NETWORK_DIR  # re-exported
from neuroloom.datastore.study_files import network_nodes, read_signals
from neuroloom.errors import EmptyDataError, QueryError
from neuroloom.study.run import run_name

if TYPE_CHECKING:
    from neuroloom.datastore.protocol import RunsOfView

Ids = int | Sequence[int] | np.ndarray


class PopulationView:
    """Accessors of one population in a view (mozaik's ``MozaikSegment`` calls)."""

    def __init__(self, view: RunsOfView, name: str) -> None:
        self.view = view
        self.name = name

    def __repr__(self) -> str:
        return f"PopulationView({self.name!r} of {self.view!r})"

    def _run(self, run: int | None) -> int:
        runs = self.view.run_indices()
        if run is None:
            if len(runs) != 1:
                raise QueryError(
                    f"{self}: the view holds {len(runs)} runs; pass run=<index> or narrow the view "
                    "(e.g. .filter(st_rate=5.0)) to one run"
                )
            return int(runs[0])
        if int(run) not in set(runs):
            raise QueryError(f"{self}: run {run} is not in the view (runs: {runs[:10]} ...)")
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
