"""The same work with pypet and with neuroloom: time, bytes on disk, files; and the ratios.

Two workloads, each written once by pypet (in its own virtualenv
``bench/.venv-pypet``, created on first use by ``bench/pypet_env.py``, run in
a subprocess that times itself) and once by neuroloom (in this process):

- ``sweep``: a post-processing style grid over ``x`` and ``y`` (``--runs``
  points); per run 100 samples, a dict, a scalar and a grouped result;
- ``brian2``: a 100-neuron LIF population for 200 ms per run (``--brian2-runs``
  drives), spike, state (5 neurons) and population-rate monitors stored
  (pypet: ``Brian2MonitorResult``; neuroloom: ``run.record``).

Both sides run serially in one process. Run::

    python bench/bench_pypet.py [--runs 303] [--brian2-runs 8] [--quick] [--pypet-env DIR]

Printed per workload: seconds, bytes (apparent and allocated on disk), files
(and folders) for each tool, neuroloom / pypet ratios, and the footprint
targets of issue 14 (sweep: at most 3 files per run, at most 2x pypet's bytes).
Figures go to ``bench/out/bench_pypet.json``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from harness import BENCH_DIR, Results, parser, print_table, run_json, time_it, verdict
from pypet_env import DEFAULT_ENV, ensure_pypet_env

import neuroloom as nl
from neuroloom.study.run import Run

NEURONS = 100
DURATION_MS = 200.0


def sweep_job(run: Run) -> None:
    """Per run: 100 samples, a dict, a scalar and a grouped result (as pypet's side)."""
    rng = np.random.default_rng(run.index)
    values = rng.normal(run.params.x, 1.0, size=100)
    run.save("trace", values, comment="100 samples")
    run.save("stats", {"mean": float(values.mean()), "n": 100}, comment="summary")
    run.save("z", run.params.x * run.params.y, comment="product")
    run.save("neuron", V=values[:10], nspikes=int(run.params.y), comment="grouped")


def brian2_job(run: Run) -> int:
    """The LIF population of pypet's side, monitors recorded with run.record."""
    from brian2 import Network, NeuronGroup, PopulationRateMonitor, SpikeMonitor, StateMonitor, ms, prefs

    prefs.codegen.target = "numpy"
    group = NeuronGroup(
        NEURONS,
        "dv/dt = (I - v) / tau : volt (unless refractory)",
        threshold="v > 15*mV",
        reset="v = 0*mV",
        refractory=2 * ms,
        method="exact",
        namespace={"I": run.params.I, "tau": run.params.tau},
        name="exc",
    )
    group.v = "rand() * 15*mV"
    spikes, state, rate = (
        SpikeMonitor(group),
        StateMonitor(group, "v", record=range(5)),
        PopulationRateMonitor(group),
    )
    Network(group, spikes, state, rate).run(DURATION_MS * ms)
    run.record(spikes, state, rate)
    return int(spikes.num_spikes)


def neuroloom_sweep(path: Path, runs: int) -> None:
    study = nl.Study(path, seed=1)
    study.params.add("x", 1.0, comment="x")
    study.params.add("y", 1.0, comment="y")
    side = int(np.ceil(np.sqrt(runs)))
    points = [{"x": float(x), "y": float(y)} for x in range(side) for y in range(side)][:runs]
    study.explore(points)
    study.run(sweep_job, backend="serial", progress=False)


def neuroloom_brian2(path: Path, runs: int) -> None:
    from brian2 import ms, mV  # imported (and timed) before the work, as on pypet's side

    study = nl.Study(path, seed=1)
    study.params.add("net.I", 20 * mV, comment="drive")
    study.params.add("net.tau", 10 * ms, comment="membrane time constant")
    study.explore({"I": [float(v) * mV for v in np.linspace(10, 30, runs)]})
    study.run(brian2_job, backend="serial", progress=False)


def footprint(path: Path) -> dict[str, int]:
    """Bytes, bytes allocated on disk (``du``), files and folders below ``path`` (or of the file)."""
    if path.is_file():
        return {
            "bytes": path.stat().st_size,
            "allocated": path.stat().st_blocks * 512,
            "files": 1,
            "folders": 0,
        }
    size = allocated = files = folders = 0
    for root, dirs, names in os.walk(path):
        folders += len(dirs)
        allocated += os.stat(root).st_blocks * 512
        for name in names:
            info = os.stat(os.path.join(root, name))
            files += 1
            size += info.st_size
            allocated += info.st_blocks * 512
    return {"bytes": size, "allocated": allocated, "files": files, "folders": folders}


def compare(
    kind: str, runs: int, python: Path, ours: Callable[[Path, int], None], tmp: Path
) -> dict[str, Any]:
    """Both tools on workload ``kind``: seconds and footprint of each, printed as a table."""
    theirs_path, our_path = tmp / f"{kind}.hdf5", tmp / f"{kind}-study"
    theirs = run_json(
        [str(BENCH_DIR / "pypet_parity_side.py"), kind, str(theirs_path), str(runs)],
        python=python,
        what=f"pypet side ({kind})",
    )
    timing = time_it(lambda: ours(our_path, runs))
    figures = {"pypet": {"seconds": theirs["seconds"], **footprint(theirs_path)}}
    figures["neuroloom"] = {"seconds": timing.best, **footprint(our_path)}
    rows = [
        {
            "name": name,
            "time s": f["seconds"],
            "MB": f"{f['bytes'] / 1e6:.2f}",
            "MB on disk": f"{f['allocated'] / 1e6:.2f}",
            "files": f["files"],
            "folders": f["folders"],
            "files per run": f"{f['files'] / runs:.2f}",
        }
        for name, f in figures.items()
    ]
    print_table(
        f"{kind}: {runs} runs (last column: time ratio)", rows, reference="pypet", ratio="time s", unit=""
    )
    ours_f, theirs_f = figures["neuroloom"], figures["pypet"]
    figures["ratios"] = {
        "time": ours_f["seconds"] / theirs_f["seconds"],
        "bytes": ours_f["bytes"] / theirs_f["bytes"],
        "allocated": ours_f["allocated"] / theirs_f["allocated"],
    }
    print(
        f"  neuroloom/pypet: bytes {figures['ratios']['bytes']:.2f}x, "
        f"on disk {figures['ratios']['allocated']:.2f}x"
    )
    return figures


def check_targets(figures: dict[str, Any], runs: int) -> dict[str, Any]:
    """Issue 14's footprint targets for the sweep: <= 3 files per run, <= 2x pypet's bytes on disk."""
    ours = figures["neuroloom"]
    files_per_run = ours["files"] / runs
    targets = {
        "files_per_run": files_per_run,
        "files_per_run_met": files_per_run <= 3,
        "allocated_ratio": figures["ratios"]["allocated"],
        "allocated_ratio_met": figures["ratios"]["allocated"] <= 2,
    }
    print(f"  target <= 3 files per run: {files_per_run:.2f} ({verdict(targets['files_per_run_met'])})")
    print(
        f"  target <= 2x pypet on disk: {targets['allocated_ratio']:.2f}x "
        f"({verdict(targets['allocated_ratio_met'])})"
    )
    return targets


def main() -> int:
    args_parser = parser(__doc__, quick="30 sweep runs, 2 Brian2 runs")
    args_parser.add_argument(
        "--runs", type=int, default=303, help="sweep runs (pypet's post-processing: 303)"
    )
    args_parser.add_argument("--brian2-runs", type=int, default=8)
    args_parser.add_argument("--pypet-env", type=Path, default=DEFAULT_ENV, help="pypet virtualenv folder")
    args = args_parser.parse_args()
    runs, brian2_runs = (30, 2) if args.quick else (args.runs, args.brian2_runs)
    results = Results(__file__, args)
    env = results.add("pypet_env", ensure_pypet_env(args.pypet_env))
    with tempfile.TemporaryDirectory() as tmp:
        sweep = results.add("sweep", compare("sweep", runs, env.python, neuroloom_sweep, Path(tmp)))
        results.add("sweep_targets", check_targets(sweep, runs))
        if env.optional.get("brian2"):
            results.add("brian2", compare("brian2", brian2_runs, env.python, neuroloom_brian2, Path(tmp)))
        else:
            print("\nbrian2: skipped (Brian2 did not install in the pypet virtualenv)")
    results.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
