"""Simulator adapters: one circuit and input description, several simulators.

- :mod:`neuroloom.sim.inputs`: Poisson, spike trains, PSTH-evoked input,
  current clamps, release probability;
- :mod:`neuroloom.sim.result`: :class:`SimulationResult` (spikes table,
  signals) and ``result.record(run)``;
- :mod:`neuroloom.sim.brian2` (default) and :mod:`neuroloom.sim.nest`:
  ``simulate(circuit, inputs, duration, record=..., dt=...)`` for SONATA
  point-neuron circuits;
- :mod:`neuroloom.sim.neuron`: detailed single cells, and IntFire1 point
  circuits (:mod:`neuroloom.sim.neuron.network`);
- :func:`run_config`: a SONATA ``simulation_config.json`` as bmtk pointnet
  runs it, on NEST, Brian2 or NEURON.

Simulators are imported only when a simulation runs.
"""

from __future__ import annotations

from neuroloom.sim.config_run import ConfigRun, run_config
from neuroloom.sim.inputs import CurrentClamp, PoissonInput, PSTHInput, SpikeTrainInput
from neuroloom.sim.result import Signal, SimulationResult

__all__ = [
    "ConfigRun",
    "CurrentClamp",
    "PSTHInput",
    "PoissonInput",
    "Signal",
    "SimulationResult",
    "SpikeTrainInput",
    "run_config",
]
