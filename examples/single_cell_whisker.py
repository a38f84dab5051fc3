"""A whisker-like evoked-input sweep on one detailed NEURON cell (in_silico_framework style).

The shipped ball-and-stick-with-tuft cell gets

- ongoing activity: 60 "L4" and 60 "L23" presynaptic cells firing as Poisson
  trains (mean intervals 400 ms and 800 ms), synapses spread on the dendrites;
- an evoked input: 40 "VPM" cells, each spiking once with probability
  ``whisker.strength`` in the first 5 ms after the deflection at 100 ms
  (and with half of it in the next 5 ms), release probability 0.8.

The study sweeps the deflection strength x trials; each run records soma and
apical voltage and spikes. Afterwards the example asks the question every
barrel-cortex modeller asks: in how many trials does the cell spike within
25 ms of the deflection, per strength? and writes the report.

    python examples/single_cell_whisker.py OUT_DIR [--trials 5] [--backend processes]
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import Any

DATA = Path(str(resources.files("neuroloom.sim") / "data"))
STIMULUS = 100.0  # ms


def job(run: Any) -> int:
    """One trial: simulate the cell with this run's deflection strength; return its spike count."""
    from neuroloom.sim import PoissonInput, PSTHInput
    from neuroloom.sim.neuron import CellModel, RecordSite, SynapseGroup, simulate_cell

    cell = CellModel(DATA / "morphologies" / "ball_stick_tuft.swc", DATA / "biophysics_demo.json")
    groups = [
        SynapseGroup("L4", n_cells=60, density={"dend": 0.05, "apic": 0.02}, weight=0.0008),
        SynapseGroup("L23", n_cells=60, density={"apic": 0.05}, weight=0.0008),
        SynapseGroup("VPM", n_cells=40, density={"dend": 0.2, "apic": 0.05}, weight=0.002),
    ]
    strength = float(run.params.whisker.strength)
    inputs = [
        PoissonInput.from_interval("L4", 400.0),
        PoissonInput.from_interval("L23", 800.0),
        PSTHInput(
            "VPM",
            intervals=[(0.0, 5.0), (5.0, 10.0)],
            probabilities=[strength, strength / 2],
            offset=STIMULUS,
            release_prob=0.8,
        ),
    ]
    result = simulate_cell(
        cell,
        groups,
        inputs,
        float(run.params.sim.duration),
        record=[RecordSite("apic300", "apic", distance=300.0)],
        record_dt=0.5,
        seed=run.seed,
    )
    result.record(run)
    spikes = result.spikes_of("cell")[1]
    evoked = spikes[(spikes >= STIMULUS) & (spikes < STIMULUS + 25.0)]
    run.save("evoked_spikes", int(evoked.size))
    run.save("latency", float(evoked.min() - STIMULUS) if evoked.size else float("nan"))
    return int(spikes.size)


def main(
    out: Path,
    trials: int = 5,
    strengths: tuple[float, ...] = (0.0, 0.05, 0.15, 0.4),
    backend: str = "processes",
    duration: float = 200.0,
) -> Any:
    from neuroloom import Study, grid
    from neuroloom.report import build_report

    study = Study(out / "whisker-study", seed=11)
    if not study.params.locked:
        study.params.add(
            "whisker.strength", 0.5, comment="probability that a VPM cell spikes after the deflection"
        )
        study.params.add("trial", 0, comment="repetition of the same stimulus")
        study.params.add("sim.duration", float(duration), unit="ms")
    sweep: dict[str, list[Any]] = {"whisker.strength": list(strengths), "trial": list(range(trials))}
    study.explore(grid(**sweep))
    report = study.run(job, backend=backend, progress=True, raise_on_failure=False)
    print(report)
    cell = study.filter(population="cell")
    answer = cell.trials_with_spike(STIMULUS, STIMULUS + 25.0, by="st_whisker.strength")
    print("trials with a spike within 25 ms of the deflection:")
    print(answer.to_string(index=False))
    latency = study.results("latency").groupby("whisker.strength")["latency"].mean()
    print("mean first-spike latency (ms):", latency.round(1).to_dict())
    page = build_report(study)
    print(f"report: {page}")
    return study


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--backend", default="processes", choices=["serial", "processes", "dask"])
    parser.add_argument("--duration", type=float, default=200.0)
    args = parser.parse_args()
    main(args.out, trials=args.trials, backend=args.backend, duration=args.duration)
