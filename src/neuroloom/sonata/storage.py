"""One SONATA file opened without a config: a mapping of its populations.

:class:`PopulationStorage` is shared by the nodes and the edges readers (like
libsonata's ``NodeStorage`` / ``EdgeStorage``): it lists the populations under
``/nodes`` or ``/edges`` and opens each one on first access.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Generic, TypeVar

import h5py

from neuroloom.errors import SonataFormatError, UnknownPopulationError
from neuroloom.sonata._h5 import open_h5

P = TypeVar("P")


class PopulationStorage(Mapping[str, P], Generic[P]):
    """All populations of one nodes or edges file.

    Parameters
    ----------
    path
        The HDF5 file.
    types_path
        The matching types CSV, if any.
    kind
        ``"nodes"`` or ``"edges"``: the root group to list.
    opener
        Builds a population from ``(path, name, types_path)``.
    """

    def __init__(
        self,
        path: str | Path,
        types_path: str | Path | None,
        kind: str,
        opener: Callable[[Path, str, str | Path | None], P],
    ) -> None:
        self.path = Path(path)
        self.types_path = types_path
        self.kind = kind
        self._opener = opener
        with open_h5(self.path) as fh:
            root = fh.get(kind)
            if not isinstance(root, h5py.Group):
                raise SonataFormatError(f"{self.path}: missing required group /{kind}")
            self.population_names = sorted(root.keys())
        self._open: dict[str, P] = {}

    def __getitem__(self, name: str) -> P:
        if name not in self.population_names:
            singular = self.kind[:-1]
            raise UnknownPopulationError(
                f"{self.path}: no {singular} population {name!r} (found {self.population_names})"
            )
        if name not in self._open:
            self._open[name] = self._opener(self.path, name, self.types_path)
        return self._open[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.population_names)

    def __len__(self) -> int:
        return len(self.population_names)


def open_population_group(path: Path, kind: str, name: str) -> tuple[h5py.File, h5py.Group]:
    """Open ``path`` and return it with its ``/<kind>/<name>`` group.

    Raises
    ------
    UnknownPopulationError
        If the file has no such population (the message lists the ones it has).
    """
    fh = open_h5(path)
    root = fh.get(kind)
    if not isinstance(root, h5py.Group) or name not in root:
        names = sorted(root.keys()) if isinstance(root, h5py.Group) else []
        fh.close()
        raise UnknownPopulationError(f"{path}: no {kind[:-1]} population {name!r} (found {names})")
    return fh, root[name]
