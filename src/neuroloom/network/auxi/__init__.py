"""Helpers bmtk scripts import next to the builder (``bmtk.builder.auxi``), same names and random draws.

A script switches every builder import::

    from neuroloom.network import NetworkBuilder
    from neuroloom.network.auxi.node_params import positions_columinar, xiter_random
    from neuroloom.network.auxi.edge_connectors import distance_connector
"""

from neuroloom.network.auxi import edge_connectors, node_params

__all__ = ["edge_connectors", "node_params"]
