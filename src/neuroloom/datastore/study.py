"""The user-facing :class:`Study`: the study core plus recordings, views and analysis results.

:class:`neuroloom.study.study.StudyCore` holds the item store, the catalog and
the marker and runs the jobs; this layer adds what reads and writes the data
store (``filter``, ``consolidate``, ``add_result``, the importers) and holds
the analysis results (``result_store``). It is exported as ``neuroloom.Study``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuroloom.datastore.consolidate import after_record
from neuroloom.datastore.results import Result, ResultStore, get_results
from neuroloom.datastore.runview import RunView
from neuroloom.datastore.view import View
from neuroloom.study.study import StudyCore

if TYPE_CHECKING:
    from neuroloom.study.worker import Outcome


class Study(StudyCore):
    """A parameter study stored in a directory: create it or open it.

    Parameters
    ----------
    path
        The study directory (created if missing).
    seed
        Seed of the study, from which each run's ``run.seed`` derives. Chosen at
        random when a study is created without one; fixed afterwards.
    fsync
        As for :class:`~neuroloom.store.database.Database`.
    overwrite
        Start afresh: delete the study at ``path`` first (pypet's
        ``overwrite_file``). Only a neuroloom study (or an empty folder) is
        ever deleted, and never while another process runs it.

    Examples
    --------
    >>> study = Study(tmp_path / "ei")                              # doctest: +SKIP
    >>> study.params.add("neuron.tau_m", 20.0, unit="ms")           # doctest: +SKIP
    >>> study.explore(grid(**{"neuron.tau_m": [10.0, 20.0]}))       # doctest: +SKIP
    >>> study.run(lambda run: run.params.neuron.tau_m * 2)          # doctest: +SKIP
    >>> study.results("return")                                     # doctest: +SKIP
    """

    def recorded(self, outcomes: Sequence[Outcome]) -> None:
        """Add the recordings of runs the runner just recorded to the consolidated tables."""
        after_record(self.catalog, outcomes)

    @functools.cached_property
    def result_store(self) -> ResultStore:
        """The study's analysis results (tables created once, on first use)."""
        return ResultStore(self)

    def run_view(self, index: int) -> RunView:
        """Parameters, results, recordings and log of run ``index`` (pypet ``traj.v_idx = i``)."""
        return RunView(self, View(self), index)

    def filter(self, **conditions: Any) -> View:
        """A lazy view of the study's runs, recordings and results (see :mod:`neuroloom.datastore.view`).

        ``study.filter(population="exc", st_rate=[5, 10], st_tau__gt=10)``.
        """
        return View(self).filter(**conditions)

    @property
    def view(self) -> View:
        """A view of everything in the study."""
        return View(self)

    def consolidate(self, *, rebuild: bool = False, progress: bool = True) -> dict[str, Any]:
        """Bring the Parquet tables under ``tables/`` up to date with the runs' recordings.

        Runs recorded since the last update are read from their folders (and the part
        files merged into one sorted file per table), runs no
        longer recorded are dropped; ``rebuild=True`` rereads every run. Returns
        the tables' manifest.
        """
        from neuroloom.datastore.consolidate import update

        return update(self.path, self.catalog, rebuild=rebuild, progress=progress, compact=True)

    def add_result(
        self,
        name: str,
        value: Any,
        params: Mapping[str, Any] | None = None,
        tags: Iterable[str] = (),
        replace: bool = False,
    ) -> Result:
        """Store an analysis result addressed by ``name`` and ``params`` (and labelled by ``tags``).

        Raises
        ------
        DuplicateResultError
            If a result with this name and exactly these parameters exists and
            ``replace`` is False (mozaik's uniqueness rule).
        """
        return self.result_store.add(name, value, params, tags, replace)

    def get_result(self, **conditions: Any) -> list[Result]:
        """Results matching every condition: ``name=``, ``tags=``, parameters (lists mean any of,
        ``param__gt=`` compares)."""
        return get_results(self.result_store, conditions)

    def import_spikes(
        self,
        path: str | Path,
        params: Mapping[str, Any] | None = None,
        *,
        populations: Iterable[str] | None = None,
    ) -> int:
        """Import a SONATA spike report (bmtk, neurodamus, ...) as a finished run; returns its index."""
        from neuroloom.datastore.importers import import_reports

        return import_reports(self, [(params or {}, path, {})], populations=populations)[0]

    def import_reports(
        self, runs: Iterable[tuple[Mapping[str, Any], str | Path | None, Mapping[str, str | Path]]]
    ) -> list[int]:
        """Import runs given as ``(params, spike report or None, {variable: frame report})``."""
        from neuroloom.datastore.importers import import_reports

        return import_reports(self, list(runs))

    def import_spike_table(
        self, table: Any, params: Any = None, *, population: str = "cell", node_id: int = 0
    ) -> list[int]:
        """Import an in_silico_framework-style wide spike-time table (one row per trial)."""
        from neuroloom.datastore.importers import import_wide_table

        return import_wide_table(self, table, params, population=population, node_id=node_id)
