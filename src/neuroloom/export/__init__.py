"""Export a view's recordings to other tools' formats (optional extra ``export``).

- :func:`neuroloom.export.neo.to_neo`: a ``neo.Block`` with one ``Segment`` per
  run (``SpikeTrain`` per neuron, ``AnalogSignal`` per recorded variable, with units);
- :func:`neuroloom.export.nwb.to_nwb`: an NWB file with the ``/units`` table
  (spike times in seconds) and one ``TimeSeries`` per recorded signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuroloom.export.neo import to_neo
    from neuroloom.export.nwb import to_nwb

__all__ = ["to_neo", "to_nwb"]


def __getattr__(name: str) -> Any:
    if name == "to_neo":
        from neuroloom.export.neo import to_neo

        return to_neo
    if name == "to_nwb":
        from neuroloom.export.nwb import to_nwb

        return to_nwb
    raise AttributeError(f"module 'neuroloom.export' has no attribute {name!r}")
