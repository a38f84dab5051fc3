"""The main demo: an E/I balanced network explored over input rate x inhibitory weight.

``neuroloom demo`` writes ``<out>/ei_balanced.toml`` (the same study file as
``examples/ei_balanced.toml``, sized by the options), runs it with
:func:`neuroloom.studyfile.run_study_file` on the ``processes`` backend,
writes the report and prints a table of the results.

The network (Brunel 2000, model A with exponential currents): 80 %
excitatory and 20 % inhibitory ``iaf_psc_exp`` neurons (τm = 20 ms,
C = 250 pF, threshold 20 mV above rest, τsyn = 2 ms, 2 ms refractory), each
receiving ``K_E = 0.05·N_E`` excitatory synapses of 40 pA (≈ 0.25 mV PSPs)
and ``K_E/4`` inhibitory ones of ``-g·40 pA``, 1.5 ms delays, plus 100
Poisson inputs (a virtual population ``ext``) at the explored rate. The
threshold rate of the external drive is ≈ 31 Hz per input. For ``g > 4``
inhibition dominates and the network settles in the asynchronous irregular
regime (CV ≈ 1, Fano ≈ 1, a few to tens of Hz); for weaker inhibition or
stronger drive rates climb and activity synchronises, which the phase
diagram shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["demo_config", "run", "write_toml"]

NEURON = {
    "C_m": 250.0,
    "tau_m": 20.0,
    "E_L": -70.0,
    "V_th": -50.0,
    "V_reset": -60.0,
    "t_ref": 2.0,
    "tau_syn_ex": 2.0,
    "tau_syn_in": 2.0,
}
W_EXC = 40.0  # pA, ~0.25 mV PSP
RATES = (30.0, 40.0, 50.0, 60.0)
GS = (3.0, 4.5, 6.0, 7.5)


def _values(base: Sequence[float], count: int) -> list[float]:
    if count <= len(base):
        step = (len(base) - 1) / max(count - 1, 1)
        return [float(base[round(k * step)]) for k in range(count)]
    lo, hi = base[0], base[-1]
    return [float(lo + (hi - lo) * k / (count - 1)) for k in range(count)]


def demo_config(
    *,
    neurons: int = 5000,
    grid: int = 4,
    duration: float = 1000.0,
    path: str = "ei-study",
    backend: str = "processes",
    workers: int | None = None,
    seed: int = 1,
    target: str = "auto",
) -> dict[str, Any]:
    """The study file content of the demo (a dict in the TOML layout)."""
    n_exc = round(neurons * 0.8)
    n_inh = max(int(neurons) - n_exc, 1)
    study: dict[str, Any] = {"path": path, "seed": seed, "backend": backend}
    if workers:
        study["workers"] = int(workers)
    return {
        "study": study,
        "params": {
            "input": {
                "rate": {"value": 30.0, "unit": "Hz", "comment": "rate of each external Poisson input"}
            },
            "syn": {
                "g": {
                    "value": 5.0,
                    "comment": "inhibitory weight relative to excitatory (w_inh = -g * w_exc)",
                }
            },
        },
        "explore": [{"grid": {"input.rate": _values(RATES, grid), "syn.g": _values(GS, grid)}}],
        "network": {
            "seed": 7,
            "populations": {
                "exc": {"n": n_exc, "model": "iaf_psc_exp", "params": NEURON, "initial_v": [-70.0, -50.0]},
                "inh": {"n": n_inh, "model": "iaf_psc_exp", "params": NEURON, "initial_v": [-70.0, -50.0]},
                "ext": {"n": 1000, "model": "virtual"},
            },
            "connections": [
                {
                    "source": "exc",
                    "target": ["exc", "inh"],
                    "rule": "fixed_probability",
                    "p": 0.05,
                    "weight": W_EXC,
                    "delay": 1.5,
                },
                {
                    "source": "inh",
                    "target": ["exc", "inh"],
                    "rule": "fixed_probability",
                    "p": 0.05,
                    "weight": -W_EXC,
                    "delay": 1.5,
                },
                {
                    "source": "ext",
                    "target": ["exc", "inh"],
                    "rule": "fixed_indegree",
                    "k": 100,
                    "weight": W_EXC,
                    "delay": 1.5,
                },
            ],
        },
        "simulation": {
            "simulator": "brian2",
            "duration": float(duration),
            "dt": 0.1,
            "target": target,
            "weight_scale": {"inh": "$syn.g"},
        },
        "inputs": [{"type": "poisson", "population": "ext", "rate": "$input.rate"}],
        "analysis": {"t_start": min(200.0, float(duration) / 4), "bin_size": 5.0, "fano_window": 50.0},
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else f'"{name}"'


def write_toml(config: dict[str, Any], path: Path) -> Path:
    """Write the demo's study file (sections in the order a reader expects)."""
    from neuroloom._io.atomic import write_bytes

    lines = ["# E/I balanced network: input rate x inhibitory weight (written by neuroloom demo)", ""]
    for section in ("study", "simulation", "analysis"):
        lines.append(f"[{section}]")
        for key, value in config[section].items():
            if isinstance(value, dict):
                continue
            lines.append(f"{_key(key)} = {_toml_value(value)}")
        for key, value in config[section].items():
            if isinstance(value, dict):
                lines.append(f"{_key(key)} = {_toml_value(value)}")
        lines.append("")
    lines.append("[params]")
    for group, entries in config["params"].items():
        for name, entry in entries.items():
            lines.append(f"{group}.{name} = {_toml_value(entry)}")
    lines.append("")
    for entry in config["explore"]:
        lines += ["[[explore]]", *(f"{k} = {_toml_value(v)}" for k, v in entry.items()), ""]
    network = config["network"]
    lines += ["[network]", f"seed = {network['seed']}", ""]
    for name, pop in network["populations"].items():
        lines.append(f"[network.populations.{name}]")
        lines += [f"{_key(k)} = {_toml_value(v)}" for k, v in pop.items()]
        lines.append("")
    for conn in network["connections"]:
        lines += ["[[network.connections]]", *(f"{k} = {_toml_value(v)}" for k, v in conn.items()), ""]
    for item in config["inputs"]:
        lines += ["[[inputs]]", *(f"{k} = {_toml_value(v)}" for k, v in item.items()), ""]
    write_bytes(path, "\n".join(lines).encode())
    return path


def run(
    out: Path,
    *,
    neurons: int = 5000,
    grid: int = 4,
    duration: float = 1000.0,
    workers: int | None = None,
    backend: str = "processes",
    progress: bool = True,
    echo: Callable[[str], Any] = print,
) -> tuple[Any, Path]:
    """Write the study file, run it, write the report; return ``(study, report path)``."""
    from neuroloom.report import build_report, results_table
    from neuroloom.studyfile import run_study_file

    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    config = demo_config(neurons=neurons, grid=grid, duration=duration, backend=backend, workers=workers)
    file = write_toml(config, out / "ei_balanced.toml")
    echo(f"study file {file}")
    study, report = run_study_file(file, out=out, progress=progress, echo=echo)
    echo(str(report))
    page = build_report(study, progress=progress)
    seconds = time.monotonic() - started
    import pandas as pd

    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.precision", 2):
        echo(results_table(study).to_string())
    echo(f"report: {page}")
    echo(f"open it with: xdg-open {page}   (demo took {seconds:.0f} s)")
    return study, page
