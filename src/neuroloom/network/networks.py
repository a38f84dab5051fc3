"""bmtk's ``bmtk.builder.networks`` module name: ``from neuroloom.network.networks import NetworkBuilder``."""

from neuroloom.network.builder import Network

#: bmtk's class name
NetworkBuilder = Network

__all__ = ["NetworkBuilder"]
