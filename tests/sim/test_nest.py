"""NEST adapter: the same behavioural checks as the Brian2 adapter."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from neuroloom.errors import SimulatorNotInstalledError

from .circuits import single_population
from .test_brian2 import check_fi_curve, check_release_probability


def test_fi_curve(tmp_path: Path) -> None:
    check_fi_curve("nest", tmp_path)


def test_release_probability(tmp_path: Path) -> None:
    check_release_probability("nest", tmp_path)


def test_not_installed_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from neuroloom.sim import nest as nl_nest

    monkeypatch.setitem(sys.modules, "nest", None)
    with pytest.raises(SimulatorNotInstalledError, match="pip install nest-simulator"):
        nl_nest.simulate("unused.json", None, 10.0)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("iaf_psc_delta", {"tau_m": 15.0, "V_th": -52.0, "t_ref": 2.5}),
        ("aeif_cond_exp", {"a": 2.0, "b": 40.0, "Delta_T": 1.5}),
        ("hh_psc_alpha", {"C_m": 120.0}),
        ("izhikevich", {"a": 0.02, "b": 0.2, "c": -65.0, "d": 8.0}),
        ("gif_psc_exp", {"g_L": 5.0}),  # a model Brian2 has no equations for
    ],
)
def test_any_nest_model_with_its_dynamics_params(
    tmp_path: Path, model: str, params: dict[str, object]
) -> None:
    """Models beyond Brian2's run on NEST with dynamics_params in NEST's names, as a plain script gives."""
    import nest

    from neuroloom.sim import CurrentClamp
    from neuroloom.sim.nest import simulate

    cfg = single_population(tmp_path, 3, model, params)
    clamp = CurrentClamp("pop", amplitude=0.6, delay=20.0, duration=200.0, node_ids=[0, 2])
    ours = simulate(cfg, [clamp], 250.0, dt=0.1, record={"pop": ["V_m"]})
    ids, _ = ours.spikes_of("pop")
    nest.ResetKernel()
    nest.resolution = 0.1
    cells = nest.Create(model, 3, params=params)
    dc = nest.Create("dc_generator", params={"amplitude": 600.0, "start": 20.0, "stop": 220.0})
    nest.Connect(dc, cells[[0, 2]])
    rec = nest.Create("spike_recorder")
    nest.Connect(cells, rec)
    nest.Simulate(250.0)
    senders = np.asarray(rec.get("events")["senders"]) - cells[0].global_id
    np.testing.assert_array_equal(np.bincount(ids, minlength=3), np.bincount(senders, minlength=3))
    assert np.bincount(ids, minlength=3)[0] > 0 and np.bincount(ids, minlength=3)[1] == 0
    ((_, variable),) = ours.signals  # V_m, or "v" where Brian2 mirrors the model
    assert variable in ("V_m", "v") and ours.signals[("pop", variable)].values.shape[1] == 3


def test_a_model_nest_lacks_lists_nests_models(tmp_path: Path) -> None:
    from neuroloom.errors import UnsupportedModelError
    from neuroloom.sim.nest import simulate

    cfg = single_population(tmp_path, 2, "no_such_model", {})
    with pytest.raises(
        UnsupportedModelError, match=r"'pop'.*NEST has no model 'no_such_model'.*iaf_psc_delta"
    ):
        simulate(cfg, [], 10.0)
