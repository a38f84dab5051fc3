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

    python bench/bench_pypet.py [--runs 300] [--brian2-runs 8]

Printed per workload: seconds, bytes, files (and folders) for each tool, and
neuroloom / pypet ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from pypet_env import ensure_pypet_env  # noqa: E402

import neuroloom as nl  # noqa: E402

NEURONS = 100
DURATION_MS = 200.0


def sweep_job(run: nl.Run) -> None:
    """Per run: 100 samples, a dict, a scalar and a grouped result (as pypet's side)."""
    rng = np.random.default_rng(run.index)
    values = rng.normal(run.params.x, 1.0, size=100)
    run.save("trace", values, comment="100 samples")
    run.save("stats", {"mean": float(values.mean()), "n": 100}, comment="summary")
    run.save("z", run.params.x * run.params.y, comment="product")
    run.save("neuron", V=values[:10], nspikes=int(run.params.y), comment="grouped")


def brian2_job(run: nl.Run) -> int:
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
    from brian2 import ms, mV

    study = nl.Study(path, seed=1)
    study.params.add("net.I", 20 * mV, comment="drive")
    study.params.add("net.tau", 10 * ms, comment="membrane time constant")
    study.explore({"I": [float(v) * mV for v in np.linspace(10, 30, runs)]})
    study.run(brian2_job, backend="serial", progress=False)


def footprint(path: Path) -> tuple[int, int, int, int]:
    """Bytes, bytes allocated on disk (``du``), files and folders below ``path`` (or of the file)."""
    if path.is_file():
        return path.stat().st_size, path.stat().st_blocks * 512, 1, 0
    size = allocated = files = folders = 0
    for root, dirs, names in os.walk(path):
        folders += len(dirs)
        allocated += os.stat(root).st_blocks * 512
        for name in names:
            info = os.stat(os.path.join(root, name))
            files += 1
            size += info.st_size
            allocated += info.st_blocks * 512
    return size, allocated, files, folders


def pypet_side(python: str, kind: str, path: Path, runs: int) -> float:
    done = subprocess.run(
        [python, str(BENCH / "pypet_parity_side.py"), kind, str(path), str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pypet side failed:\n{done.stderr[-3000:]}")
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["seconds"]


def compare(
    kind: str, runs: int, python: str, ours: Callable[[Path, int], None], tmp: Path
) -> dict[str, Any]:
    theirs_path = tmp / f"{kind}.hdf5"
    theirs_s = pypet_side(python, kind, theirs_path, runs)
    our_path = tmp / f"{kind}-study"
    t0 = time.perf_counter()
    ours(our_path, runs)
    ours_s = time.perf_counter() - t0
    tb, ta, tf, _td = footprint(theirs_path)
    ob, oa, of, od = footprint(our_path)
    print(f"\n{kind}: {runs} runs")
    print(f"  pypet     {theirs_s:8.2f} s  {tb / 1e6:8.2f} MB ({ta / 1e6:.2f} MB on disk)  {tf:6d} file")
    print(f"  neuroloom {ours_s:8.2f} s  {ob / 1e6:8.2f} MB ({oa / 1e6:.2f} MB on disk)", end="")
    print(f"  {of:6d} files, {od} folders")
    print(
        f"  neuroloom/pypet: time {ours_s / theirs_s:.2f}x, bytes {ob / tb:.2f}x "
        f"(on disk {oa / ta:.2f}x), files {of / tf:.0f}x"
    )
    per_run = f"neuroloom {ob / runs / 1e3:.1f} kB, {of / runs:.2f} files"
    print(f"  per run: pypet {tb / runs / 1e3:.1f} kB; {per_run}")
    return {"pypet_s": theirs_s, "neuroloom_s": ours_s, "pypet_bytes": tb, "neuroloom_bytes": ob, "files": of}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--brian2-runs", type=int, default=8)
    args = parser.parse_args()
    python = str(ensure_pypet_env()["python"])
    with tempfile.TemporaryDirectory() as tmp:
        compare("sweep", args.runs, python, neuroloom_sweep, Path(tmp))
        compare("brian2", args.brian2_runs, python, neuroloom_brian2, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
