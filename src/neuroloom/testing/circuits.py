"""Small SONATA point-neuron circuits for examples, tests and benchmarks.

``write_ei_circuit(folder, ...)`` writes an excitatory/inhibitory network
with fixed connection probability (no autapses), optionally an external
virtual population, as a SONATA circuit (nodes, edges, types tables,
``dynamics_params`` JSON files, ``circuit_config.json``) through
:mod:`neuroloom.sonata`. Connectivity is drawn with numpy in blocks of
targets, never per pair in Python.

The default parameters are the Vogels & Abbott (2005) current-based
benchmark network as Brian2's CUBA example states it, in NEST's
``iaf_psc_exp`` terms: τm = 20 ms, C_m = 250 pF, E_L = -49 mV (above
threshold, so the network is self-driven), V_th = -50 mV, V_reset = -60 mV,
τref = 5 ms, τex = 5 ms, τin = 10 ms, w_ex = 1.62 mV·C_m/τm = 20.25 pA,
w_in = -9 mV·C_m/τm = -112.5 pA, initial V uniform in [V_reset, V_th].
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["CUBA", "fixed_probability", "write_ei_circuit"]

CUBA: dict[str, float] = {
    "C_m": 250.0,
    "tau_m": 20.0,
    "E_L": -49.0,
    "V_th": -50.0,
    "V_reset": -60.0,
    "t_ref": 5.0,
    "tau_syn_ex": 5.0,
    "tau_syn_in": 10.0,
    "I_e": 0.0,
}


def fixed_probability(
    n_source: int,
    n_target: int,
    p: float,
    rng: np.random.Generator,
    *,
    autapses: bool = True,
    block: int = 512,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Source and target ids of independent Bernoulli(p) connections, sorted by target."""
    src_parts, trg_parts = [], []
    for start in range(0, n_target, block):
        stop = min(start + block, n_target)
        mask = rng.random((stop - start, n_source)) < p
        if not autapses:
            rows = np.arange(start, stop)
            ok = rows < n_source
            mask[np.flatnonzero(ok), rows[ok]] = False
        t, s = np.nonzero(mask)
        src_parts.append(s.astype(np.int64))
        trg_parts.append((t + start).astype(np.int64))
    return np.concatenate(src_parts), np.concatenate(trg_parts)


def write_ei_circuit(
    folder: str | Path,
    *,
    n_exc: int = 3200,
    n_inh: int = 800,
    p: float = 0.02,
    w_ex: float = 20.25,
    w_in: float = -112.5,
    delay: float = 0.1,
    model: str = "iaf_psc_exp",
    params: Mapping[str, float] | None = None,
    n_ext: int = 0,
    p_ext: float = 0.1,
    w_ext: float = 20.25,
    random_v: bool = True,
    seed: int = 0,
) -> Path:
    """Write an E/I circuit and return the path of its ``circuit_config.json``.

    Populations ``exc`` and ``inh`` (one model, parameters from ``params``,
    default :data:`CUBA`), and with ``n_ext > 0`` a virtual population ``ext``
    projecting onto both with probability ``p_ext`` and weight ``w_ext``.
    Edge populations are named ``<source>_to_<target>``.
    """
    from neuroloom.sonata import write_circuit_config

    folder = Path(folder)
    (folder / "components").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    values = dict(CUBA if params is None else params)
    (folder / "components" / "neuron.json").write_text(json.dumps(values))
    sizes = {"exc": n_exc, "inh": n_inh}
    node_entries = [_write_ei_nodes(folder, sizes, model, values, random_v, rng)]
    pathways = [
        ("exc", "exc", w_ex, p),
        ("exc", "inh", w_ex, p),
        ("inh", "exc", w_in, p),
        ("inh", "inh", w_in, p),
    ]
    if n_ext:
        node_entries.append(_write_virtual_nodes(folder, n_ext))
        pathways += [("ext", "exc", w_ext, p_ext), ("ext", "inh", w_ext, p_ext)]
    all_sizes = {**sizes, "ext": n_ext}
    edge_entries = [
        _write_pathway(folder, source, target, all_sizes, weight, prob, delay, rng)
        for source, target, weight, prob in pathways
    ]
    return write_circuit_config(
        folder / "circuit_config.json",
        node_entries,
        edge_entries,
        components={"point_neuron_models_dir": "$BASE_DIR/components"},
    )


def _write_ei_nodes(
    folder: Path,
    sizes: Mapping[str, int],
    model: str,
    values: Mapping[str, float],
    random_v: bool,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Write ``nodes.h5`` (``exc``, ``inh``) and ``node_types.csv``; return their circuit-config entry."""
    from neuroloom.sonata import write_nodes, write_types

    nodes: dict[str, dict[str, Any]] = {}
    for k, (name, n) in enumerate(sizes.items()):
        props: dict[str, Any] = {"node_type_id": np.full(n, 100 + k, np.int64), "ei": np.full(n, name[0])}
        if random_v:
            lo, hi = values.get("V_reset", -70.0), values.get("V_th", -55.0)
            props["V_m"] = lo + rng.random(n) * (hi - lo)
        nodes[name] = props
    write_nodes(folder / "nodes.h5", nodes)
    write_types(
        folder / "node_types.csv",
        pd.DataFrame(
            {
                "node_type_id": [100, 101],
                "model_type": ["point_neuron", "point_neuron"],
                "model_template": [f"nest:{model}"] * 2,
                "dynamics_params": ["neuron.json"] * 2,
            }
        ),
        "node_type_id",
    )
    return {
        "nodes_file": "nodes.h5",
        "node_types_file": "node_types.csv",
        "populations": {"exc": {"type": "point_neuron"}, "inh": {"type": "point_neuron"}},
    }


def _write_virtual_nodes(folder: Path, n_ext: int) -> dict[str, Any]:
    """Write the virtual population ``ext`` and its types; return their circuit-config entry."""
    from neuroloom.sonata import write_nodes, write_types

    write_nodes(folder / "ext_nodes.h5", {"ext": {"node_type_id": np.full(n_ext, 200, np.int64)}})
    write_types(
        folder / "ext_node_types.csv",
        pd.DataFrame({"node_type_id": [200], "model_type": ["virtual"]}),
        "node_type_id",
    )
    return {
        "nodes_file": "ext_nodes.h5",
        "node_types_file": "ext_node_types.csv",
        "populations": {"ext": {"type": "virtual"}},
    }


def _write_pathway(
    folder: Path,
    source: str,
    target: str,
    sizes: Mapping[str, int],
    weight: float,
    prob: float,
    delay: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Draw and write the edge population ``<source>_to_<target>``; return its circuit-config entry."""
    from neuroloom.sonata import write_edges, write_types

    name = f"{source}_to_{target}"
    src, trg = fixed_probability(sizes[source], sizes[target], prob, rng, autapses=source != target)
    write_edges(
        folder / f"{name}.h5",
        name,
        src,
        trg,
        source=source,
        target=target,
        source_size=sizes[source],
        target_size=sizes[target],
        edge_type_id=1,
        properties={"syn_weight": np.full(src.size, weight), "delay": np.full(src.size, delay)},
    )
    write_types(
        folder / f"{name}_types.csv",
        pd.DataFrame({"edge_type_id": [1], "model_template": ["static_synapse"]}),
        "edge_type_id",
    )
    return {"edges_file": f"{name}.h5", "edge_types_file": f"{name}_types.csv"}
