"""pypet's own examples, ported to neuroloom by README's "Coming from pypet" table.

Five of pypet's examples (their numbers in pypet's ``examples/`` folder), each
printing what the pypet original prints:

- 02, trajectory access: groups found by their short name, study-level results;
- 03, merging: two studies of overlapping points become one of 20 runs;
- 06, presetting: ``params.preset`` picks the Roessler system, the job gets
  the equation as an extra argument (``functools.partial``);
- 08, ``f_find_idx``: ``study.find`` and ``study.run_view``;
- 13, post-processing: ``then=`` builds the firing-rate table from the jobs'
  return values (5 of pypet's 101 currents, so it runs in seconds).

Run it::

    .venv/bin/python examples/pypet_examples.py [OUTPUT_DIR] [--backend processes]
"""

from __future__ import annotations

import argparse
import functools
import inspect
import shutil
from pathlib import Path
from typing import Any

import numpy as np

import neuroloom as nl


def multiply(run: nl.Run) -> None:
    run.save("z", run.params.x * run.params.y, comment="I am the product of two reals!")


def multiplication(path: Path, xs: list[Any], ys: list[Any], backend: str) -> nl.Study:
    """pypet's examples 1, 3, 8: ``z = x * y`` over the grid of ``xs`` and ``ys``."""
    study = nl.Study(path, seed=3, overwrite=True)
    study.params.add("x", type(xs[0])(1), comment="I am the first dimension!")
    study.params.add("y", type(ys[0])(1), comment="I am the second dimension!")
    study.explore(nl.grid(x=xs, y=ys))
    study.run(multiply, backend=backend, progress=False)
    return study


def example_02(out: Path) -> None:
    study = nl.Study(out / "example_02", overwrite=True)
    study.params.add("starwars.characters.han_solo", "Harrison Ford")
    study.params.add(
        "starwars.characters.luke_skywalker", "Mark Hamill", comment="May the force be with you!"
    )
    print("02: the full name of the new Skywalker parameter is", study.params.resolve("luke_skywalker"))
    print("02: the characters group holds", sorted(study.params.characters))
    study["starwars", "gross_income_of_film"] = {"amount": 10.1**11, "currency": "$$$"}
    income = nl.Study(out / "example_02")["starwars", "gross_income_of_film"]
    print(f"02: George Lucas earned {income['amount']}{income['currency']}!")


def example_03(out: Path, backend: str) -> None:
    a = multiplication(out / "traj1", [1.0, 2.0, 3.0, 4.0], [6.0, 7.0, 8.0], backend)
    b = multiplication(out / "traj2", [3.0, 4.0, 5.0, 6.0], [7.0, 8.0, 9.0], backend)
    shutil.rmtree(out / "merged", ignore_errors=True)  # merge writes a new study
    merged = nl.merge(a, b, into=out / "merged")
    for index, row in merged.results("z").iterrows():
        print(f"03: run_{index:08d}: x={row.x:f}, y={row.y:f}, z={row.z:f}")


def euler_scheme(run: nl.Run, diff_func: Any) -> None:
    """pypet's example 5/6 job: Euler integration of ``diff_func`` from the run's initial conditions."""
    result = np.zeros((run.params.steps, len(run.params.initial_conditions)))
    result[0] = run.params.initial_conditions
    func_params = dict(run.params.func_params)
    for idx in range(1, run.params.steps):
        result[idx] = diff_func(result[idx - 1], **func_params) * run.params.dt + result[idx - 1]
    run.save("euler_evolution", data=result, comment="Our time series data!")


def diff_roessler(value_array: np.ndarray, a: float, c: float) -> np.ndarray:
    x, y, z = value_array
    return np.array([-y - z, x + a * y, a + z * (x - c)])


def add_attractor_parameters(study: nl.Study) -> None:
    study.params.add("steps", 10000, comment="Number of time steps to simulate")
    study.params.add("dt", 0.01, comment="Step size")
    study.params.add("initial_conditions", np.zeros(3), comment="Our initial conditions")
    study.params.add("diff_name", "diff_lorenz", comment="Name of our differential equation")
    if study.params.diff_name == "diff_lorenz":
        study.params.add("func_params.sigma", 10.0)
        study.params.add("func_params.beta", 8.0 / 3.0)
        study.params.add("func_params.rho", 28.0)
    else:
        study.params.add("func_params.a", 0.1)
        study.params.add("func_params.c", 14.0)


def example_06(out: Path, backend: str) -> None:
    study = nl.Study(out / "example_06", seed=6, overwrite=True)
    study.params.preset("diff_name", "diff_roessler")
    add_attractor_parameters(study)
    study.params.add("diff_eq", inspect.getsource(diff_roessler), comment="Source code of our equation!")
    starts = [np.array([0.01, 0.01, 0.01]), np.array([2.02, 0.02, 0.02]), np.array([42.0, 4.2, 0.42])]
    study.explore({"initial_conditions": starts})
    study.run(functools.partial(euler_scheme, diff_func=diff_roessler), backend=backend, progress=False)
    for index, row in study.results("euler_evolution", load=True).iterrows():
        print(f"06: run {index} from {row.initial_conditions} ends at {np.round(row.data[-1], 6)}")


def example_08(out: Path, backend: str) -> None:
    study = multiplication(out / "example_08", [1, 2, 3, 4], [6, 7, 8], backend)
    for index in study.find(lambda x, y: x == 2 or y == 8):
        view = study.run_view(index)
        print(f"08: {view.name}: x={view.params.x}, y={view.params.y}, z={view.results['z']}")


def run_neuron(run: nl.Run) -> float:
    """pypet's example 13 job: an Euler-integrated LIF neuron; returns its firing rate in Hz."""
    neuron, simulation = run.params.neuron, run.params.simulation
    dt = simulation.dt
    v = np.zeros(int(simulation.duration / dt))
    v[0] = neuron.V_init
    spiketimes: list[float] = []
    for step in range(1, len(v)):
        if v[step - 1] >= 1:
            spiketimes.append((step - 1) * dt)
        elif not (spiketimes and step * dt - spiketimes[-1] <= neuron.tau_ref):
            dv = -1 / neuron.tau_V * v[step - 1] + neuron.I  # as pypet's example: same rounding
            v[step] = v[step - 1] + dv * dt
    run.save("neuron", V=v, nspikes=len(spiketimes), comment="membrane potential and number of spikes")
    return len(spiketimes) / simulation.duration * 1000


def neuron_postproc(study: nl.Study) -> None:
    rates = study.results()  # one row per run: the explored values and the job's return value
    table = rates.pivot(index="neuron.I", columns="neuron.tau_ref", values="return")
    study["summary", "firing_rates", "rates_frame"] = table


def example_13(out: Path, backend: str) -> None:
    study = nl.Study(out / "FiringRate", seed=13, overwrite=True)
    study.params.add("neuron.V_init", 0.0, comment="The initial condition for the membrane potential")
    study.params.add("neuron.I", 0.0, comment="The externally applied current.")
    study.params.add("neuron.tau_V", 10.0, comment="The membrane time constant in milliseconds")
    study.params.add("neuron.tau_ref", 5.0, comment="The refractory period in milliseconds")
    study.params.add("simulation.duration", 1000.0, comment="The duration of the experiment in milliseconds")
    study.params.add("simulation.dt", 0.1, comment="The step size of an Euler integration step.")
    currents = np.arange(0, 1.01, 0.01)[::25].tolist()
    study.explore(nl.grid(**{"neuron.tau_ref": [5.0, 7.5, 10.0], "neuron.I": currents}))
    study.run(run_neuron, backend=backend, then=neuron_postproc, progress=False)
    table = study["summary", "firing_rates", "rates_frame"]
    for current, rates in table.iterrows():
        print(f"13: I={current:.2f}: " + ", ".join(f"{rate:.0f} Hz" for rate in rates))
    view = study.run_view(2)
    print(f"13: run 2 (I={view.params.I:.2f}) spiked {view.results['neuron']['nspikes']} times")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", nargs="?", type=Path, default=Path("pypet-examples-output"))
    parser.add_argument("--backend", default="serial", choices=["serial", "processes", "dask"])
    args = parser.parse_args()
    example_02(args.out)
    example_03(args.out, args.backend)
    example_06(args.out, args.backend)
    example_08(args.out, args.backend)
    example_13(args.out, args.backend)


if __name__ == "__main__":
    main()
