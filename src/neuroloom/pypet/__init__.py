"""Read pypet trajectory files (HDF5) without pypet.

>>> from neuroloom.pypet import list_trajectories, read_trajectory
>>> list_trajectories("sim.hdf5")                      # doctest: +SKIP
['Example01']
>>> traj = read_trajectory("sim.hdf5", "Example01")    # doctest: +SKIP
>>> traj.parameters["parameters.x"].explored_range     # doctest: +SKIP
>>> traj.runs[3].results["z"].items["z"]               # doctest: +SKIP

Only h5py, numpy and pandas are used; pickled items are read only with
``allow_pickle=True``.
"""

from neuroloom.pypet.errors import PypetFormatError, TrajectoryNotFoundError
from neuroloom.pypet.model import Parameter, Quantity, Result, Run, Trajectory
from neuroloom.pypet.reader import list_trajectories, read_trajectory

__all__ = [
    "Parameter",
    "PypetFormatError",
    "Quantity",
    "Result",
    "Run",
    "Trajectory",
    "TrajectoryNotFoundError",
    "list_trajectories",
    "read_trajectory",
]
