"""Neutral, typed description of a pypet trajectory as read from its HDF5 file.

Nothing here depends on pypet: values are plain Python scalars, numpy arrays,
pandas objects, lists, tuples and dicts; Brian2 quantities become
:class:`Quantity` (a value plus the unit string pypet stored beside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Quantity:
    """A value with a unit, as pypet's Brian2 classes store it.

    Attributes
    ----------
    value
        The magnitude in ``unit`` (float, int or numpy array).
    unit
        The unit as pypet wrote it, e.g. ``"1. * volt"`` or
        ``"1. * metre ** -4 * kilogram ** -1 * second ** 3 * amp ** 2"``.
    """

    value: Any
    unit: str


@dataclass
class Parameter:
    """A parameter, config item or derived parameter.

    Attributes
    ----------
    name
        Full dotted name in the trajectory, e.g. ``"parameters.neurons.n"``.
    class_name
        pypet class that wrote it (``Parameter``, ``ArrayParameter``, ``Brian2Parameter`` ...).
    comment
        The comment stored with it (``""`` when none).
    value
        The default value (a :class:`Quantity` for Brian2 quantities).
    explored_range
        One value per run when the parameter is explored, else ``None``.
    annotations
        pypet annotations (``v_annotations``) stored with it.
    """

    name: str
    class_name: str
    comment: str
    value: Any
    explored_range: list[Any] | None = None
    annotations: dict[str, Any] = field(default_factory=dict)

    @property
    def explored(self) -> bool:
        """Whether the parameter takes one value per run."""
        return self.explored_range is not None

    @property
    def unit(self) -> str | None:
        """Unit string of a quantity-valued parameter, else ``None``."""
        return self.value.unit if isinstance(self.value, Quantity) else None


@dataclass
class Result:
    """A result leaf: one or more named items.

    Attributes
    ----------
    name
        Full dotted name, e.g. ``"results.runs.run_00000003.z"``.
    class_name
        pypet class that wrote it (``Result``, ``Brian2MonitorResult`` ...).
    comment
        The comment stored with it (``""`` when none).
    items
        Item name to value (scalars, arrays, DataFrames, Series, dicts, lists,
        tuples, :class:`Quantity`).
    monitor_type
        ``SpikeMonitor``, ``StateMonitor`` or ``PopulationRateMonitor`` for a
        Brian2 monitor result, else ``None``.
    annotations
        pypet annotations (``v_annotations``) stored with it.
    """

    name: str
    class_name: str
    comment: str
    items: dict[str, Any]
    monitor_type: str | None = None
    annotations: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    """One run of the trajectory: its metadata and what it stored.

    ``results`` and ``derived_parameters`` are keyed by the leaf's name with
    the ``results.`` / ``derived_parameters.`` branch, the ``runs`` group and
    the ``run_XXXXXXXX`` group taken out: ``results.runs.run_00000002.z`` is
    ``"z"``, ``results.neuron.run_00000002`` (pypet's ``neuron.$``) is
    ``"neuron"``.
    """

    index: int
    name: str
    finished: bool
    time: str
    timestamp: float
    finish_timestamp: float
    runtime: str
    parameter_summary: str
    environment_hexsha: str
    results: dict[str, Result] = field(default_factory=dict)
    derived_parameters: dict[str, Parameter] = field(default_factory=dict)


@dataclass
class Trajectory:
    """A whole pypet trajectory.

    Attributes
    ----------
    name, comment, time, timestamp
        As stored in the trajectory's ``overview/info`` table.
    pypet_version, python_version
        Versions that wrote the file.
    parameters, config
        Full dotted name to :class:`Parameter`.
    derived_parameters, results
        Items not belonging to a single run (added before or after the runs),
        by full dotted name.
    runs
        One :class:`Run` per explored point, in index order.
    explored
        Full names of the explored parameters, in pypet's order.
    hdf5_settings
        The storage settings pypet recorded (``complib``, ``complevel`` ...).
    group_comments
        Comments stored on group nodes (not leaves), by full dotted name.
    links
        pypet links: full dotted name of the link to the full name of its target.
    """

    name: str
    comment: str
    time: str
    timestamp: float
    pypet_version: str
    python_version: str
    parameters: dict[str, Parameter]
    config: dict[str, Parameter]
    derived_parameters: dict[str, Parameter]
    results: dict[str, Result]
    runs: list[Run]
    explored: list[str]
    hdf5_settings: dict[str, Any]
    group_comments: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def run_parameters(self, index: int) -> dict[str, Any]:
        """Values of every parameter in run ``index`` (explored ones take their run's value)."""
        values: dict[str, Any] = {}
        for name, parameter in self.parameters.items():
            if parameter.explored_range is not None:
                values[name] = parameter.explored_range[index]
            else:
                values[name] = parameter.value
        return values
