"""A SONATA point-neuron circuit as flat arrays, shared by the Brian2 and NEST adapters.

Node populations are either *virtual* (``model_type`` ``virtual`` in the node
types table, or ``"type": "virtual"`` in the circuit config: spike sources
driven by inputs) or integrate-and-fire neurons named by ``model_template``
(``nest:iaf_psc_exp``, ``nest:iaf_psc_alpha``, ``nest:iaf_cond_exp``,
``nest:iaf_cond_alpha``; the ``nest:`` prefix is optional), with parameters
in NEST's names and units (pF, ms, mV, pA, nS) from:

1. the model's NEST defaults,
2. the ``dynamics_params`` JSON file of each node type (resolved in the
   config's ``components.point_neuron_models_dir``),
3. node attributes with a parameter's name (per node, e.g. ``V_m`` or
   ``I_e``), which win.

Edge populations give ``syn_weight`` (times ``nsyns`` if present, as bmtk
does; pA for current synapses, nS for conductance synapses, negative =
inhibitory) and ``delay`` (ms; edges without one get NEST's default of 1 ms
and the network carries a warning). Any other NEST model (``nest:<name>``)
loads as a *generic* model whose ``dynamics_params`` go to NEST unchecked, and
``nrn:IntFire1`` loads for the NEURON adapter; an adapter refuses the models
it lacks. Everything is read with one column read per property.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom.errors import DynamicsParamsError, InputSpecError, SimulationError, UnsupportedModelError
from neuroloom.sim.inputs import CurrentClamp, Input, SpikeSource

__all__ = ["MODELS", "PointModel", "PointNetwork", "PointPopulation", "PointProjection", "load_point_network"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NEST_V_M = -70.0  # mV: the initial membrane potential NEST gives its integrate-and-fire models
DEFAULT_DELAY = 1.0  # ms: what NEST gives a connection without a delay (and bmtk pointnet passes on)


@dataclass(frozen=True)
class PointModel:
    """An integrate-and-fire model: synapse type (current/conductance) and shape (exp/alpha)."""

    name: str
    synapse: str  # "current" | "conductance"
    shape: str  # "exp" | "alpha"
    defaults: Mapping[str, float]

    @property
    def generic(self) -> bool:
        """True for a model only its own simulator knows (any NEST model, NEURON's IntFire1)."""
        return self.synapse in ("nest", "nrn")

    @property
    def recordables(self) -> dict[str, str]:
        """Our variable names -> units (empty for generic models: the simulator checks names)."""
        if self.generic:
            return {}
        if self.synapse == "current":
            return {"v": "mV", "I_ex": "pA", "I_in": "pA"}
        if self.shape == "izhikevich":
            return {"v": "mV", "U_m": "mV"}
        if self.synapse == "delta":
            return {"v": "mV"}
        extra = {"w": "pA"} if "w" in self.defaults else {}
        return {"v": "mV", "g_ex": "nS", "g_in": "nS", **extra}


_PSC = {
    "C_m": 250.0,
    "tau_m": 10.0,
    "E_L": -70.0,
    "V_th": -55.0,
    "V_reset": -70.0,
    "t_ref": 2.0,
    "I_e": 0.0,
    "tau_syn_ex": 2.0,
    "tau_syn_in": 2.0,
    "V_m": float("nan"),
}
_COND = {
    "C_m": 250.0,
    "g_L": 16.6667,
    "E_L": -70.0,
    "V_th": -55.0,
    "V_reset": -60.0,
    "t_ref": 2.0,
    "I_e": 0.0,
    "E_ex": 0.0,
    "E_in": -85.0,
    "tau_syn_ex": 0.2,
    "tau_syn_in": 2.0,
    "V_m": float("nan"),
}
MODELS: dict[str, PointModel] = {
    "iaf_psc_exp": PointModel("iaf_psc_exp", "current", "exp", _PSC),
    "iaf_psc_alpha": PointModel("iaf_psc_alpha", "current", "alpha", _PSC),
    "iaf_cond_exp": PointModel("iaf_cond_exp", "conductance", "exp", _COND),
    "iaf_cond_alpha": PointModel("iaf_cond_alpha", "conductance", "alpha", _COND),
}
# NEST's defaults of the models Brian2 mirrors beyond the integrate-and-fire four
_DELTA = {k: v for k, v in _PSC.items() if not k.startswith("tau_syn")}
_AEIF = {
    "C_m": 281.0,
    "g_L": 30.0,
    "E_L": -70.6,
    "V_th": -50.4,
    "Delta_T": 2.0,
    "tau_w": 144.0,
    "a": 4.0,
    "b": 80.5,
    "V_peak": 0.0,
    "V_reset": -60.0,
    "t_ref": 0.0,
    "I_e": 0.0,
    "E_ex": 0.0,
    "E_in": -85.0,
    "tau_syn_ex": 0.2,
    "tau_syn_in": 2.0,
    "V_m": -70.6,
    "w": 0.0,
}
_IZHIKEVICH = {
    "a": 0.02,
    "b": 0.2,
    "c": -65.0,
    "d": 8.0,
    "V_th": 30.0,
    "I_e": 0.0,
    "V_m": -65.0,
    "U_m": -13.0,
}
MODELS.update(
    {
        "iaf_psc_delta": PointModel("iaf_psc_delta", "delta", "delta", _DELTA),
        "aeif_cond_exp": PointModel("aeif_cond_exp", "conductance", "exp", _AEIF),
        "aeif_cond_alpha": PointModel("aeif_cond_alpha", "conductance", "alpha", _AEIF),
        "izhikevich": PointModel("izhikevich", "delta", "izhikevich", _IZHIKEVICH),
    }
)
NEST_ALIASES = {"V_m": "v", "I_syn_ex": "I_ex", "I_syn_in": "I_in"}  # NEST's recordable -> ours


@dataclass
class PointPopulation:
    """One node population: virtual (spike source) or neurons of one model with per-node parameters."""

    name: str
    size: int
    virtual: bool
    model: PointModel | None = None
    params: dict[str, FloatArray] = field(default_factory=dict)
    extra: dict[str, list[Any]] = field(default_factory=dict)  # non-numeric values per node (generic models)
    node_models: npt.NDArray[Any] | None = None  # per node, when node types of one population differ in model

    @property
    def model_names(self) -> list[str]:
        """The NEST model names of the population (several for a mixed population)."""
        if self.node_models is not None:
            return sorted({str(m) for m in self.node_models})
        return [] if self.model is None else [self.model.name]


@dataclass
class PointProjection:
    """One edge population as arrays (node ids within the source/target populations)."""

    name: str
    source: str
    target: str
    source_ids: IntArray
    target_ids: IntArray
    weights: FloatArray
    delays: FloatArray
    # synapse models other than a plain static synapse: (NEST model, its dynamics_params) per
    # group, and the group of each edge (``None``: every edge is a ``static_synapse``)
    synapses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    synapse_index: IntArray | None = None

    def plain(self) -> bool:
        """True if every edge is a ``static_synapse`` with no parameters but weight and delay."""
        return self.synapse_index is None or all(
            model == "static_synapse" and not {k: v for k, v in params.items() if k != "receptor_type" or v}
            for model, params in self.synapses
        )


@dataclass
class PointNetwork:
    """Every population and projection of a circuit."""

    populations: dict[str, PointPopulation]
    projections: list[PointProjection]
    warnings: list[str] = field(default_factory=list)

    @property
    def neurons(self) -> list[PointPopulation]:
        return [p for p in self.populations.values() if not p.virtual]

    @property
    def virtual(self) -> list[PointPopulation]:
        return [p for p in self.populations.values() if p.virtual]


def _model_name(template: Any) -> str:
    text = str(template).strip()
    return text.split(":", 1)[1] if ":" in text else text


def _model_prefix(template: Any) -> str:
    text = str(template).strip()
    return text.split(":", 1)[0].lower() if ":" in text else "nest"


def _read_json_object(path: Path, population: str) -> dict[str, Any]:
    if not path.is_file():
        raise DynamicsParamsError(
            f"population {population!r}: dynamics_params file {path} does not exist; check the node types "
            "table and components.point_neuron_models_dir in the circuit config"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DynamicsParamsError(f"population {population!r}: {path} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DynamicsParamsError(f"population {population!r}: {path} must hold a JSON object")
    return data


# NEURON's IntFire1 as bmtk gives it: tau and refrac in seconds in dynamics_params, ms in NEURON
INTFIRE1 = PointModel("IntFire1", "nrn", "", {"tau": 10.0, "refrac": 5.0})
_SECONDS = {"tau": 1000.0, "refrac": 1000.0}


def _generic_population(
    circuit: Any, name: str, nodes: Any, templates: npt.NDArray[Any], files: npt.NDArray[Any] | None
) -> PointPopulation:
    """A population of a model only one simulator knows: parameters as its dynamics_params give them."""
    template = str(templates[0])
    prefix, model_name = _model_prefix(template), _model_name(template)
    if prefix == "nrn" and model_name == "IntFire1":
        model = INTFIRE1
    elif prefix == "nest":
        model = PointModel(model_name, "nest", "", {})
    else:
        raise UnsupportedModelError(
            f"population {name!r} ({nodes.path}): model_template {template!r} is not a point-neuron model "
            f"(point models: {sorted(MODELS)}, any NEST model as nest:<name>, nrn:IntFire1)"
        )
    params, extra = _file_params(circuit, name, nodes.size, files, model)
    return PointPopulation(name, int(nodes.size), False, model, params, extra)


def _file_params(
    circuit: Any, name: str, size: int, files: npt.NDArray[Any] | None, model: PointModel
) -> tuple[dict[str, FloatArray], dict[str, list[Any]]]:
    """Per-node values of a generic model's ``dynamics_params`` files (NaN / None where a file lacks one)."""
    params: dict[str, FloatArray] = {k: np.full(size, v) for k, v in model.defaults.items()}
    extra: dict[str, list[Any]] = {}
    nodes_size = size
    if files is not None:
        folder = _models_dir(circuit)
        uniques, inverse = np.unique(np.asarray(files, dtype=str), return_inverse=True)
        for k, fname in enumerate(uniques):
            rows = np.flatnonzero(inverse == k)
            if fname in {"", "nan", "None", "NULL"}:
                continue
            data = _read_json_object(folder / fname, name)
            if model.synapse == "nest" and data.get("type") == "GLIF":
                raise UnsupportedModelError(
                    f"population {name!r}: {folder / fname} holds Allen Cell Types GLIF parameters "
                    '("type": "GLIF", SI units), which bmtk converts to NEST\'s glif_psc on loading; '
                    "neuroloom reads NEST's parameter names and units: save the converted parameters "
                    "(bmtk.simulator.pointnet.glif_utils) as the dynamics_params file"
                )
            for key, value in data.items():
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    if model.synapse == "nrn":
                        continue  # bmtk's IntFire1 files carry a "type" label
                    extra.setdefault(key, [None] * nodes_size)
                    for row in rows:
                        extra[key][row] = value
                    continue
                scale = _SECONDS.get(key, 1.0) if model.synapse == "nrn" else 1.0
                params.setdefault(key, np.full(nodes_size, np.nan))[rows] = float(value) * scale
    return params, extra


_POINT_TYPES = {"point_neuron", "point_process", "point_soma", "virtual", "nan", "None", ""}


def _mixed_population(
    circuit: Any, name: str, nodes: Any, templates: npt.NDArray[Any], files: npt.NDArray[Any] | None
) -> PointPopulation:
    """A population whose node types name different NEST models (bmtk's V1 models mix GLIF and LIF)."""
    prefixes = {_model_prefix(t) for t in pd.unique(pd.Series(templates))}
    if prefixes != {"nest"}:
        raise UnsupportedModelError(
            f"population {name!r} ({nodes.path}) mixes models of several simulators "
            f"{sorted(str(t) for t in pd.unique(pd.Series(templates)))}; give each its own population"
        )
    per_node = np.array([_model_name(t) for t in templates], dtype=object)
    names = sorted({str(m) for m in per_node})
    model = PointModel("+".join(names), "nest", "", {})
    params, extra = _file_params(circuit, name, int(nodes.size), files, model)
    return PointPopulation(name, int(nodes.size), False, model, params, extra, per_node)


def _read_params(path: Path, population: str, model: PointModel) -> dict[str, float]:
    data = _read_json_object(path, population)
    unknown = sorted(set(data) - set(model.defaults))
    if unknown:
        raise DynamicsParamsError(
            f"population {population!r}: {path} sets {unknown}, which {model.name} does not have "
            f"(parameters: {sorted(model.defaults)})"
        )
    try:
        return {k: float(v) for k, v in data.items()}
    except (TypeError, ValueError) as exc:
        raise DynamicsParamsError(
            f"population {population!r}: {path} holds a non-numeric value ({exc})"
        ) from exc


def _column(frame: pd.DataFrame, name: str) -> npt.NDArray[Any] | None:
    return frame[name].to_numpy() if name in frame.columns else None


def _models_dir(circuit: Any) -> Path:
    components = circuit.config.get("components", {}) or {}
    folder = components.get("point_neuron_models_dir")
    return Path(folder) if folder else Path(circuit.config_path).resolve().parent


def _population(circuit: Any, name: str) -> PointPopulation:
    nodes = circuit.nodes[name]
    wanted = [c for c in ("model_type", "model_template", "dynamics_params") if c in nodes.property_names]
    frame = nodes.get(None, wanted) if wanted else pd.DataFrame(index=np.arange(nodes.size))
    model_type = _column(frame, "model_type")
    virtual = nodes.type == "virtual" or (model_type is not None and np.all(model_type == "virtual"))
    if virtual:
        return PointPopulation(name, int(nodes.size), True)
    if model_type is not None and np.any(model_type == "virtual"):
        raise UnsupportedModelError(
            f"population {name!r} ({nodes.path}) mixes virtual and non-virtual node types; split it into two "
            "populations"
        )
    templates = _column(frame, "model_template")
    if templates is None:
        raise UnsupportedModelError(
            f"population {name!r} ({nodes.path}) has no model_template; give one of "
            f"{['nest:' + m for m in MODELS]} in its node types table"
        )
    if model_type is not None:
        kinds = {str(k) for k in pd.unique(pd.Series(model_type))} - _POINT_TYPES
        if kinds:
            raise UnsupportedModelError(
                f"population {name!r} ({nodes.path}) has model_type {sorted(kinds)}: neuroloom simulates "
                "point "
                "neurons (model_type point_neuron, point_process or virtual) with NEST, Brian2 or NEURON's "
                "IntFire1; run multi-compartment cells with bmtk's bionet (or replace them by point models)"
            )
    names = {_model_name(t) for t in pd.unique(pd.Series(templates))}
    files = _column(frame, "dynamics_params")
    if len(names) > 1:
        return _mixed_population(circuit, name, nodes, templates, files)
    (model_name,) = names
    if model_name not in MODELS or _model_prefix(templates[0]) != "nest":
        return _generic_population(circuit, name, nodes, templates, files)
    model = MODELS[model_name]
    params = {k: np.full(nodes.size, v, dtype=np.float64) for k, v in model.defaults.items()}
    if files is None:
        raise DynamicsParamsError(
            f"population {name!r} ({nodes.path}) has no dynamics_params; add a dynamics_params column to its "
            "node types table naming a JSON file (an empty object {} means NEST's defaults)"
        )
    folder = _models_dir(circuit)
    uniques, inverse = np.unique(np.asarray(files, dtype=str), return_inverse=True)
    for k, fname in enumerate(uniques):
        if fname in {"", "nan", "None", "NULL"}:
            raise DynamicsParamsError(
                f"population {name!r} ({nodes.path}): some node types lack dynamics_params"
            )
        rows = inverse == k
        for key, value in _read_params(folder / fname, name, model).items():
            params[key][rows] = value
    per_node = [p for p in model.defaults if p in nodes.property_names and p not in wanted]
    if per_node:
        attrs = nodes.get(None, per_node)
        for key in per_node:
            values = pd.to_numeric(attrs[key], errors="coerce").to_numpy(np.float64)
            given = ~np.isnan(values)
            params[key][given] = values[given]
    missing_v = np.isnan(params["V_m"])
    params["V_m"][missing_v] = NEST_V_M  # NEST starts at -70 mV whatever E_L is
    _check_params(name, model, params)
    return PointPopulation(name, int(nodes.size), False, model, params)


def _check_params(name: str, model: PointModel, params: Mapping[str, FloatArray]) -> None:
    positive = [
        k for k in ("C_m", "t_ref", "tau_syn_ex", "tau_syn_in", "tau_m", "g_L", "tau_w") if k in params
    ]
    if model.synapse == "conductance" and "tau_m" in positive:
        positive.remove("tau_m")
    for key in positive:
        values = params[key]
        if not np.all(np.isfinite(values)) or np.any(values < 0) or (key != "t_ref" and np.any(values == 0)):
            raise DynamicsParamsError(
                f"population {name!r}: {key} must be finite and > 0 (got min {values.min()})"
            )
    if model.name.startswith("iaf") and np.any(params["V_reset"] >= params["V_th"]):
        raise DynamicsParamsError(f"population {name!r}: V_reset must be below V_th")


def _edge_signs(circuit: Any, edges: Any) -> FloatArray:
    """bmtk's ``sign`` of each edge's synaptic model (NEURON point processes with ``nsyns``)."""
    components = circuit.config.get("components", {}) or {}
    folder = Path(components.get("synaptic_models_dir") or Path(circuit.config_path).resolve().parent)
    files = edges.get(None, ["dynamics_params"])["dynamics_params"].to_numpy()
    uniques, inverse = np.unique(np.asarray(files, dtype=str), return_inverse=True)
    signs = np.ones(uniques.size)
    for k, fname in enumerate(uniques):
        if fname not in {"", "nan", "None", "NULL"}:
            signs[k] = float(_read_json_object(folder / fname, edges.name).get("sign", 1.0))
    return signs[inverse]


def _projection(
    circuit: Any, name: str, populations: Mapping[str, PointPopulation], warnings: list[str]
) -> PointProjection:
    edges = circuit.edges[name]
    for side in (edges.source, edges.target):
        if side not in populations:
            raise SimulationError(
                f"edge population {name!r} ({edges.path}) connects node population {side!r}, "
                "which the circuit "
                f"does not define (node populations: {sorted(populations)})"
            )
    if populations[edges.target].virtual:
        raise SimulationError(
            f"edge population {name!r} ({edges.path}) targets the virtual population "
            f"{edges.target!r}; virtual nodes cannot receive synapses"
        )
    props = edges.property_names
    if "syn_weight" not in props:
        raise DynamicsParamsError(
            f"edge population {name!r} ({edges.path}) has no 'syn_weight' (edge file or edge types table); "
            "give each edge type a syn_weight"
        )
    columns = ["source_node_id", "target_node_id", "syn_weight"] + [
        c for c in ("delay", "nsyns") if c in props
    ]
    frame = edges.get(None, columns)
    weights = pd.to_numeric(frame["syn_weight"], errors="coerce").to_numpy(np.float64)
    if "delay" in frame.columns:
        delays = pd.to_numeric(frame["delay"], errors="coerce").to_numpy(np.float64)
    else:
        delays = np.full(weights.size, np.nan)
    missing = np.isnan(delays)
    if missing.any():
        delays[missing] = DEFAULT_DELAY
        warnings.append(
            f"edge population {name!r} ({edges.path}): {int(missing.sum())} edges have no delay; "
            f"they get NEST's default delay of {DEFAULT_DELAY} ms"
        )
    if "nsyns" in frame.columns:
        weights = weights * pd.to_numeric(frame["nsyns"], errors="coerce").fillna(1).to_numpy(np.float64)
        target_model = populations[edges.target].model
        if target_model is not None and target_model.synapse == "nrn" and "dynamics_params" in props:
            weights = weights * _edge_signs(circuit, edges)
    if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(delays))) or np.any(delays < 0):
        raise DynamicsParamsError(
            f"edge population {name!r} ({edges.path}): syn_weight and delay must be finite and delay >= 0"
        )
    _check_weight_function(edges, props)
    synapses, index = _synapse_models(circuit, edges, props, warnings)
    return PointProjection(
        name,
        edges.source,
        edges.target,
        frame["source_node_id"].to_numpy(np.int64),
        frame["target_node_id"].to_numpy(np.int64),
        weights,
        delays,
        synapses,
        index,
    )


_WEIGHT_FUNCTIONS = {"wmax", "default_weight_fnc", "set_syn_weight"}  # bmtk's own: syn_weight * nsyns
_NO_FILE = {"", "nan", "None", "NULL"}


def _check_weight_function(edges: Any, props: Any) -> None:
    if "weight_function" not in props:
        return
    names = {str(v) for v in pd.unique(edges.get(None, ["weight_function"])["weight_function"])}
    unknown = sorted(names - _WEIGHT_FUNCTIONS - _NO_FILE)
    if unknown:
        raise DynamicsParamsError(
            f"edge population {edges.name!r} ({edges.path}): weight_function {unknown} is a Python function "
            "registered in bmtk (add_weight_function), which neuroloom cannot call; write the weights it "
            "computes into the edges' syn_weight and drop weight_function "
            f"(built in: {sorted(_WEIGHT_FUNCTIONS)})"
        )


def _synapse_models(
    circuit: Any, edges: Any, props: Any, warnings: list[str]
) -> tuple[list[tuple[str, dict[str, Any]]], IntArray | None]:
    """Each edge's NEST synapse model and its ``dynamics_params`` (as bmtk pointnet passes them to NEST)."""
    wanted = [c for c in ("model_template", "dynamics_params") if c in props]
    if not wanted:
        return [], None
    frame = edges.get(None, wanted)
    columns = [
        frame[c].astype(str).to_numpy(dtype=str) if c in frame.columns else np.full(len(frame), "")
        for c in ("model_template", "dynamics_params")
    ]
    pairs, index = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
    components = circuit.config.get("components", {}) or {}
    folder = Path(components.get("synaptic_models_dir") or Path(circuit.config_path).resolve().parent)
    synapses = []
    for template, fname in pairs:
        model = _model_name(template) if template not in _NO_FILE else "static_synapse"
        params = {}
        if fname not in _NO_FILE and not (folder / fname).is_file():
            warnings.append(
                f"edge population {edges.name!r} ({edges.path}): dynamics_params file {folder / fname} "
                f"does not exist (components.synaptic_models_dir); its {model} edges get NEST's defaults"
            )
        elif fname not in _NO_FILE:
            params = _read_json_object(folder / fname, edges.name)
        params = {k: v for k, v in params.items() if k not in ("weight", "delay", "synapse_model")}
        synapses.append((model, params))
    return synapses, np.asarray(index, np.int64).reshape(-1)


def load_point_network(circuit: Any) -> PointNetwork:
    """Read a circuit (a :class:`neuroloom.sonata.Circuit` or a path to its config) into arrays."""
    if isinstance(circuit, (str, Path)):
        from neuroloom.sonata import Circuit

        circuit = Circuit(circuit)
    populations = {name: _population(circuit, name) for name in sorted(circuit.nodes)}
    warnings: list[str] = []
    projections = [_projection(circuit, name, populations, warnings) for name in sorted(circuit.edges)]
    return PointNetwork(populations, projections, warnings)


def grid_spikes(
    ids: IntArray, times: FloatArray, dt: float, *, unique: bool = True
) -> tuple[IntArray, FloatArray]:
    """Spikes moved onto the simulation grid (at least one step after 0), sorted by step and node.

    ``unique=True`` keeps one spike per node and step (Brian2's spike generators
    allow no more); NEST takes ``unique=False`` and delivers every spike, as its
    ``spike_generator`` does for two spikes of one source within a step.
    """
    steps = np.maximum(np.rint(times / dt).astype(np.int64), 1)
    if not ids.size:
        return np.zeros(0, np.int64), np.zeros(0)
    keys = np.stack([steps, ids])
    keys = np.unique(keys, axis=1) if unique else keys[:, np.lexsort((ids, steps))]
    return keys[1].astype(np.int64), keys[0] * dt


def record_spec(
    record: Mapping[str, Mapping[str, Any] | Any] | None, network: PointNetwork
) -> dict[str, dict[str, IntArray]]:
    """Normalise ``record={"exc": {"v": [0, 1]}, "inh": ["v"]}`` to population -> variable -> ids.

    A list of variables (or ``None`` as ids) records every node of the population.
    """
    out: dict[str, dict[str, IntArray]] = {}
    for population, spec in (record or {}).items():
        pop = network.populations.get(population)
        if pop is None or pop.virtual or pop.model is None:
            raise SimulationError(
                f"record: {population!r} is not a simulated neuron population "
                f"(neuron populations: {sorted(p.name for p in network.neurons)})"
            )
        variables = (
            dict(spec)
            if isinstance(spec, Mapping)
            else dict.fromkeys([spec] if isinstance(spec, str) else spec)
        )
        out[population] = {}
        for given, ids in variables.items():
            variable = given if pop.model.generic else NEST_ALIASES.get(given, given)
            if not pop.model.generic and variable not in pop.model.recordables:
                raise SimulationError(
                    f"record: {pop.model.name} population {population!r} has no variable {variable!r}; "
                    f"recordable: {sorted(pop.model.recordables)}"
                )
            chosen = (
                np.arange(pop.size, dtype=np.int64) if ids is None else np.unique(np.asarray(ids, np.int64))
            )
            if chosen.size and (chosen.min() < 0 or chosen.max() >= pop.size):
                raise SimulationError(f"record: node ids of {population!r} must lie in 0..{pop.size - 1}")
            out[population][variable] = chosen
    return out


def check_input_targets(inputs: list[Input], network: PointNetwork) -> None:
    """Spike sources must drive virtual populations, clamps neuron populations."""

    for item in inputs:
        pop = network.populations.get(item.population)
        if pop is None:
            raise InputSpecError(
                f"{type(item).__name__} names population {item.population!r}, which is not in the circuit "
                f"(populations: {sorted(network.populations)})"
            )
        if isinstance(item, SpikeSource) and not pop.virtual:
            raise InputSpecError(
                f"{type(item).__name__} drives {item.population!r}, a neuron population; spike sources drive "
                "virtual populations (add a virtual population with edges onto it)"
            )
        if isinstance(item, CurrentClamp) and pop.virtual:
            raise InputSpecError(f"CurrentClamp on the virtual population {item.population!r} has no effect")
