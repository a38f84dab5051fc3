"""One run of a study in one object: ``study.run_view(13)`` (pypet's ``traj.v_idx = 13``).

>>> rv = study.run_view(13)                        # doctest: +SKIP
>>> rv.params.neuron.tau_m, rv.params["R_ee"]       # doctest: +SKIP
>>> rv.results["z"], rv.spikes(), rv.signals("exc", "v")  # doctest: +SKIP
>>> print(rv.log)                                   # doctest: +SKIP
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import pandas as pd

from neuroloom.errors import StudyError
from neuroloom.params.tree import Namespace
from neuroloom.params.units import join

if TYPE_CHECKING:
    from neuroloom.datastore.view import View
    from neuroloom.study.study import StudyCore


class RunView:
    """Parameters, results, recordings and log of one run (read-only).

    Attributes
    ----------
    index, name, id, status
        As in ``study.runs``.
    params
        Every parameter's value in this run (explored ones take the run's
        value; quantities come back as quantities; derived parameters
        included): ``rv.params.neuron.tau_m``, ``rv.params["tau_m"]`` (a
        unique suffix is enough).
    """

    def __init__(self, study: StudyCore, view: View, index: int) -> None:
        runs = study.runs
        if int(index) not in runs.index:
            last = runs.index.max() if len(runs) else -1
            raise StudyError(f"study {study.path} has no run {index}; runs are 0 to {last}")
        row = runs.loc[int(index)]
        self._study = study
        self._view = view
        self.index = int(index)
        self.name: str = str(row["name"])
        self.id: str = str(row["id"])
        self.status: str = str(row["status"])
        values = study.params.values()
        for name in study.catalog.param_names():
            value = row[name]
            native = type(values[name]) in (bool, int, float, str)
            values[name] = value.item() if native and hasattr(value, "item") else value
        for name in study.params:
            info = study.params.info(name)
            if info.library:
                values[name] = join(values[name], info.unit, info.library)
        values.update(study.derived_values(self.index))
        self.params = Namespace(values)

    def __repr__(self) -> str:
        return f"RunView({self.name}, status={self.status})"

    @cached_property
    def results(self) -> RunResults:
        """Every result of the run (grouped members as ``"group.member"``), internal ones left out.

        ``rv.results["neuron"]`` of a grouped result (``run.save("neuron", V=..., nspikes=...)``)
        is ``{"V": ..., "nspikes": ...}``, as pypet's ``traj.results.neuron.crun``.
        """
        found = self._study.run_results(self.index)
        return RunResults(self.name, {k: v for k, v in found.items() if not k.startswith("_")})

    @property
    def log(self) -> str:
        """What the job printed and logged."""
        return self._study.run_log(self.index)

    def spikes(self, **conditions: Any) -> pd.DataFrame:
        """The run's spikes (``population``, ``node_id``, ``time``)."""
        frame: pd.DataFrame = self._view.filter(run=self.index, **conditions).spikes()
        return frame

    def signals(self, population: str, variable: str) -> pd.DataFrame:
        """The run's traces of ``variable`` in ``population`` (rows node ids, columns time in ms)."""
        frame: pd.DataFrame = self._view.filter(run=self.index).signals(population, variable)
        return frame


class RunResults(dict[str, Any]):
    """A run's results by name; a group's name gives its members as a dict."""

    def __init__(self, run: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.run = run

    def __missing__(self, name: str) -> dict[str, Any]:
        prefix = f"{name}."
        members = {k[len(prefix) :]: v for k, v in self.items() if k.startswith(prefix)}
        if not members:
            raise KeyError(f"{self.run} has no result {name!r}; it has {', '.join(self) or 'none'}")
        return members
