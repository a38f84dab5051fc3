"""What each run recorded, carried by a View's runs table so tables and Views count alike.

``view.runs`` carries, in ``runs.attrs["neuroloom.recorded"]``, a
:class:`Recorded`: every (run, population) whose spikes the run recorded and
the population's size there (``-1`` when unknown). An analysis given that
table as ``runs=`` and no ``neurons=`` takes its universe from it: a trial of
a population is a run that recorded it, and a rate divides by the size that
run recorded, exactly as the View's own methods do. Without it (a runs table
of your own), a trial is every run of ``runs=`` for every population seen in
the spikes.

The value is made of tuples (not a DataFrame) so that pandas can copy and
compare ``attrs`` when it propagates them (column selections, masks, concat).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["RECORDED_ATTR", "Recorded", "attach_recorded", "recorded_of"]

RECORDED_ATTR = "neuroloom.recorded"


@dataclass(frozen=True)
class Recorded:
    """Parallel tuples: run index, population name, size (``-1``: unknown)."""

    run: tuple[int, ...]
    population: tuple[str, ...]
    size: tuple[int, ...]

    @classmethod
    def from_frame(cls, pairs: pd.DataFrame) -> Recorded:
        """From ``run, population, size`` rows (size may be NA)."""
        sizes = pd.to_numeric(pairs["size"], errors="coerce").fillna(-1).astype(np.int64)
        return cls(
            tuple(int(r) for r in pairs["run"]),
            tuple(str(p) for p in pairs["population"]),
            tuple(int(s) for s in sizes),
        )

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame ``run, population, size``."""
        return pd.DataFrame(
            {
                "run": np.asarray(self.run, np.int64),
                "population": np.asarray(self.population, dtype=object),
                "size": np.asarray(self.size, np.int64),
            }
        )


def attach_recorded(runs: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` with its :class:`Recorded` in ``attrs`` (in place; returned for chaining)."""
    runs.attrs[RECORDED_ATTR] = Recorded.from_frame(pairs)
    return runs


def recorded_of(runs: Any) -> Recorded | None:
    """The :class:`Recorded` a runs table carries, if it is one of a View's."""
    if isinstance(runs, pd.DataFrame):
        found = runs.attrs.get(RECORDED_ATTR)
        if isinstance(found, Recorded):
            return found
    return None
