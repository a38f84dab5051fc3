"""Brian2 equations of NEST's ``iaf_psc_delta``, ``aeif_cond_exp``, ``aeif_cond_alpha`` and ``izhikevich``.

Same parameter names, units and defaults as NEST (see :data:`neuroloom.sim.point.MODELS`):

- ``iaf_psc_delta``: ``dV/dt = (E_L - V)/tau_m + I/C_m``, integrated exactly (exponential
  Euler is exact for it); a spike
  adds its weight (mV) to ``V`` unless the neuron is refractory (NEST's
  ``refractory_input = false``); ``V`` is clamped to ``V_reset`` for ``t_ref``.
- ``aeif_cond_exp`` / ``aeif_cond_alpha`` (Brette & Gerstner 2005, NEST's form):
  ``C_m dV/dt = -g_L (V - E_L) + g_L Delta_T exp((V - V_th)/Delta_T) - g_ex (V - E_ex)
  - g_in (V - E_in) - w + I``, ``tau_w dw/dt = a (V - E_L) - w``; spike at
  ``V >= V_peak``, then ``V = V_reset``, ``w += b``; ``V`` held at ``V_reset`` for
  ``t_ref``; every term uses ``min(V, V_peak)`` as NEST does; RK4.
- ``izhikevich``: ``dV/dt = 0.04 V^2 + 5 V + 140 - U + I``, ``dU/dt = a (b V - U)``
  (per ms, V and U in mV, I in pA read as mV/ms as NEST does), forward Euler on the
  old values (NEST's ``consistent_integration``); spike at ``V >= V_th``, then
  ``V = c``, ``U += d``; a spike adds its weight (mV) to ``V``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIRRORED", "ModelCode", "model_code", "parameter_units", "synapse_target"]

MIRRORED = frozenset({"iaf_psc_delta", "aeif_cond_exp", "aeif_cond_alpha", "izhikevich"})

_AEIF_UNITS = {
    "C_m": "farad",
    "g_L": "siemens",
    "E_L": "volt",
    "V_th": "volt",
    "Delta_T": "volt",
    "tau_w": "second",
    "a": "siemens",
    "b": "amp",
    "V_peak": "volt",
    "V_reset": "volt",
    "t_ref": "second",
    "I_e": "amp",
    "E_ex": "volt",
    "E_in": "volt",
    "tau_syn_ex": "second",
    "tau_syn_in": "second",
}
_UNITS = {
    "iaf_psc_delta": {
        "C_m": "farad",
        "tau_m": "second",
        "E_L": "volt",
        "V_th": "volt",
        "V_reset": "volt",
        "t_ref": "second",
        "I_e": "amp",
    },
    "aeif_cond_exp": _AEIF_UNITS,
    "aeif_cond_alpha": _AEIF_UNITS,
    "izhikevich": {"a": "1", "b": "1", "c": "volt", "d": "volt", "V_th": "volt", "I_e": "amp"},
}
# Brian2 unit objects (by name) for the NEST units of each parameter
_SCALE = {"farad": "pF", "siemens": "nS", "volt": "mV", "second": "ms", "amp": "pA", "1": ""}


@dataclass(frozen=True)
class ModelCode:
    """What a ``NeuronGroup`` needs for one model."""

    equations: str
    threshold: str
    reset: str
    refractory: str | None
    method: str


def parameter_units(model: str) -> dict[str, tuple[str, str]]:
    """Parameter -> (Brian2 dimension name, NEST unit name as a Brian2 unit, '' if none)."""
    return {k: (dim, _SCALE[dim]) for k, dim in _UNITS[model].items()}


def synapse_target(model: str) -> str:
    """For delta-synapse models (weights in mV): the ``on_pre`` target statement template."""
    if model == "iaf_psc_delta":
        return "v_post += {w} * int(not_refractory_post)"
    return "v_post += {w}"


def _constants(model: str, shared: frozenset[str]) -> list[str]:
    return [f"{k} : {dim} (constant)" for k, dim in _UNITS[model].items() if k not in shared]


def model_code(model: str, clamp: str, shared: frozenset[str]) -> ModelCode:
    """Equations, threshold, reset, refractoriness and integrator of ``model``.

    ``clamp`` is the sum of the current-clamp terms (amp); names in ``shared`` are
    constants from the namespace instead of per-neuron parameters.
    """
    consts = _constants(model, shared)
    if model == "iaf_psc_delta":
        eqs = [f"dv/dt = (E_L - v) / tau_m + (I_e{clamp}) / C_m : volt (unless refractory)"]
        # linear with piecewise-constant input: exponential Euler is its exact step
        return ModelCode("\n".join(eqs + consts), "v >= V_th", "v = V_reset", "t_ref", "exponential_euler")
    if model == "izhikevich":
        eqs = [
            f"dv/dt = (0.04 * v**2 / mV + 5 * v + 140 * mV - U_m + (I_e{clamp}) * mV / pA) / ms : volt",
            "dU_m/dt = a * (b * v - U_m) / ms : volt",
        ]
        return ModelCode("\n".join(eqs + consts), "v >= V_th", "v = c\nU_m += d", None, "euler")
    # NEST evaluates every term at min(V, V_peak), so an integrator stage past the peak stays finite
    eqs = [
        "dv/dt = (g_L * (E_L - v_c) + g_L * Delta_T * exp((v_c - V_th) / Delta_T)"
        f" + g_ex * (E_ex - v_c) + g_in * (E_in - v_c) - w + I_e{clamp}) / C_m : volt (unless refractory)",
        "dw/dt = (a * (v_c - E_L) - w) / tau_w : amp",
        "v_c = clip(v, -inf * mV, V_peak) : volt",
    ]
    for side in ("ex", "in"):
        if model == "aeif_cond_exp":
            eqs.append(f"dg_{side}/dt = -g_{side} / tau_syn_{side} : siemens")
        else:
            eqs.append(f"dg_{side}/dt = (x_{side} - g_{side}) / tau_syn_{side} : siemens")
            eqs.append(f"dx_{side}/dt = -x_{side} / tau_syn_{side} : siemens")
    return ModelCode("\n".join(eqs + consts), "v >= V_peak", "v = V_reset\nw += b", "t_ref", "rk4")
