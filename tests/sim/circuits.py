"""Tiny SONATA circuits written with neuroloom.sonata for the adapter tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.sonata import write_circuit_config, write_edges, write_nodes, write_types


def single_population(
    folder: Path,
    n: int,
    model: str = "iaf_psc_exp",
    params: dict[str, Any] | None = None,
    *,
    node_attrs: dict[str, Any] | None = None,
    source: int = 0,
    weight: float = 1.0,
    delay: float = 1.0,
    dynamics_file: str | None = "cell.json",
) -> Path:
    """``pop`` of ``n`` neurons; with ``source > 0`` a virtual ``src`` connected all-to-all onto it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "models").mkdir(exist_ok=True)
    if dynamics_file is not None and params is not None:
        (folder / "models" / dynamics_file).write_text(json.dumps(params))
    populations: dict[str, Any] = {"pop": {"node_type_id": np.ones(n, np.int64), **(node_attrs or {})}}
    if source:
        populations["src"] = {"node_type_id": np.full(source, 2, np.int64)}
    write_nodes(folder / "nodes.h5", populations)
    types = {
        "node_type_id": [1, 2],
        "model_type": ["point_neuron", "virtual"],
        "model_template": [f"nest:{model}", "NULL"],
    }
    if dynamics_file is not None:
        types["dynamics_params"] = [dynamics_file, "NULL"]
    write_types(folder / "node_types.csv", pd.DataFrame(types), "node_type_id")
    edges = []
    config_pops: dict[str, Any] = {"pop": {"type": "point_neuron"}}
    if source:
        config_pops["src"] = {"type": "virtual"}
        src = np.repeat(np.arange(source), n)
        trg = np.tile(np.arange(n), source)
        write_edges(
            folder / "edges.h5",
            "src_to_pop",
            src,
            trg,
            source="src",
            target="pop",
            source_size=source,
            target_size=n,
            properties={"syn_weight": np.full(src.size, weight), "delay": np.full(src.size, delay)},
        )
        edges.append({"edges_file": "edges.h5"})
    return write_circuit_config(
        folder / "circuit_config.json",
        [{"nodes_file": "nodes.h5", "node_types_file": "node_types.csv", "populations": config_pops}],
        edges,
        components={"point_neuron_models_dir": "$BASE_DIR/models"},
    )


def lif_rate(params: dict[str, float], current_pa: float) -> float:
    """Analytic firing rate (Hz) of a current-driven LIF neuron (NEST iaf_psc_* semantics)."""
    r = params["tau_m"] / params["C_m"]  # GOhm -> mV per pA
    drive = r * current_pa
    if drive <= params["V_th"] - params["E_L"]:
        return 0.0
    period = params["t_ref"] + params["tau_m"] * np.log(
        (drive - (params["V_reset"] - params["E_L"])) / (drive - (params["V_th"] - params["E_L"]))
    )
    return 1000.0 / period
