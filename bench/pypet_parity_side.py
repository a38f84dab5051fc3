"""pypet's half of ``bench/bench_pypet.py``; run with the pypet venv's interpreter.

Usage::

    bench/.venv-pypet/bin/python bench/pypet_parity_side.py sweep FILE RUNS
    bench/.venv-pypet/bin/python bench/pypet_parity_side.py brian2 FILE RUNS

Prints one JSON object on its last line: the seconds the work took (creating
the environment, exploring, running, storing) and the file's size.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

NEURONS = 100
DURATION_MS = 200.0


def sweep_job(traj):  # type: ignore[no-untyped-def]
    """Per run: 100 samples, a dict, a scalar and a grouped result."""
    rng = np.random.default_rng(traj.v_idx)
    values = rng.normal(traj.x, 1.0, size=100)
    traj.f_add_result("trace", values, comment="100 samples")
    traj.f_add_result("stats", {"mean": float(values.mean()), "n": 100}, comment="summary")
    traj.f_add_result("z", traj.x * traj.y, comment="product")
    traj.f_add_result("neuron.$", V=values[:10], nspikes=int(traj.y), comment="grouped")


def brian2_job(traj):  # type: ignore[no-untyped-def]
    """A LIF population with spike, state and rate monitors stored as pypet monitor results."""
    from brian2 import Network, NeuronGroup, PopulationRateMonitor, SpikeMonitor, StateMonitor, ms, mV, prefs
    from pypet.brian2 import Brian2MonitorResult

    prefs.codegen.target = "numpy"
    group = NeuronGroup(
        NEURONS,
        "dv/dt = (I - v) / tau : volt (unless refractory)",
        threshold="v > 15*mV",
        reset="v = 0*mV",
        refractory=2 * ms,
        method="exact",
        namespace={"I": traj.I, "tau": traj.tau},
    )
    group.v = "rand() * 15*mV"
    spikes, state, rate = (
        SpikeMonitor(group),
        StateMonitor(group, "v", record=range(5)),
        PopulationRateMonitor(group),
    )
    Network(group, spikes, state, rate).run(DURATION_MS * ms)
    traj.f_add_result(Brian2MonitorResult, "monitors.spikes", spikes)
    traj.f_add_result(Brian2MonitorResult, "monitors.v", state)
    traj.f_add_result(Brian2MonitorResult, "monitors.rate", rate)
    traj.f_add_result("nspikes", int(spikes.num_spikes))
    del mV


def _environment(path: Path, name: str):  # type: ignore[no-untyped-def]
    from pypet import Environment

    return Environment(
        trajectory=name,
        filename=str(path),
        add_time=False,
        log_config=None,
        report_progress=False,
        overwrite_file=True,
    )


def sweep(path: Path, runs: int) -> dict[str, float]:
    from pypet import cartesian_product

    start = time.perf_counter()
    env = _environment(path, "Sweep")
    traj = env.trajectory
    traj.f_add_parameter("x", 1.0, comment="x")
    traj.f_add_parameter("y", 1.0, comment="y")
    side = int(np.ceil(np.sqrt(runs)))
    grid = cartesian_product({"x": [float(v) for v in range(side)], "y": [float(v) for v in range(side)]})
    traj.f_explore({k: v[:runs] for k, v in grid.items()})
    env.run(sweep_job)
    env.disable_logging()
    return {"seconds": time.perf_counter() - start, "bytes": path.stat().st_size}


def brian2(path: Path, runs: int) -> dict[str, float]:
    from brian2 import ms, mV
    from pypet.brian2 import Brian2Parameter

    start = time.perf_counter()
    env = _environment(path, "Brian2")
    traj = env.trajectory
    traj.f_add_parameter(Brian2Parameter, "net.I", 20 * mV, comment="drive")
    traj.f_add_parameter(Brian2Parameter, "net.tau", 10 * ms, comment="membrane time constant")
    traj.f_explore({"net.I": [float(v) * mV for v in np.linspace(10, 30, runs)]})
    env.run(brian2_job)
    env.disable_logging()
    return {"seconds": time.perf_counter() - start, "bytes": path.stat().st_size}


def main() -> int:
    kind, path, runs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    answer = {"sweep": sweep, "brian2": brian2}[kind](path, runs)
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
