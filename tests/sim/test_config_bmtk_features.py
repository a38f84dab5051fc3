"""bmtk pointnet config features beyond the corpus, each on a tiny self-made circuit.

bmtk's examples (point_120cells, point_iclamp, point_450glifs, point_stdp)
use current clamps read from a CSV file, populations whose node types name
different NEST models, and edge types with their own synapse model
(``stdp_synapse``) and ``dynamics_params`` (``receptor_type``). Each case is
run with bmtk pointnet on NEST as the reference: neuroloom on NEST must give
the same spikes; Brian2 must refuse what it cannot simulate with a message
naming the population and what to use instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest

from neuroloom.errors import NeuroloomError, UnsupportedModelError
from neuroloom.sim import run_config
from neuroloom.sonata import write_circuit_config, write_edges, write_nodes, write_spikes, write_types

from .references import bmtk_pointnet

LIF = {"V_th": -55.0, "V_reset": -70.0, "E_L": -70.0, "tau_m": 10.0, "C_m": 250.0, "t_ref": 2.0}


def _circuit(
    folder: Path,
    node_types: list[dict[str, Any]],
    type_ids: list[int],
    edge_types: list[dict[str, Any]] | None = None,
    edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    files: dict[str, dict[str, Any]] | None = None,
    recurrent: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Path:
    """``cells`` (node types by id), and with ``edges`` a virtual ``inputs`` population of 4 nodes onto it.

    ``edges`` and ``recurrent`` (cells onto cells) = (source ids, target ids,
    edge type ids); ``files`` = JSON files of the ``models`` folder (cell and
    synapse ``dynamics_params``).
    """
    (folder / "models").mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        (folder / "models" / name).write_text(json.dumps(content))
    write_nodes(folder / "nodes.h5", {"cells": {"node_type_id": np.asarray(type_ids, np.int64)}})
    write_types(folder / "node_types.csv", pd.DataFrame(node_types), "node_type_id")
    node_entries = [{"nodes_file": "nodes.h5", "node_types_file": "node_types.csv"}]
    edge_entries = []
    if edges is not None:  # virtual nodes in their own files, as bmtk's builder saves them
        write_nodes(folder / "inputs.h5", {"inputs": {"node_type_id": np.full(4, 900, np.int64)}})
        virtual = pd.DataFrame([{"node_type_id": 900, "model_type": "virtual"}])
        write_types(folder / "inputs_types.csv", virtual, "node_type_id")
        node_entries.append({"nodes_file": "inputs.h5", "node_types_file": "inputs_types.csv"})
    table = pd.DataFrame(edge_types or [])
    for source, part in (("inputs", edges), ("cells", recurrent)):
        if part is None:
            continue
        src, trg, etype = part
        name = f"{source}_to_cells"
        write_edges(
            folder / f"{name}.h5",
            name,
            src,
            trg,
            source=source,
            target="cells",
            source_size=4 if source == "inputs" else len(type_ids),
            target_size=len(type_ids),
            edge_type_id=etype,
        )
        used = table[table["edge_type_id"].isin(np.unique(etype))]
        write_types(folder / f"{name}_types.csv", used, "edge_type_id")
        edge_entries.append({"edges_file": f"{name}.h5", "edge_types_file": f"{name}_types.csv"})
    return write_circuit_config(
        folder / "circuit_config.json",
        node_entries,
        edge_entries,
        components={
            "point_neuron_models_dir": "$BASE_DIR/models",
            "synaptic_models_dir": "$BASE_DIR/models",
        },
    )


def _config(folder: Path, inputs: dict[str, Any], tstop: float = 500.0) -> Path:
    config = folder / "simulation_config.json"
    config.write_text(
        json.dumps(
            {
                "manifest": {"$BASE_DIR": "${configdir}"},
                "run": {"tstop": tstop, "dt": 0.1},
                "target_simulator": "NEST",
                "network": "$BASE_DIR/circuit_config.json",
                "inputs": inputs,
                "output": {"output_dir": "$BASE_DIR/output", "spikes_file": "spikes.h5"},
            }
        )
    )
    return config


def _counts(run: Any, population: str) -> np.ndarray:
    ids, _ = run.result.spikes_of(population)
    return np.bincount(ids, minlength=run.result.sizes[population])


def _spike_input(folder: Path) -> dict[str, Any]:
    times = np.arange(5.0, 400.0, 7.3)
    ids = np.arange(times.size) % 4
    write_spikes(folder / "in.h5", {"inputs": (ids, times)})
    return {
        "in": {
            "input_type": "spikes",
            "module": "sonata",
            "input_file": str(folder / "in.h5"),
            "node_set": "inputs",
        }
    }


def test_a_current_clamp_read_from_a_csv_file_equals_bmtk(tmp_path: Path) -> None:
    """bmtk's ``"input_type": "csv"`` clamp (point_iclamp): each amplitude held until the next row."""
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1, 1, 1],
        files={"lif.json": LIF},
    )
    (tmp_path / "steps.csv").write_text("timestamps amps\n50.0 400.0\n150.0 0.0\n250.0 500.0\n")
    clamp = {
        "input_type": "csv",
        "module": "IClamp",
        "node_set": {"population": "cells", "node_id": [0, 2]},
        "file": "steps.csv",
    }
    config = _config(tmp_path, {"clamp": clamp})
    reference = bmtk_pointnet(config, tmp_path / "bmtk")["cells"]
    run = run_config(config, "nest", write=False)
    ours = _counts(run, "cells")
    assert ours[0] > 10 and ours[1] == 0  # the clamp drives the chosen cells only
    np.testing.assert_array_equal(ours, np.pad(reference, (0, 3 - reference.size)))
    # the same steps as lists of amp, delay, duration give the same spikes (node_ids: bmtk's spelling)
    listed = {
        "input_type": "current_clamp",
        "module": "IClamp",
        "node_set": {"population": "cells", "node_ids": [0, 2]},
        "amp": [400.0, 500.0],
        "delay": [50.0, 250.0],
        "duration": [100.0, 250.0],
    }
    again = run_config(_config(tmp_path, {"clamp": listed}), "nest", write=False)
    np.testing.assert_array_equal(_counts(again, "cells"), ours)
    brian = _counts(run_config(config, "brian2", write=False, target="numpy"), "cells")
    assert abs(int(brian.sum()) - int(ours.sum())) <= 2


def test_a_current_clamp_from_an_allen_nwb_sweep_equals_bmtk(tmp_path: Path) -> None:
    """bmtk's ``"input_type": "nwb"`` clamp: an Allen Cell Types sweep (amps in A, sampled at ``rate`` Hz)."""
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1, 1],
        files={"lif.json": LIF},
    )
    # 0.05 ms samples, a 100 ms square pulse from 20 ms; bmtk scales the file's amperes by 1e9
    # and hands the number to NEST, which reads pA: 450e-9 A in the file drives the cell with 450 pA
    rate = 20_000.0
    data = np.zeros(int(0.3 * rate))
    data[int(0.02 * rate) : int(0.12 * rate)] = 450e-9
    with h5py.File(tmp_path / "cell.nwb", "w") as fh:
        series = fh.create_group("epochs/Sweep_12/stimulus/timeseries")
        series.create_dataset("data", data=data)
        series.create_dataset("starting_time", data=0.0).attrs["rate"] = rate
    clamp = {
        "input_type": "nwb",
        "module": "IClamp",
        "node_set": {"population": "cells", "node_id": [1]},
        "file": "cell.nwb",
        "sweep_id": 12,
        "downsample": 0.5,
        "delay": 100.0,
    }
    config = _config(tmp_path, {"clamp": clamp})
    reference = bmtk_pointnet(config, tmp_path / "bmtk")["cells"]
    ours = _counts(run_config(config, "nest", write=False), "cells")
    assert ours[0] == 0 and ours[1] > 3
    np.testing.assert_array_equal(ours, np.pad(reference, (0, 2 - reference.size)))


def test_a_clamp_file_with_a_missing_column_names_file_and_key(tmp_path: Path) -> None:
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1],
        files={"lif.json": LIF},
    )
    (tmp_path / "steps.csv").write_text("t amps\n50.0 400.0\n150.0 0.0\n")
    config = _config(tmp_path, {"c": {"input_type": "csv", "module": "IClamp", "file": "steps.csv"}})
    with pytest.raises(
        NeuroloomError, match=r"inputs\.c\.file.*steps\.csv.*no column 'timestamps'.*timestamps_column"
    ):
        run_config(config, "nest", write=False)
    config = _config(
        tmp_path, {"c": {"input_type": "nwb", "module": "IClamp", "file": "gone.nwb", "sweep_id": 3}}
    )
    with pytest.raises(NeuroloomError, match=r"inputs\.c\.file.*gone\.nwb not found"):
        run_config(config, "nest", write=False)


def test_a_population_mixing_nest_models_equals_bmtk(tmp_path: Path) -> None:
    """Node types of one population naming different NEST models (point_450glifs mixes GLIF and LIF)."""
    delta = {**LIF, "V_th": -60.0}
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "alpha.json",
            },
            {
                "node_type_id": 2,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_delta",
                "dynamics_params": "delta.json",
            },
        ],
        [1, 2, 2, 1, 2],
        [
            {
                "edge_type_id": 7,
                "syn_weight": 900.0,
                "delay": 1.5,
                "model_template": "static_synapse",
                "dynamics_params": "exc.json",
            }
        ],
        (np.arange(20) % 4, np.arange(20) % 5, np.full(20, 7)),
        files={"alpha.json": LIF, "delta.json": delta, "exc.json": {}},
    )
    config = _config(tmp_path, _spike_input(tmp_path))
    reference = bmtk_pointnet(config, tmp_path / "bmtk")["cells"]
    ours = _counts(run_config(config, "nest", write=False), "cells")
    assert reference.sum() > 5
    np.testing.assert_array_equal(ours, np.pad(reference, (0, 5 - reference.size)))
    with pytest.raises(UnsupportedModelError, match=r"population 'cells'.*Brian2 has no model.*psc_alpha"):
        run_config(config, "brian2", write=False, target="numpy")


def test_edge_synapse_models_and_their_dynamics_params_go_to_nest_as_bmtk(tmp_path: Path) -> None:
    """Edge types naming ``stdp_synapse`` with parameters (point_stdp) beside static ones.

    Cell 0 is driven by the inputs; it drives cell 1 through a plastic synapse
    and cell 2 through a static synapse of the same starting weight.
    """
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_delta",
                "dynamics_params": "lif.json",
            }
        ],
        [1, 1, 1],
        [
            {
                "edge_type_id": 1,
                "syn_weight": 30.0,
                "delay": 1.0,
                "model_template": "static_synapse",
                "dynamics_params": "static.json",
            },
            {
                "edge_type_id": 2,
                "syn_weight": 12.0,
                "delay": 1.0,
                "model_template": "stdp_synapse",
                "dynamics_params": "stdp.json",
            },
            {
                "edge_type_id": 3,
                "syn_weight": 12.0,
                "delay": 1.0,
                "model_template": "nest:static_synapse",
                "dynamics_params": "static.json",
            },
        ],
        (np.arange(4), np.zeros(4, np.int64), np.ones(4, np.int64)),
        {"lif.json": LIF, "stdp.json": {"lambda": 0.5, "Wmax": 100.0, "alpha": 0.1}, "static.json": {}},
        recurrent=(np.array([0, 0]), np.array([1, 2]), np.array([2, 3])),
    )
    times = np.arange(2.0, 1990.0, 1.1)
    write_spikes(tmp_path / "in.h5", {"inputs": (np.arange(times.size) % 4, times)})
    inputs = {
        "in": {
            "input_type": "spikes",
            "module": "h5",
            "input_file": str(tmp_path / "in.h5"),
            "node_set": "inputs",
        }
    }
    config = _config(tmp_path, inputs, tstop=2000.0)
    reference = bmtk_pointnet(config, tmp_path / "bmtk")["cells"]
    raw = json.loads(config.read_text())  # point_stdp's weight recorder: not written, said in the warnings
    raw["reports"] = {"w": {"module": "weight_recorder", "nest_model": "stdp_synapse", "file_name": "w.csv"}}
    config.write_text(json.dumps(raw))
    run = run_config(config, "nest", write=False)
    assert any("reports.w" in w and "weight_recorder" in w for w in run.warnings)
    ours = _counts(run, "cells")
    np.testing.assert_array_equal(ours, np.pad(reference, (0, 3 - reference.size)))
    assert ours[0] > 20 and ours[1] != ours[2]  # the plastic synapse changed: its cell differs from the twin
    with pytest.raises(
        UnsupportedModelError, match=r"edge population 'cells_to_cells'.*static synapses only.*stdp"
    ):
        run_config(config, "brian2", write=False, target="numpy")


@pytest.mark.parametrize(
    ("node_type", "edge_type", "match"),
    [
        (
            {
                "model_type": "biophysical",
                "model_template": "ctdb:Biophys1.hoc",
                "dynamics_params": "lif.json",
            },
            {},
            r"population 'cells'.*model_type \['biophysical'\].*bionet",
        ),
        (
            {
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            },
            {"weight_function": "my_weights"},
            r"edge population 'inputs_to_cells'.*weight_function \['my_weights'\].*syn_weight",
        ),
        (
            {
                "model_type": "point_neuron",
                "model_template": "nest:glif_psc",
                "dynamics_params": "allen_glif.json",
            },
            {},
            r"population 'cells'.*allen_glif\.json.*Allen Cell Types GLIF.*glif_utils",
        ),
    ],
)
def test_what_neuroloom_cannot_run_is_refused_with_what_to_do(
    tmp_path: Path, node_type: dict[str, Any], edge_type: dict[str, Any], match: str
) -> None:
    _circuit(
        tmp_path,
        [{"node_type_id": 1, **node_type}],
        [1, 1],
        [{"edge_type_id": 1, "syn_weight": 5.0, "delay": 1.0, **edge_type}],
        (np.arange(4), np.array([0, 1, 0, 1]), np.ones(4, np.int64)),
        files={"lif.json": LIF, "allen_glif.json": {"type": "GLIF", "El": 0.0, "coeffs": {"G": 1.0}}},
    )
    config = _config(tmp_path, _spike_input(tmp_path))
    for simulator in ("nest", "brian2"):
        with pytest.raises(NeuroloomError, match=match):
            run_config(config, simulator, write=False)


def test_bmtk_only_spike_inputs_say_what_to_give_instead(tmp_path: Path) -> None:
    """point_neuropixels samples Allen Neuropixels units (``ecephys_probe``): refused with the way out."""
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1],
        files={"lif.json": LIF},
    )
    probe = {
        "input_type": "spikes",
        "module": "ecephys_probe",
        "input_file": "session.nwb",
        "node_set": "cells",
    }
    config = _config(tmp_path, {"lgn": probe})
    with pytest.raises(
        NeuroloomError, match=r"inputs\.lgn\.module.*ecephys_probe.*SONATA spike file.*sonata"
    ):
        run_config(config, "nest", write=False)


def test_a_clamp_from_time_zero_runs_and_warns_that_bmtk_drops_it(tmp_path: Path) -> None:
    """pointnet skips clamp steps starting at t <= dt (NEST's step generator cannot start there)."""
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1],
        files={"lif.json": LIF},
    )
    clamp = {"input_type": "current_clamp", "module": "IClamp", "amp": 450.0, "delay": 0.0, "duration": 200.0}
    config = _config(tmp_path, {"clamp": clamp}, tstop=300.0)
    reference = bmtk_pointnet(config, tmp_path / "bmtk").get("cells", np.zeros(1, np.int64))
    run = run_config(config, "nest", write=False)
    assert reference.sum() == 0 and _counts(run, "cells")[0] > 5
    assert any("t <= dt" in w and "bmtk pointnet skips" in w for w in run.warnings)


def test_a_missing_synapse_file_runs_with_nest_defaults_and_a_warning(tmp_path: Path) -> None:
    _circuit(
        tmp_path,
        [
            {
                "node_type_id": 1,
                "model_type": "point_neuron",
                "model_template": "nest:iaf_psc_alpha",
                "dynamics_params": "lif.json",
            }
        ],
        [1, 1],
        [
            {
                "edge_type_id": 1,
                "syn_weight": 900.0,
                "delay": 1.0,
                "model_template": "static_synapse",
                "dynamics_params": "ExcToExc.json",
            }
        ],
        (np.arange(4), np.array([0, 1, 0, 1]), np.ones(4, np.int64)),
        files={"lif.json": LIF},
    )
    run = run_config(_config(tmp_path, _spike_input(tmp_path)), "nest", write=False)
    assert _counts(run, "cells").sum() > 0
    assert any("ExcToExc.json" in w and "does not exist" in w for w in run.warnings)
