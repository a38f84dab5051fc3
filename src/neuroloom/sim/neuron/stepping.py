"""Step NEURON's fixed-step integrator to a stop time.

Stepping calls NEURON's built-in ``fadvance`` directly, with the stop rule of
``stdrun.hoc``'s ``continuerun`` (steps while ``t < tstop - dt/2``), so the
same steps are taken. It does not go through the hoc ``advance`` procedure:
another tool loaded in the same process may redefine it (importing bmtk's
bionet does, to call back into its own simulator object), and a run would then
fail with ``No attribute: post_fadvance``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["advance_to"]


def advance_to(h: Any, tstop: float) -> None:
    """Advance the initialised NEURON model ``h`` by steps of ``h.dt`` until ``tstop`` (ms)."""
    stop = tstop - h.dt / 2
    fadvance = h.fadvance
    while h.t < stop:
        fadvance()
