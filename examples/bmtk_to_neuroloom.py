"""From bmtk to neuroloom: build a small point network with bmtk itself, then study it here.

1. bmtk's ``NetworkBuilder`` builds a 400-neuron V1-like network (``v1``:
   320 excitatory + 80 inhibitory ``nest:iaf_psc_alpha`` cells) driven by a
   virtual ``lgn`` population, and saves it as SONATA files, exactly as a
   bmtk user does today;
2. a ``circuit_config.json`` names those files (bmtk writes one with its
   simulation environment; here it is written with neuroloom.sonata);
3. a neuroloom study file points at that circuit, explores the LGN rate x the
   factor on the recurrent weights, and runs it in Brian2 (``--simulator nest``
   runs the same study in NEST) with the processes backend, then writes the report.

    python examples/bmtk_to_neuroloom.py OUT_DIR [--simulator brian2|nest] [--backend processes]
        [--builder bmtk|neuroloom]

``--builder neuroloom`` runs the same build code with neuroloom's builder
(only the import differs): the same network, bmtk's random stream included.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

CELL = {"C_m": 250.0, "tau_m": 20.0, "E_L": -70.0, "V_th": -50.0, "V_reset": -65.0, "t_ref": 2.0,
        "tau_syn_ex": 1.0, "tau_syn_in": 2.0}  # fmt: skip


def build_with_bmtk(folder: Path, seed: int = 5, builder: str = "bmtk") -> Path:
    """Build and save the network with bmtk (or neuroloom's builder); return the circuit config's path."""
    if builder == "bmtk":
        from bmtk.builder import NetworkBuilder
    else:
        from neuroloom.network import NetworkBuilder

    from neuroloom.sonata import write_circuit_config

    np.random.seed(seed)
    components = folder / "components"
    components.mkdir(parents=True, exist_ok=True)
    (components / "v1_cell.json").write_text(json.dumps(CELL))
    (components / "static.json").write_text("{}")

    v1 = NetworkBuilder("v1")
    for ei, n in (("e", 320), ("i", 80)):
        v1.add_nodes(
            N=n, ei=ei, pop_name=f"v1_{ei}", model_type="point_neuron",
            model_template="nest:iaf_psc_alpha", dynamics_params="v1_cell.json",
        )  # fmt: skip

    def random_connections(source: Any, target: Any, p: float) -> int:
        return int(np.random.random() < p and source.node_id != target.node_id)

    v1.add_edges(source={"ei": "e"}, target={}, connection_rule=random_connections,
                 connection_params={"p": 0.1}, syn_weight=60.0, delay=1.5,
                 dynamics_params="static.json", model_template="static_synapse")  # fmt: skip
    v1.add_edges(source={"ei": "i"}, target={}, connection_rule=random_connections,
                 connection_params={"p": 0.1}, syn_weight=-60.0, delay=1.5,
                 dynamics_params="static.json", model_template="static_synapse")  # fmt: skip
    v1.build()
    v1.save(output_dir=str(folder))

    lgn = NetworkBuilder("lgn")
    lgn.add_nodes(N=100, pop_name="lgn", model_type="virtual")
    lgn.add_edges(source=lgn.nodes(), target=v1.nodes(), connection_rule=random_connections,
                  connection_params={"p": 0.2}, syn_weight=150.0, delay=1.0,
                  dynamics_params="static.json", model_template="static_synapse")  # fmt: skip
    lgn.build()
    lgn.save(output_dir=str(folder))
    return write_circuit_config(
        folder / "circuit_config.json",
        [
            {"nodes_file": "v1_nodes.h5", "node_types_file": "v1_node_types.csv"},
            {"nodes_file": "lgn_nodes.h5", "node_types_file": "lgn_node_types.csv"},
        ],
        [
            {"edges_file": "v1_v1_edges.h5", "edge_types_file": "v1_v1_edge_types.csv"},
            {"edges_file": "lgn_v1_edges.h5", "edge_types_file": "lgn_v1_edge_types.csv"},
        ],
        components={"point_neuron_models_dir": "$BASE_DIR/components"},
    )


def study_config(
    circuit: Path, simulator: str, backend: str, duration: float, target: str = "auto"
) -> dict[str, Any]:
    return {
        "study": {"path": f"v1-study-{simulator}", "seed": 3, "backend": backend},
        "params": {
            "lgn": {"rate": {"value": 20.0, "unit": "Hz"}},
            "syn": {"recurrent": {"value": 1.0, "comment": "factor on every v1 -> v1 weight"}},
        },
        "explore": [{"grid": {"lgn.rate": [10.0, 20.0, 40.0], "syn.recurrent": [0.5, 1.0, 2.0]}}],
        "network": {"circuit": str(circuit)},
        "simulation": {
            "simulator": simulator,
            "duration": duration,
            "dt": 0.1,
            "target": target,
            "weight_scale": {"v1_to_v1": "$syn.recurrent"},
        },
        "inputs": [{"type": "poisson", "population": "lgn", "rate": "$lgn.rate"}],
        "analysis": {"t_start": 100.0},
    }


def main(
    out: Path,
    simulator: str = "brian2",
    backend: str = "processes",
    duration: float = 500.0,
    target: str = "auto",
    builder: str = "bmtk",
) -> Any:
    from neuroloom.report import build_report, results_table
    from neuroloom.studyfile import parse_spec, run_spec

    circuit = build_with_bmtk(out / "bmtk_network", builder=builder)
    print(f"{builder} wrote {circuit}")
    config = study_config(circuit.resolve(), simulator, backend, duration, target)
    study, report = run_spec(parse_spec(config, out / "v1_study.toml"))
    print(report)
    print(results_table(study).to_string())
    print(f"report: {build_report(study)}")
    return study


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--simulator", default="brian2", choices=["brian2", "nest"])
    parser.add_argument("--backend", default="processes", choices=["serial", "processes", "dask"])
    parser.add_argument("--duration", type=float, default=500.0)
    parser.add_argument("--target", default="auto", choices=["auto", "cython", "numpy"], help="Brian2 target")
    parser.add_argument(
        "--builder", default="bmtk", choices=["bmtk", "neuroloom"], help="who builds the network"
    )
    args = parser.parse_args()
    main(args.out, args.simulator, args.backend, args.duration, args.target, args.builder)
