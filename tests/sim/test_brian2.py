"""Brian2 adapter (numpy target here: no compile in tests); the same checks run for NEST in test_nest.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neuroloom.errors import SimulationError, SimulatorNotInstalledError
from neuroloom.sim import brian2 as nl_brian2
from neuroloom.sim.inputs import CurrentClamp, SpikeTrainInput

from .circuits import lif_rate, single_population

PSC = {"C_m": 250.0, "tau_m": 10.0, "E_L": -70.0, "V_th": -55.0, "V_reset": -70.0, "t_ref": 2.0}


def run(simulator: str, *args: Any, **kwargs: Any) -> Any:
    if simulator == "brian2":
        return nl_brian2.simulate(*args, target="numpy", **kwargs)
    from neuroloom.sim import nest as nl_nest

    return nl_nest.simulate(*args, **kwargs)


def check_fi_curve(simulator: str, tmp_path: Path) -> None:
    """Constant current through a clamp: rates match the analytic LIF f-I curve."""
    cfg = single_population(tmp_path, 3, "iaf_psc_exp", PSC)
    currents = np.array([0.3, 0.5, 0.8])  # nA
    clamps = [
        CurrentClamp("pop", amplitude=a, delay=0.0, duration=2000.0, node_ids=[k])
        for k, a in enumerate(currents)
    ]
    result = run(simulator, cfg, clamps, 2000.0, dt=0.1, record={"pop": {"v": [0]}})
    ids, times = result.spikes_of("pop")
    for k, amp in enumerate(currents):
        expected = lif_rate(PSC, amp * 1000.0)
        got = np.count_nonzero((ids == k) & (times >= 500.0)) / 1.5
        assert got == pytest.approx(expected, rel=0.03, abs=1.0), (k, got, expected)
    v = result.signals[("pop", "v")]
    assert v.unit == "mV" and v.values.shape[1] == 1
    assert v.values.max() < PSC["V_th"] + 1e-6 and v.values.min() >= PSC["V_reset"] - 1e-6


def check_release_probability(simulator: str, tmp_path: Path) -> None:
    """Each synapse transmits a presynaptic spike with the release probability."""
    n, spikes, weight = 50, 40, 5.0
    cfg = single_population(tmp_path, n, "iaf_psc_exp", PSC, source=1, weight=weight, delay=1.0)
    train = SpikeTrainInput(
        "src", node_ids=np.zeros(spikes, np.int64), times=np.arange(spikes) * 10.0 + 5.0, release_prob=0.4
    )
    result = run(simulator, cfg, [train], spikes * 10.0 + 5.0, dt=0.1, record={"pop": ["I_ex"]}, seed=11)
    current = result.signals[("pop", "I_ex")].values
    jumps = np.count_nonzero(np.diff(current, axis=0) > weight / 2)
    total = n * spikes
    assert abs(jumps - 0.4 * total) < 5 * np.sqrt(total * 0.4 * 0.6), jumps
    assert len(result.spikes_of("src")[0]) == spikes


def test_fi_curve(tmp_path: Path) -> None:
    check_fi_curve("brian2", tmp_path)


def test_release_probability(tmp_path: Path) -> None:
    check_release_probability("brian2", tmp_path)


def test_equations_per_model() -> None:
    from neuroloom.sim.brian2_models import MIRRORED
    from neuroloom.sim.point import MODELS, PointPopulation

    for name, model in MODELS.items():
        if name in MIRRORED:  # NEST's other models: tested against NEST in test_brian2_models.py
            continue
        eqs = nl_brian2.equations(PointPopulation("p", 1, False, model, {}), n_clamps=1)
        assert "clamp_amp_0" in eqs
        assert ("I_ex" in eqs) == (model.synapse == "current")
        assert ("x_ex" in eqs) == (model.shape == "alpha"), name


def test_target_choice_and_cache(_sim_cache: Path) -> None:
    assert nl_brian2.choose_target("numpy") == "numpy"
    assert nl_brian2.choose_target("auto") in {"cython", "numpy"}
    assert nl_brian2.configure("cython") == "cython"
    import brian2

    assert Path(brian2.prefs.codegen.runtime.cython.cache_dir) == _sim_cache / "brian2-cython"
    with pytest.raises(SimulationError, match="target must be"):
        nl_brian2.choose_target("cpp_standalone")


def test_not_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "brian2", None)  # what Python sees when brian2 is absent
    with pytest.raises(SimulatorNotInstalledError, match=r"pip install 'neuroloom\[sim\]'"):
        nl_brian2.simulate("unused.json", None, 10.0)
