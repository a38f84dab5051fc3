"""bmtk's ``bmtk.builder.networks`` module: ``NetworkBuilder`` and the simulator-flavoured builders.

``from neuroloom.network.networks import NetworkBuilder`` (or ``from neuroloom.network import
PointNetBuilder``) as in bmtk. ``BioNetBuilder``, ``PointNetBuilder`` and ``PopNetBuilder`` are the
builder with named arguments for the properties their simulator reads: an argument left ``None`` is
not a property, the others are added after the script's own keyword properties (bmtk's order).
``PointNetBuilder.add_nodes`` defaults ``model_type`` to ``"point_neuron"``; ``PopNetBuilder``
adds one node per ``add_nodes`` (``model_type="population"``) and takes ``nsyns`` per pair.
"""

from __future__ import annotations

from typing import Any

from neuroloom.network.builder import Network
from neuroloom.network.connections import ConnectionMap
from neuroloom.network.nodes import NodePool

#: bmtk's class name
NetworkBuilder = Network

__all__ = ["BioNetBuilder", "NetworkBuilder", "PointNetBuilder", "PopNetBuilder"]


def _named(properties: dict[str, Any], named: dict[str, Any]) -> dict[str, Any]:
    """``properties`` then every named argument that is not ``None``."""
    return {**properties, **{k: v for k, v in named.items() if v is not None}}


class BioNetBuilder(Network):
    """bmtk's ``BioNetBuilder``: biophysical (NEURON) cell properties as named arguments."""

    def add_nodes(  # type: ignore[override]
        self,
        N: int = 1,  # noqa: N803 (bmtk's name)
        model_type: str | None = None,
        model_template: str | None = None,
        model_processing: str | None = None,
        dynamics_params: Any = None,
        morphology: Any = None,
        x: Any = None,
        y: Any = None,
        z: Any = None,
        rotation_angle_xaxis: Any = None,
        rotation_angle_yaxis: Any = None,
        rotation_angle_zaxis: Any = None,
        **properties: Any,
    ) -> NodePool:
        named = {
            "model_type": model_type,
            "model_template": model_template,
            "model_processing": model_processing,
            "dynamics_params": dynamics_params,
            "morphology": morphology,
            "x": x,
            "y": y,
            "z": z,
            "rotation_angle_xaxis": rotation_angle_xaxis,
            "rotation_angle_yaxis": rotation_angle_yaxis,
            "rotation_angle_zaxis": rotation_angle_zaxis,
        }
        return super().add_nodes(N=N, **_named(properties, named))

    def add_edges(  # type: ignore[override]
        self,
        source: Any = None,
        target: Any = None,
        connection_rule: Any = 1,
        connection_params: dict[str, Any] | None = None,
        iterator: str = "one_to_one",
        model_template: str | None = None,
        dynamics_params: Any = None,
        syn_weight: Any = None,
        delay: Any = None,
        target_sections: Any = None,
        distance_range: Any = None,
        **properties: Any,
    ) -> ConnectionMap:
        named = {
            "model_template": model_template,
            "dynamics_params": dynamics_params,
            "syn_weight": syn_weight,
            "delay": delay,
            "target_sections": target_sections,
            "distance_range": distance_range,
        }
        return super().add_edges(
            source, target, connection_rule, connection_params, iterator, **_named(properties, named)
        )


class PointNetBuilder(Network):
    """bmtk's ``PointNetBuilder``: point-neuron (NEST) properties as named arguments."""

    def add_nodes(  # type: ignore[override]
        self,
        N: int = 1,  # noqa: N803 (bmtk's name)
        model_type: str | None = "point_neuron",
        model_template: str | None = None,
        dynamics_params: Any = None,
        x: Any = None,
        y: Any = None,
        z: Any = None,
        **properties: Any,
    ) -> NodePool:
        named = {
            "model_type": model_type,
            "model_template": model_template,
            "dynamics_params": dynamics_params,
            "x": x,
            "y": y,
            "z": z,
        }
        return super().add_nodes(N=N, **_named(properties, named))

    def add_edges(  # type: ignore[override]
        self,
        source: Any = None,
        target: Any = None,
        connection_rule: Any = 1,
        connection_params: dict[str, Any] | None = None,
        iterator: str = "one_to_one",
        model_template: str | None = None,
        dynamics_params: Any = None,
        syn_weight: Any = None,
        delay: Any = None,
        **properties: Any,
    ) -> ConnectionMap:
        named = {
            "model_template": model_template,
            "dynamics_params": dynamics_params,
            "syn_weight": syn_weight,
            "delay": delay,
        }
        return super().add_edges(
            source, target, connection_rule, connection_params, iterator, **_named(properties, named)
        )


class PopNetBuilder(Network):
    """bmtk's ``PopNetBuilder``: one population node per ``add_nodes``, ``nsyns`` per pair of populations."""

    def add_nodes(  # type: ignore[override]
        self,
        model_type: str | None = "population",
        model_template: str | None = None,
        dynamics_params: Any = None,
        **properties: Any,
    ) -> NodePool:
        named = {
            "model_type": model_type,
            "model_template": model_template,
            "dynamics_params": dynamics_params,
        }
        return super().add_nodes(N=1, **_named(properties, named))

    def add_edges(  # type: ignore[override]
        self,
        source: Any = None,
        target: Any = None,
        nsyns: Any = 1,
        syn_weight: Any = None,
        delay: Any = None,
        dynamics_params: Any = None,
        **properties: Any,
    ) -> ConnectionMap:
        named = {"nsyns": nsyns, "syn_weight": syn_weight, "delay": delay, "dynamics_params": dynamics_params}
        return super().add_edges(source, target, **_named(properties, named))
