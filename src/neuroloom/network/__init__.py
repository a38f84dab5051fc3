"""Build networks (bmtk's builder API, vectorised) and split them over ranks.

::

    from neuroloom.network import Network, rules
    net = Network("v1", seed=1)
    net.add_nodes(N=800, positions=pos_e, ei="e", model_type="point_neuron")
    net.add_edges(source={"ei": "e"}, target={"ei": "e"},
                  connection_rule=rules.GaussianDistance(p=0.3, sigma=60.0), delay=1.5)
    net.build(); net.save("network")
"""

from __future__ import annotations

from neuroloom.network import partition, rules
from neuroloom.network.builder import Edge, EdgeList, Network
from neuroloom.network.connections import ConnectionMap
from neuroloom.network.networks import (  # bmtk's class names
    BioNetBuilder,
    NetworkBuilder,
    PointNetBuilder,
    PopNetBuilder,
)
from neuroloom.network.nodes import Node, NodePool
from neuroloom.network.rules import (
    AllToAll,
    ArrayRule,
    FixedInDegree,
    FixedOutDegree,
    FixedProbability,
    GaussianDistance,
    OneToOne,
)

__all__ = [
    "AllToAll",
    "ArrayRule",
    "BioNetBuilder",
    "ConnectionMap",
    "Edge",
    "EdgeList",
    "FixedInDegree",
    "FixedOutDegree",
    "FixedProbability",
    "GaussianDistance",
    "Network",
    "NetworkBuilder",
    "Node",
    "NodePool",
    "OneToOne",
    "PointNetBuilder",
    "PopNetBuilder",
    "partition",
    "rules",
]
