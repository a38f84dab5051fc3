"""Read pypet trajectory files (HDF5) without pypet, and import them as studies (:func:`import_`).

>>> from neuroloom.pypet import list_trajectories, read_trajectory
>>> list_trajectories("sim.hdf5")                      # doctest: +SKIP
['Example01']
>>> traj = read_trajectory("sim.hdf5", "Example01")    # doctest: +SKIP
>>> traj.parameters["parameters.x"].explored_range     # doctest: +SKIP
>>> traj.runs[3].results["z"].items["z"]               # doctest: +SKIP

Only h5py, numpy and pandas are used; pickled items are read only with
``allow_pickle=True``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from neuroloom.pypet.errors import PypetFormatError, TrajectoryNotFoundError
from neuroloom.pypet.model import Parameter, Quantity, Result, Run, Trajectory
from neuroloom.pypet.reader import list_trajectories, read_trajectory

if TYPE_CHECKING:
    from neuroloom.datastore.study import Study


def import_(
    file: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    name: str | None = None,
    allow_pickle: bool = False,
    *,
    seed: int | None = None,
) -> Study:
    """Import a pypet trajectory as a new study (see :func:`neuroloom.pypet.importer.import_`).

    ``seed`` is the new study's seed (random when omitted); trajectories imported
    with one seed can be merged (``nl.merge``, pypet's ``f_merge``).
    """
    from neuroloom.pypet.importer import import_ as run_import

    return run_import(file, dest, name, allow_pickle=allow_pickle, seed=seed)


__all__ = [
    "Parameter",
    "PypetFormatError",
    "Quantity",
    "Result",
    "Run",
    "Trajectory",
    "TrajectoryNotFoundError",
    "import_",
    "list_trajectories",
    "read_trajectory",
]
