"""Brian2 adapter: a SONATA point-neuron circuit and inputs -> a SimulationResult.

``simulate(circuit, inputs, duration, record=..., dt=...)``:

- each neuron population becomes one ``NeuronGroup`` with NEST-compatible
  equations (``iaf_psc_exp``, ``iaf_psc_alpha``, ``iaf_cond_exp``,
  ``iaf_cond_alpha`` here; ``iaf_psc_delta``, ``aeif_cond_exp``,
  ``aeif_cond_alpha``, ``izhikevich`` in :mod:`neuroloom.sim.brian2_models`:
  same parameter names, units, defaults, refractoriness and weight
  conventions as NEST, so one circuit runs in both); any other NEST model is
  refused with the list of these and a pointer to the NEST adapter;
- each edge population becomes one ``Synapses`` per sign of weight (positive
  weights onto the excitatory current/conductance, negative onto the
  inhibitory one), connected with ``connect(i=..., j=...)`` from arrays, with
  per-edge weights and delays (a scalar delay when all are equal, which Brian2
  handles faster); a release probability below 1 adds ``rand() < p_release``
  to the transmission, ``p_release`` being a shared variable of the synapses
  (not a constant in the code), so every release probability runs the same
  compiled code;
- virtual populations become ``SpikeGeneratorGroup`` (trains from the
  inputs, on the time grid); current clamps are time-windowed terms of the
  membrane equation.

Code generation target
----------------------
``target="auto"`` (default) picks **cython** when Cython and a C compiler are
present, else **numpy**. Cython runs the per-step loops as compiled code
(several times faster than numpy's vectorised Python for networks of
thousands of neurons over a second or more), and its compiled code objects
are cached by content in ``<user cache>/neuroloom/brian2-cython`` (see
:mod:`neuroloom.sim.cache`), shared by every study and process (Brian2
locks the cache for concurrent workers), so the compile cost is paid once
per machine, not per run. Values that are the same for every neuron or edge
(shared neuron parameters, a weight common to all edges of a projection) are
compiled into the code as constants, as in a hand-written script: a new such
value compiles a new variant of that code object (seconds); input rates,
seeds and release probabilities never do. When the cache holds no compiled
code yet, the first simulation says so on stderr before compiling (one to two
minutes). ``target="numpy"`` avoids compilation altogether (useful for tiny
networks or machines without a compiler).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import sys
import threading
import time as _time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom.errors import SimulationError, SimulatorNotInstalledError, UnsupportedModelError
from neuroloom.sim.brian2_models import MIRRORED, model_code, parameter_units, synapse_target
from neuroloom.sim.cache import cache_dir
from neuroloom.sim.inputs import Input, check_inputs, clamps_for, merged_spikes, release_prob_for
from neuroloom.sim.point import (
    MODELS,
    PointNetwork,
    PointPopulation,
    PointProjection,
    check_input_targets,
    grid_spikes,
    load_point_network,
    record_spec,
)
from neuroloom.sim.result import Signal, SimulationResult, concat_spike_tables, spike_table

__all__ = ["choose_target", "equations", "simulate"]

_E = math.e
CONDUCTANCE_METHOD = "rk4"
"""Integrator of conductance-based models. RK4 at dt = 0.1 ms keeps population rates within
~3 % of NEST's adaptive RKF45 (exponential Euler: ~5 %), at four evaluations per step."""
_UNITS = {
    "C_m": "pF",
    "tau_m": "ms",
    "E_L": "mV",
    "V_th": "mV",
    "V_reset": "mV",
    "t_ref": "ms",
    "I_e": "pA",
    "tau_syn_ex": "ms",
    "tau_syn_in": "ms",
    "g_L": "nS",
    "E_ex": "mV",
    "E_in": "mV",
}


def _brian2() -> Any:
    try:
        import brian2
    except ImportError as exc:
        raise SimulatorNotInstalledError(
            f"Brian2 cannot be imported ({exc}); install it with pip install 'neuroloom[sim]' "
            "(brian2 2.9 needs "
            "numpy < 2.4)"
        ) from exc
    return brian2


def choose_target(target: str = "auto") -> str:
    """The code-generation target to use: ``"cython"`` or ``"numpy"`` (see the module docs)."""
    if target not in {"auto", "cython", "numpy"}:
        raise SimulationError(f"Brian2 target must be 'auto', 'cython' or 'numpy', got {target!r}")
    if target != "auto":
        return target
    try:
        import Cython  # noqa: F401
    except ImportError:
        return "numpy"
    return "cython" if shutil.which("cc") or shutil.which("gcc") else "numpy"


class _RandomReleaseFilter(logging.Filter):
    """Drop Brian2's "may depend on the order of execution" warning for the release gate.

    ``x_post += w * int(rand() < p_release)`` draws one number per synapse; the
    order in which synapses draw changes which synapse releases, not the
    distribution of releases, so the warning (printed for every run) says
    nothing to act on.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("may not be well-defined" in message and "rand() < p_release" in message)


_RELEASE_FILTER = _RandomReleaseFilter()


def announce_compilation(cache: Path) -> bool:
    """Say on stderr that Brian2 is about to compile, when ``cache`` holds no compiled code yet.

    Returns whether it did. Later simulations reuse the compiled modules and say nothing.
    """
    if any(cache.rglob("*.so")) or any(cache.rglob("*.pyd")):
        return False
    print(
        f"neuroloom: Brian2 compiles its Cython code into {cache} for the first time on this "
        "machine; this takes one to two minutes, and every later run reuses it "
        '(target="numpy" skips compiling)',
        file=sys.stderr,
        flush=True,
    )
    return True


def announce_when_compiling(cache: Path, since: float, delay: float = 3.0) -> threading.Timer:
    """A started timer that says on stderr, after ``delay`` s, if Brian2 is compiling into ``cache``.

    Brian2 writes a module's sources and lock into the cache as it compiles
    it: files newer than ``since`` (a ``time.time()``) mean new code is being
    compiled (a new network, or a new value of a constant compiled into the
    code). Cancel the timer when the run ends.
    """

    def check() -> None:
        try:
            fresh = any(p.stat().st_mtime >= since for p in cache.iterdir())
        except OSError:
            return
        if fresh:
            print(
                f"neuroloom: Brian2 is compiling code it has not compiled on this machine before into "
                f"{cache} (up to one to two minutes; every later run of the same code reuses it)",
                file=sys.stderr,
                flush=True,
            )

    timer = threading.Timer(delay, check)
    timer.daemon = True
    timer.start()
    return timer


def configure(target: str) -> str:
    """Set Brian2's preferences for ``target``; the Cython cache goes to the user cache."""
    b2 = _brian2()
    chosen = choose_target(target)
    b2.prefs.codegen.target = chosen
    base = logging.getLogger("brian2.codegen.generators.base")
    if _RELEASE_FILTER not in base.filters:
        base.addFilter(_RELEASE_FILTER)
    if chosen == "cython":
        b2.prefs.codegen.runtime.cython.cache_dir = str(cache_dir("brian2-cython"))
        b2.prefs.codegen.runtime.cython.multiprocess_safe = True
    return chosen


def equations(population: PointPopulation, n_clamps: int = 0, shared: frozenset[str] = frozenset()) -> str:
    """Brian2 model equations of a population (NEST semantics, NEST parameter names).

    Current-based models are linear: their state is advanced by NEST's exact
    propagators (:func:`propagators`, per-neuron constants computed once with
    numpy, applied by :func:`exact_update`), so Brian2 needs no symbolic
    integration and matches NEST's spike times. Conductance-based models are
    integrated with Brian2's RK4 (:data:`CONDUCTANCE_METHOD`). Names in ``shared`` (parameters
    equal for every neuron) are left out: they come from the group's namespace
    as constants compiled into the code, as in a hand-written script.
    """
    model = population.model
    assert model is not None
    clamp = _clamp_term(n_clamps)
    lines: list[str] = []
    if model.synapse == "current":
        # Declared as ODEs so Brian2 builds one state updater per group; the
        # code that advances them is exact_update's (see _ExactPropagators).
        lines.append("dv/dt = (E_L - v) / tau_m + (I_ex + I_in + I_drive) / C_m : volt")
        for side in ("ex", "in"):
            if model.shape == "exp":
                lines.append(f"dI_{side}/dt = -I_{side} / tau_syn_{side} : amp")
            else:
                lines.append(f"dI_{side}/dt = (x_{side} - I_{side}) / tau_syn_{side} : amp")
                lines.append(f"dx_{side}/dt = -x_{side} / tau_syn_{side} : amp")
        lines.append(f"I_drive = I_e{clamp} : amp")
        lines += [
            f"{n} : 1 (constant)" for n in ("P22", "decay_ex", "decay_in", "h_ex", "h_in") if n not in shared
        ]
        lines += [
            f"{n} : ohm (constant)"
            for n in ("P20", "P21_ex", "P21_in", "P31_ex", "P31_in")
            if n not in shared
        ]
    else:
        lines.append(
            f"dv/dt = (g_L * (E_L - v) + g_ex * (E_ex - v) + g_in * (E_in - v) + I_e{clamp}) / C_m "
            ": volt (unless refractory)"
        )
        for side in ("ex", "in"):
            if model.shape == "exp":
                lines.append(f"dg_{side}/dt = -g_{side} / tau_syn_{side} : siemens")
            else:
                lines.append(f"dg_{side}/dt = (x_{side} - g_{side}) / tau_syn_{side} : siemens")
                lines.append(f"dx_{side}/dt = -x_{side} / tau_syn_{side} : siemens")
    for name in model.defaults:
        if name != "V_m" and name not in shared:
            lines.append(f"{name} : {_brian_unit(_UNITS[name])} (constant)")
    return "\n".join(lines + _clamp_lines(n_clamps))


def _clamp_term(n_clamps: int) -> str:
    """The current-clamp terms added to a membrane equation (``+ clamp_amp_k * [on <= t < off]``)."""
    return "".join(
        f" + clamp_amp_{k} * int(t >= clamp_on_{k}) * int(t < clamp_off_{k})" for k in range(n_clamps)
    )


def _clamp_lines(n_clamps: int) -> list[str]:
    """The declarations of the clamps' amplitude (per neuron) and window (shared)."""
    return [
        line
        for k in range(n_clamps)
        for line in (
            f"clamp_amp_{k} : amp (constant)",
            f"clamp_on_{k} : second (constant, shared)",
            f"clamp_off_{k} : second (constant, shared)",
        )
    ]


def _shared(values: dict[str, tuple[Any, Any]]) -> frozenset[str]:
    """Parameters equal for every neuron (namespace constants instead of per-neuron values)."""
    return frozenset(k for k, (a, _) in values.items() if a.size and np.all(a == a[0]))


def _group(
    b2: Any,
    pop: PointPopulation,
    eqs: str,
    values: dict[str, tuple[Any, Any]],
    shared: frozenset[str],
    clamps: list[Any],
    **options: Any,
) -> Any:
    """A ``NeuronGroup`` of ``pop``: shared values in its namespace, the rest per neuron, V_m, clamps."""
    group = b2.NeuronGroup(
        pop.size,
        eqs,
        name=f"nl_{pop.name}",
        namespace={k: float(values[k][0][0]) * values[k][1] for k in shared},
        **options,
    )
    group.v = pop.params["V_m"] * b2.mV
    for key, (array, unit) in values.items():
        if key not in shared:
            setattr(group, key, array * unit)
    _set_clamps(b2, group, pop, clamps)
    return group


class _ExactPropagators:
    """A Brian2 state-update method returning :func:`exact_update`'s code.

    Used as ``NeuronGroup(method=...)`` so the exact step runs inside the
    group's own state updater: no extra object per time step (a
    ``run_regularly`` costs one more compiled call per step and group) and no
    symbolic integration with sympy.
    """

    def __init__(self, shape: str) -> None:
        self.shape = shape
        self.__name__ = f"exact_propagators_{shape}"

    def __call__(self, equations: Any, variables: Any = None, method_options: Any = None) -> str:
        return exact_update(self.shape)

    def __hash__(self) -> int:
        return hash(self.__name__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ExactPropagators) and other.shape == self.shape


def exact_update(shape: str) -> str:
    """Abstract code advancing a current-based model by one step with the exact propagators."""
    v_new = "E_L + (v - E_L) * P22 + I_drive * P20 + I_ex * P21_ex + I_in * P21_in"
    code = []
    if shape == "alpha":
        v_new += " + x_ex * P31_ex + x_in * P31_in"
        code.append(f"v_next = {v_new}")
        code += [f"I_{s} = (I_{s} + x_{s} * h_{s}) * decay_{s}" for s in ("ex", "in")]
        code += [f"x_{s} = x_{s} * decay_{s}" for s in ("ex", "in")]
    else:
        code.append(f"v_next = {v_new}")
        code += [f"I_{s} = I_{s} * decay_{s}" for s in ("ex", "in")]
    code.append("v = v + int(not_refractory) * (v_next - v)")
    return "\n".join(code)


def propagators(params: Mapping[str, np.ndarray], dt: float) -> dict[str, np.ndarray]:
    """NEST's exact propagators of ``iaf_psc_exp``/``iaf_psc_alpha`` for step ``dt`` (ms, pF -> GOhm).

    ``P21`` weighs the synaptic current, ``P31`` the alpha kernel's second
    state; both have a closed form with a safe limit when τsyn = τm.
    """
    tau_m, c_m = params["tau_m"], params["C_m"]
    p22 = np.exp(-dt / tau_m)
    out = {"P22": p22, "P20": tau_m / c_m * (1.0 - p22)}
    for side in ("ex", "in"):
        tau_s = params[f"tau_syn_{side}"]
        a = 1.0 / tau_s - 1.0 / tau_m
        small = np.abs(a * dt) < 1e-6
        a_safe = np.where(small, 1.0, a)
        p21 = np.where(small, dt, -np.expm1(-a_safe * dt) / a_safe) * p22 / c_m
        p31 = (
            np.where(
                small,
                dt * dt / 2.0,
                (1.0 - np.exp(-a_safe * dt) * (1.0 + a_safe * dt)) / (a_safe * a_safe),
            )
            * p22
            / (c_m * tau_s)
        )
        out[f"P21_{side}"] = p21
        out[f"P31_{side}"] = p31
        out[f"decay_{side}"] = np.exp(-dt / tau_s)
        out[f"h_{side}"] = dt / tau_s
    return out


def _brian_unit(unit: str) -> str:
    return {"pF": "farad", "ms": "second", "mV": "volt", "pA": "amp", "nS": "siemens"}[unit]


def _on_pre(population: PointPopulation, side: str, release_prob: float, weight: str = "w") -> str:
    """``on_pre`` code; ``weight`` is ``w`` (per synapse) or a constant such as ``16.5*pA``.

    Below 1, the release probability is the synapses' shared variable ``p_release``.
    """
    model = population.model
    assert model is not None
    if model.synapse == "delta":
        template = synapse_target(model.name)
        gate = "" if release_prob >= 1.0 else " * int(rand() < p_release)"
        return template.format(w=f"{weight}{gate}")
    var = "I" if model.synapse == "current" else "g"
    target = f"{var}_{side}_post" if model.shape == "exp" else f"x_{side}_post"
    factor = "" if model.shape == "exp" else f" * {_E!r}"
    gate = "" if release_prob >= 1.0 else " * int(rand() < p_release)"
    return f"{target} += {weight}{factor}{gate}"


def _mirrored_neurons(b2: Any, pop: PointPopulation, clamps: list[Any]) -> Any:
    """A group for a model of :mod:`neuroloom.sim.brian2_models` (NEST's equations and names)."""
    assert pop.model is not None
    name = pop.model.name
    values = {
        k: (pop.params[k], getattr(b2, unit) if unit else 1.0)
        for k, (_, unit) in parameter_units(name).items()
    }
    shared = _shared(values)
    code = model_code(name, _clamp_term(len(clamps)), shared)
    group = _group(
        b2,
        pop,
        "\n".join([code.equations, *_clamp_lines(len(clamps))]),
        values,
        shared,
        clamps,
        threshold=code.threshold,
        reset=code.reset,
        refractory=code.refractory or False,
        method=code.method,
    )
    if "w" in pop.params:  # initial states of the adaptive and Izhikevich models
        group.w = pop.params["w"] * b2.pA
    if "U_m" in pop.params:
        group.U_m = pop.params["U_m"] * b2.mV
    return group


def _set_clamps(b2: Any, group: Any, pop: PointPopulation, clamps: list[Any]) -> None:
    ids = np.arange(pop.size, dtype=np.int64)
    for k, clamp in enumerate(clamps):
        amp = np.zeros(pop.size)
        amp[clamp.targets(ids)] = clamp.amplitude * 1000.0  # nA -> pA
        setattr(group, f"clamp_amp_{k}", amp * b2.pA)
        setattr(group, f"clamp_on_{k}", clamp.delay * b2.ms)
        setattr(group, f"clamp_off_{k}", (clamp.delay + clamp.duration) * b2.ms)


def _neurons(b2: Any, pop: PointPopulation, inputs: list[Input], dt: float) -> Any:
    clamps = clamps_for(inputs, pop.name)
    assert pop.model is not None
    if pop.model.name in MIRRORED:
        return _mirrored_neurons(b2, pop, clamps)
    linear = pop.model.synapse == "current"
    values: dict[str, Any] = {}
    for name, array in pop.params.items():
        if name != "V_m":
            values[name] = (array, getattr(b2, _UNITS[name]))
    if linear:
        for name, array in propagators(pop.params, dt).items():
            values[name] = (array, b2.Gohm if name[0] == "P" and name != "P22" else 1.0)
    shared = _shared(values)
    return _group(
        b2,
        pop,
        equations(pop, len(clamps), shared),
        values,
        shared,
        clamps,
        threshold="v >= V_th",
        reset="v = V_reset",
        refractory="t_ref",
        method=_ExactPropagators(pop.model.shape) if linear else CONDUCTANCE_METHOD,
    )


def _synapses(
    b2: Any,
    proj: PointProjection,
    source: Any,
    target_pop: PointPopulation,
    target: Any,
    release_prob: float,
    suffix: str = "",
) -> list[Any]:
    model = target_pop.model
    assert model is not None
    unit = {"current": b2.pA, "conductance": b2.nS, "delta": b2.mV}[model.synapse]
    unit_name = {"current": "pA", "conductance": "nS", "delta": "mV"}[model.synapse]
    dimension = {"current": "amp", "conductance": "siemens", "delta": "volt"}[model.synapse]
    out = []
    for side, mask in (("ex", proj.weights >= 0), ("in", proj.weights < 0)):
        if not mask.any():
            continue
        delays = proj.delays[mask]
        weights = proj.weights[mask]
        if model.synapse == "conductance":
            weights = np.abs(weights)  # NEST: a negative weight opens the inhibitory conductance
        uniform = bool(np.all(delays == delays[0]))
        # one weight for every edge: compiled in as a constant, as a hand-written script does
        same_weight = bool(np.all(weights == weights[0]))
        model_lines = [] if same_weight else [f"w : {dimension} (constant)"]
        if release_prob < 1.0:
            model_lines.append("p_release : 1 (shared, constant)")
        syn = b2.Synapses(
            source,
            target,
            model="\n".join(model_lines),
            on_pre=_on_pre(
                target_pop, side, release_prob, f"({float(weights[0])!r}*{unit_name})" if same_weight else "w"
            ),
            delay=float(delays[0]) * b2.ms if uniform else None,
            name=f"nl_{proj.name}_{side}{suffix}",
        )
        syn.connect(i=proj.source_ids[mask], j=proj.target_ids[mask])
        if not same_weight:
            syn.w = weights * unit
        if release_prob < 1.0:
            syn.p_release = release_prob
        if not uniform:
            syn.delay = delays * b2.ms
        out.append(syn)
    return out


def _spike_sources(
    b2: Any, pop: PointPopulation, inputs: list[Input], duration: float, dt: float, rng: np.random.Generator
) -> tuple[list[Any], pd.DataFrame]:
    """Spike generators of a virtual population: the first holds each source's first spike of a
    step, the next ones its second, third... (Brian2 allows one spike per source and step)."""
    ids, times = merged_spikes(inputs, pop.name, np.arange(pop.size, dtype=np.int64), duration, rng)
    ids, times = grid_spikes(ids, times, dt, unique=False)
    rank = _rank_within_step(ids, times)
    made = [
        b2.SpikeGeneratorGroup(
            pop.size,
            ids[rank == k],
            times[rank == k] * b2.ms,
            name=f"nl_{pop.name}" + (f"_dup{k}" if k else ""),
        )
        for k in range(int(rank.max()) + 1 if rank.size else 1)
    ]
    return made, spike_table(pop.name, ids, times)


def _rank_within_step(ids: np.ndarray, times: np.ndarray) -> np.ndarray:
    """0 for a source's first spike in a time step, 1 for its second, ... (inputs sorted by step, id)."""
    if not ids.size:
        return np.zeros(0, np.int64)
    new = np.ones(ids.size, bool)
    new[1:] = (ids[1:] != ids[:-1]) | (times[1:] != times[:-1])
    starts = np.flatnonzero(new)
    return np.arange(ids.size) - np.repeat(starts, np.diff(np.append(starts, ids.size)))


def check_models(net: PointNetwork) -> None:
    """Every neuron model of ``net`` must have Brian2 equations here."""
    for pop in net.neurons:
        assert pop.model is not None
        if not pop.model.generic:
            continue
        owner = "NEURON (simulator='neuron')" if pop.model.synapse == "nrn" else "NEST (simulator='nest')"
        raise UnsupportedModelError(
            f"population {pop.name!r}: Brian2 has no model {pop.model.name!r}; {owner} has it. "
            f"Brian2 models: {', '.join(sorted(MODELS))}"
        )
    for proj in net.projections:
        if not proj.plain():
            named = sorted({(m, json.dumps(p, sort_keys=True)) for m, p in proj.synapses})
            raise UnsupportedModelError(
                f"edge population {proj.name!r}: Brian2 here has static synapses only (weight, delay), and "
                f"its edge types name {', '.join(f'{m} {p}' for m, p in named)} (model_template, "
                "dynamics_params); NEST has them (simulator='nest')"
            )


@dataclass
class _Built:
    """The Brian2 objects of a network: groups by population, every object, input spike tables."""

    groups: dict[str, Any] = field(default_factory=dict)
    objects: list[Any] = field(default_factory=list)
    spikes: list[pd.DataFrame] = field(default_factory=list)


def _build(
    b2: Any, net: PointNetwork, inputs: list[Input], duration: float, dt: float, rng: np.random.Generator
) -> _Built:
    """Spike sources, neuron groups and synapses of ``net``."""
    built = _Built()
    groups = built.groups
    layers: dict[str, list[Any]] = {}  # spike generators of a source's 2nd, 3rd... spike within one step
    for pop in net.virtual:
        made, table = _spike_sources(b2, pop, inputs, duration, dt, rng)
        built.spikes.append(table)
        groups[pop.name], layers[pop.name] = made[0], made[1:]
        built.objects += made[1:]
    for pop in net.neurons:
        groups[pop.name] = _neurons(b2, pop, inputs, dt)
    built.objects += groups.values()
    for proj in net.projections:
        for k, source in enumerate([groups[proj.source], *layers.get(proj.source, [])]):
            built.objects += _synapses(
                b2,
                proj,
                source,
                net.populations[proj.target],
                groups[proj.target],
                release_prob_for(inputs, proj.source),
                f"_dup{k}" if k else "",
            )
    return built


def _state_monitors(
    b2: Any, built: _Built, signals_spec: Mapping[str, Mapping[str, Any]], step: float
) -> dict[tuple[str, str], tuple[Any, Any]]:
    """One StateMonitor per recorded (population, variable), with the recorded node ids."""
    monitors = {}
    for population, variables in signals_spec.items():
        for variable, ids in variables.items():
            monitors[(population, variable)] = (
                ids,
                b2.StateMonitor(built.groups[population], variable, record=ids, dt=step * b2.ms),
            )
    built.objects += [m for _, m in monitors.values()]
    return monitors


def _signals(
    b2: Any, net: PointNetwork, monitors: Mapping[tuple[str, str], tuple[Any, Any]]
) -> dict[tuple[str, str], Signal]:
    signals: dict[tuple[str, str], Signal] = {}
    for (population, variable), (ids, mon) in monitors.items():
        model = net.populations[population].model
        assert model is not None
        unit = model.recordables[variable]
        scale = getattr(b2, unit)
        values = np.asarray(getattr(mon, variable) / scale, dtype=np.float64).T  # (time, node)
        signals[(population, variable)] = Signal(ids, np.asarray(mon.t / b2.ms, np.float64), values, unit)
    return signals


def _run_network(b2: Any, net: Any, duration: float, compiling: bool) -> None:
    """``net.run``, saying on stderr if it compiles new Cython code (``compiling``: cython target)."""
    timer = announce_when_compiling(cache_dir("brian2-cython"), _time.time()) if compiling else None
    try:
        net.run(duration * b2.ms)
    except Exception as exc:  # Brian2 raises BrianObjectException & co with the cause inside
        raise SimulationError(f"Brian2 failed while running the circuit: {exc}") from exc
    finally:
        if timer is not None:
            timer.cancel()


def simulate(
    circuit: Any,
    inputs: Iterable[Input] | None = None,
    duration: float = 1000.0,
    *,
    record: Mapping[str, Any] | None = None,
    dt: float = 0.1,
    record_dt: float | None = None,
    seed: int | None = None,
    target: str = "auto",
    network: PointNetwork | None = None,
) -> SimulationResult:
    """Simulate a SONATA point-neuron circuit with Brian2.

    Parameters
    ----------
    circuit
        A :class:`neuroloom.sonata.Circuit` or the path of its ``circuit_config.json``.
    inputs
        Spike sources for the virtual populations and current clamps on neuron populations.
    duration, dt
        Simulated time and time step (ms).
    record
        Signals to record, ``{population: {variable: node_ids or None}}`` or
        ``{population: [variables]}`` (all nodes); variables ``v`` (mV) and
        ``I_ex``/``I_in`` (pA, current models) or ``g_ex``/``g_in`` (nS,
        conductance models). Spikes of every population are always returned.
    record_dt
        Sampling step of signals (ms, default ``dt``).
    seed
        Seeds input generation and Brian2's random numbers.
    target
        ``"auto"`` (cython if available), ``"cython"`` or ``"numpy"``.
    network
        An already loaded :func:`neuroloom.sim.point.load_point_network` (skips reading the files).
    """
    b2 = _brian2()
    started = _time.perf_counter()
    inputs = check_inputs(inputs)
    net_arrays = network if network is not None else load_point_network(circuit)
    signals_spec = record_spec(record, net_arrays)
    check_input_targets(inputs, net_arrays)
    check_models(net_arrays)
    compiling = configure(target) == "cython" and not announce_compilation(cache_dir("brian2-cython"))
    rng = np.random.default_rng(seed)
    if seed is not None:
        b2.seed(seed)
    b2.defaultclock.dt = dt * b2.ms

    built = _build(b2, net_arrays, inputs, duration, dt, rng)
    spike_monitors = {p.name: b2.SpikeMonitor(built.groups[p.name]) for p in net_arrays.neurons}
    built.objects += spike_monitors.values()
    state_monitors = _state_monitors(b2, built, signals_spec, record_dt or dt)
    net = b2.Network(built.objects)
    build_seconds = _time.perf_counter() - started
    started = _time.perf_counter()
    _run_network(b2, net, duration, compiling)
    run_seconds = _time.perf_counter() - started

    spike_parts = built.spikes
    for name, mon in spike_monitors.items():
        spike_parts.append(spike_table(name, np.asarray(mon.i[:], np.int64), np.asarray(mon.t[:] / b2.ms)))
    return SimulationResult(
        spikes=concat_spike_tables(spike_parts),
        signals=_signals(b2, net_arrays, state_monitors),
        sizes={p.name: p.size for p in net_arrays.populations.values()},
        duration=float(duration),
        dt=float(dt),
        simulator=f"brian2-{b2.prefs.codegen.target}",
        build_seconds=build_seconds,
        run_seconds=run_seconds,
    )


import_brian2 = _brian2  # public name for callers outside sim (studyfile checks the simulator early)
