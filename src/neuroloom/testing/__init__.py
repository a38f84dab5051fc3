"""Helpers shared by the tests, examples and benchmarks: small SONATA circuits.

Nothing in the library imports this package (it is the top layer next to the CLI).
"""

from neuroloom.testing.circuits import CUBA, fixed_probability, write_ei_circuit

__all__ = ["CUBA", "fixed_probability", "write_ei_circuit"]
