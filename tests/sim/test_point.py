"""Reading a SONATA point circuit into arrays: parameters, edges and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neuroloom.errors import DynamicsParamsError, InputSpecError, SimulationError, UnsupportedModelError
from neuroloom.sim.inputs import CurrentClamp, PoissonInput
from neuroloom.sim.point import MODELS, check_input_targets, grid_spikes, load_point_network, record_spec
from neuroloom.testing.circuits import write_ei_circuit

from .circuits import single_population


def test_parameters_defaults_file_and_node_attributes(tmp_path: Path) -> None:
    cfg = single_population(
        tmp_path,
        4,
        "iaf_cond_exp",
        {"C_m": 200.0, "tau_syn_ex": 1.0},
        node_attrs={"V_m": np.array([-65.0, -60.0, -61.0, -62.0]), "I_e": [0.0, 1.0, 2.0, 3.0]},
    )
    net = load_point_network(cfg)
    pop = net.populations["pop"]
    assert not pop.virtual and pop.model is MODELS["iaf_cond_exp"]
    assert pop.params["C_m"].tolist() == [200.0] * 4  # from the JSON file
    assert pop.params["g_L"][0] == pytest.approx(16.6667)  # NEST default
    assert pop.params["V_m"].tolist() == [-65.0, -60.0, -61.0, -62.0]  # node attribute wins
    assert pop.params["I_e"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert set(net.populations) == {"pop"}


def test_edges_read_as_arrays(tmp_path: Path) -> None:
    cfg = write_ei_circuit(tmp_path, n_exc=80, n_inh=20, p=0.1, n_ext=10, delay=1.5, seed=2)
    net = load_point_network(cfg)
    names = {p.name for p in net.projections}
    assert names == {"exc_to_exc", "exc_to_inh", "inh_to_exc", "inh_to_inh", "ext_to_exc", "ext_to_inh"}
    ee = next(p for p in net.projections if p.name == "exc_to_exc")
    assert ee.source == "exc" and ee.target == "exc"
    assert np.all(ee.source_ids != ee.target_ids)  # no autapses
    assert np.all(ee.delays == 1.5) and np.all(ee.weights == pytest.approx(20.25))
    assert abs(ee.source_ids.size - 0.1 * 80 * 79) < 5 * np.sqrt(0.1 * 80 * 79)
    ie = next(p for p in net.projections if p.name == "inh_to_exc")
    assert np.all(ie.weights < 0)


def test_model_one_simulator_lacks_names_the_ones_it_has_and_the_one_that_has_it(tmp_path: Path) -> None:
    from neuroloom.sim.brian2 import check_models as brian2_models
    from neuroloom.sim.nest import check_models as nest_models
    from neuroloom.sim.neuron.network import check_models as neuron_models

    cfg = single_population(tmp_path, 2, "hh_psc_alpha", {"C_m": 100.0})
    net = load_point_network(cfg)  # any NEST model loads; parameters are NEST's to check
    pop = net.populations["pop"]
    assert pop.model is not None and pop.model.generic and pop.params["C_m"].tolist() == [100.0, 100.0]
    nest_models(net)  # NEST has it
    with pytest.raises(
        UnsupportedModelError, match=r"'pop'.*Brian2 has no model 'hh_psc_alpha'.*NEST.*iaf_psc_exp"
    ):
        brian2_models(net)
    with pytest.raises(UnsupportedModelError, match=r"nrn:IntFire1.*NEST has hh_psc_alpha"):
        neuron_models(net)


def test_missing_or_bad_dynamics_params(tmp_path: Path) -> None:
    missing = single_population(tmp_path / "a", 2, params=None)  # names cell.json but never writes it
    with pytest.raises(DynamicsParamsError, match=r"'pop'.*cell\.json does not exist"):
        load_point_network(missing)
    no_column = single_population(tmp_path / "b", 2, params={}, dynamics_file=None)
    with pytest.raises(DynamicsParamsError, match="has no dynamics_params"):
        load_point_network(no_column)
    typo = single_population(tmp_path / "c", 2, params={"tau_mem": 10.0})
    with pytest.raises(DynamicsParamsError, match=r"sets \['tau_mem'\]"):
        load_point_network(typo)
    bad = single_population(tmp_path / "d", 2, params={"V_reset": -50.0, "V_th": -55.0})
    with pytest.raises(DynamicsParamsError, match="V_reset must be below V_th"):
        load_point_network(bad)
    (tmp_path / "c" / "models" / "cell.json").write_text("{not json")
    with pytest.raises(DynamicsParamsError, match="not valid JSON"):
        load_point_network(typo)


def test_edges_without_delay_get_nests_default_with_a_warning(tmp_path: Path) -> None:
    from neuroloom.sonata import write_edges

    cfg = single_population(tmp_path, 2, params={}, source=1)
    write_edges(
        tmp_path / "edges.h5",
        "src_to_pop",
        [0, 0],
        [0, 1],
        source="src",
        target="pop",
        source_size=1,
        target_size=2,
        properties={"syn_weight": [1.0, 1.0]},
    )
    net = load_point_network(cfg)
    assert net.projections[0].delays.tolist() == [1.0, 1.0]
    assert (
        len(net.warnings) == 1
        and "'src_to_pop'" in net.warnings[0]
        and "2 edges have no delay" in net.warnings[0]
    )


def test_record_spec_and_input_targets(tmp_path: Path) -> None:
    net = load_point_network(single_population(tmp_path, 3, params={}, source=2))
    assert record_spec({"pop": ["v"]}, net)["pop"]["v"].tolist() == [0, 1, 2]
    assert record_spec({"pop": {"I_ex": [2, 0]}}, net)["pop"]["I_ex"].tolist() == [0, 2]
    with pytest.raises(SimulationError, match="no variable 'g_ex'"):
        record_spec({"pop": ["g_ex"]}, net)
    with pytest.raises(SimulationError, match="not a simulated neuron population"):
        record_spec({"src": ["v"]}, net)
    with pytest.raises(InputSpecError, match="not in the circuit"):
        check_input_targets([PoissonInput("ext", rate=1.0)], net)
    with pytest.raises(InputSpecError, match="neuron population"):
        check_input_targets([PoissonInput("pop", rate=1.0)], net)
    with pytest.raises(InputSpecError, match="virtual population"):
        check_input_targets([CurrentClamp("src", amplitude=1.0)], net)


def test_grid_spikes_one_per_step() -> None:
    ids, times = grid_spikes(np.array([0, 0, 1, 0]), np.array([1.01, 1.04, 1.0, 0.0]), 0.1)
    assert ids.tolist() == [0, 0, 1] and times == pytest.approx([0.1, 1.0, 1.0])


def test_circuit_config_json_components(tmp_path: Path) -> None:
    cfg = write_ei_circuit(tmp_path, n_exc=8, n_inh=2)
    config = json.loads(cfg.read_text())
    assert config["components"]["point_neuron_models_dir"].endswith("components")
