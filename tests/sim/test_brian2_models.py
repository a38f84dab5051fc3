"""Brian2's iaf_psc_delta, aeif_cond_exp, aeif_cond_alpha and izhikevich against NEST's.

Each model, with NEST's defaults from an empty dynamics_params, is driven two ways in both
simulators: an f-I curve (current clamps of several amplitudes, one per neuron) and a
spike-driven case (a regular presynaptic train through a synapse). Tolerances: spike
counts per neuron within 5 % (+1), first spike times within 1 ms (NEST integrates aeif with
adaptive RKF45, Brian2 with RK4 at 0.1 ms; delta-synapse input reaches the membrane one step
later in Brian2's schedule).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neuroloom.sim import CurrentClamp, SpikeTrainInput
from neuroloom.sim import brian2 as nl_brian2
from neuroloom.sim import nest as nl_nest

from .circuits import single_population

# per model: clamp amplitudes (nA) of the f-I curve, synaptic weight of the spike-driven case
CASES = {
    "iaf_psc_delta": ([0.4, 0.6, 1.0], 16.0),  # mV per spike: one spike crosses threshold
    "aeif_cond_exp": ([0.8, 1.1, 1.5], 600.0),  # nS (tau_syn_ex 0.2 ms)
    "aeif_cond_alpha": ([0.8, 1.1, 1.5], 300.0),  # nS
    "izhikevich": ([0.005, 0.010, 0.020], 40.0),  # NEST's izhikevich reads pA as mV/ms
}


def _first_spikes(ids: np.ndarray, times: np.ndarray, n: int) -> np.ndarray:
    first = np.full(n, np.inf)
    np.minimum.at(first, ids, times)
    return first


def _agree(brian: object, nest: object, n: int) -> None:
    b_ids, b_times = brian.spikes_of("pop")  # type: ignore[attr-defined]
    n_ids, n_times = nest.spikes_of("pop")  # type: ignore[attr-defined]
    b_counts, n_counts = np.bincount(b_ids, minlength=n), np.bincount(n_ids, minlength=n)
    assert n_counts.min() >= 3, n_counts  # every neuron fires: the comparison means something
    np.testing.assert_allclose(b_counts, n_counts, rtol=0.05, atol=1)
    np.testing.assert_allclose(_first_spikes(b_ids, b_times, n), _first_spikes(n_ids, n_times, n), atol=1.0)


@pytest.mark.parametrize("model", sorted(CASES))
def test_fi_curve_matches_nest(tmp_path: Path, model: str) -> None:
    amplitudes, _ = CASES[model]
    cfg = single_population(tmp_path, len(amplitudes), model, {})
    clamps = [
        CurrentClamp("pop", amplitude=a, delay=10.0, duration=490.0, node_ids=[k])
        for k, a in enumerate(amplitudes)
    ]
    brian = nl_brian2.simulate(cfg, clamps, 500.0, dt=0.1, target="numpy", record={"pop": ["v"]})
    nest = nl_nest.simulate(cfg, clamps, 500.0, dt=0.1, record={"pop": ["v"]})
    _agree(brian, nest, len(amplitudes))
    counts = np.bincount(nest.spikes_of("pop")[0], minlength=len(amplitudes))
    assert np.all(np.diff(counts) > 0)  # more current, more spikes
    v_b, v_n = brian.signals[("pop", "v")].values, nest.signals[("pop", "v")].values
    assert abs(np.median(v_b) - np.median(v_n)) < 2.0  # same sub-threshold trajectory (mV)


@pytest.mark.parametrize("model", sorted(CASES))
def test_spike_driven_matches_nest(tmp_path: Path, model: str) -> None:
    _, weight = CASES[model]
    cfg = single_population(tmp_path, 2, model, {}, source=1, weight=weight, delay=1.5)
    train = SpikeTrainInput("src", node_ids=np.zeros(40, np.int64), times=20.0 + 12.0 * np.arange(40))
    brian = nl_brian2.simulate(cfg, [train], 500.0, dt=0.1, target="numpy")
    nest = nl_nest.simulate(cfg, [train], 500.0, dt=0.1)
    _agree(brian, nest, 2)
