"""NEURON runs step with fadvance under stdrun's stop rule, whatever else redefined hoc's advance."""

from __future__ import annotations

import numpy as np
import pytest

from neuroloom.sim.inputs import CurrentClamp
from neuroloom.sim.neuron import CellModel, simulate_cell
from neuroloom.sim.neuron.stepping import advance_to


@pytest.mark.parametrize(("tstop", "t_end"), [(10.3, 10.3), (10.31, 10.3), (10.32, 10.325), (0.01, 0.0)])
def test_advance_to_stops_where_continuerun_does(tstop: float, t_end: float) -> None:
    from neuron import h

    soma = h.Section(name="stepping_soma")
    soma.insert("hh")
    h.dt = 0.025
    h.finitialize(-65.0)
    advance_to(h, tstop)  # continuerun steps while t < tstop - dt/2
    assert h.t == pytest.approx(t_end, abs=1e-9)
    del soma


def test_a_run_after_bmtk_bionet_loaded_its_advance_procedure(demo_cell: CellModel) -> None:
    clamp = [CurrentClamp("cell", amplitude=1.0, delay=20.0, duration=60.0)]
    before = simulate_cell(demo_cell, inputs=clamp, duration=100.0)
    nrn = pytest.importorskip("bmtk.simulator.bionet.nrn", reason="bmtk is the reference")
    nrn.load_neuron_modules(None, None)  # redefines hoc's advance() to call bmtk's simulator object
    after = simulate_cell(demo_cell, inputs=clamp, duration=100.0)
    assert before.spikes_of("cell")[1].size >= 1
    np.testing.assert_array_equal(after.spikes_of("cell")[1], before.spikes_of("cell")[1])
    np.testing.assert_array_equal(after.signals[("cell", "v")].values, before.signals[("cell", "v")].values)
