"""What the data store needs of a study: a narrow protocol, not the :class:`~neuroloom.Study` class.

The views, results and importers work on anything with these attributes; the
user-facing :class:`neuroloom.Study` (:mod:`neuroloom.datastore.study`) is one.
Depending on this protocol keeps the data store's modules free of an import
of the class that assembles them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from neuroloom.datastore.results import ResultStore
    from neuroloom.params.tree import ParamTree
    from neuroloom.study.catalog import Catalog


class StudyData(Protocol):
    """A study as the data store sees it: its directory, catalog, parameters and result store."""

    path: Path
    catalog: Catalog

    @property
    def params(self) -> ParamTree:
        """The study's parameter tree."""

    @property
    def id(self) -> str:
        """The study's id (as :attr:`neuroloom.Database.id`)."""

    @property
    def result_store(self) -> ResultStore:
        """The study's analysis results."""


class RunsOfView(Protocol):
    """A view as a population accessor sees it (:class:`~neuroloom.datastore.view.View` is one)."""

    @property
    def study(self) -> StudyData:
        """The study the view reads."""

    def filter(self, **conditions: Any) -> RunsOfView:
        """The view narrowed by ``conditions``."""

    def run_indices(self) -> list[int]:
        """The indices of the view's finished runs."""

    def spike_table(self, columns: Sequence[str] = ..., *, params: bool | Sequence[str] = True) -> pa.Table:
        """The view's spikes (``columns``) as an Arrow table."""

    def signal_summary(self, variable: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Per (run, population, variable, node) summary of the stored signals."""
