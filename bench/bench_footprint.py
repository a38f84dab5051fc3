"""Files and bytes per run of a recorded study: pypet's post-processing example ported to neuroloom.

pypet's tutorial example (``main.py`` of "Post Processing and Pipelining"):
a leaky integrate-and-fire neuron integrated with Euler steps (dt 0.1 ms,
1,000 ms, 10,000 steps), explored over ``neuron.I`` (101 values 0..1) x
``neuron.tau_ref`` (5, 7.5, 10 ms) = 303 runs; each run stores its voltage
trace and spike count (``f_add_result('neuron.$', V=..., nspikes=...)``)
and returns an estimate of the firing rate. The issue (14, item 6) measured
pypet's HDF5 file at 2.5 MB in one file; neuroloom before the run-item
archive took about 30 MB in ~1,800 files and folders.

This script runs the port and prints the study's files, folders and bytes,
per run and in total. Run it with another checkout on ``PYTHONPATH`` to
compare layouts (``PYTHONPATH=/path/to/old/src python bench/bench_footprint.py``).

Usage: python bench/bench_footprint.py [--keep DIR] [--quick]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from harness import Results, parser, time_it

import neuroloom as nl

PYPET_BYTES = 2.5e6  # pypet's trajectory file for the same example (issue 14)


def run_neuron(run: Any) -> float:
    p = run.params
    steps = int(p.simulation.duration / p.simulation.dt)
    v = np.zeros(steps)
    v[0] = p.neuron.V_init
    spikes: list[float] = []
    dt, tau_v, current, tau_ref = p.simulation.dt, p.neuron.tau_V, p.neuron.I, p.neuron.tau_ref
    for step in range(1, steps):
        if v[step - 1] >= 1:
            v[step] = 0
            spikes.append(step * dt)
        elif spikes and step * dt - spikes[-1] <= tau_ref:
            v[step] = 0
        else:
            v[step] = v[step - 1] + dt * (-v[step - 1] / tau_v + current)
    run.save("neuron_V", v)
    run.save("neuron_nspikes", len(spikes))
    return len(spikes) / p.simulation.duration * 1000.0


def build(path: Path) -> nl.Study:
    """The study of the port, its 303 runs explored (not run)."""
    study = nl.Study(path, seed=1)
    study.params.add("neuron.V_init", 0.0)
    study.params.add("neuron.I", 0.0)
    study.params.add("neuron.tau_V", 10.0)
    study.params.add("neuron.tau_ref", 5.0)
    study.params.add("simulation.dt", 0.1)
    study.params.add("simulation.duration", 1000.0)
    study.explore(
        nl.grid(
            **{"neuron.I": np.arange(0, 1.01, 0.01).round(2).tolist(), "neuron.tau_ref": [5.0, 7.5, 10.0]}
        )
    )
    return study


def count(path: Path) -> tuple[int, int, int]:
    files = dirs = size = 0
    for d, subdirs, names in os.walk(path):
        dirs += len(subdirs)
        files += len(names)
        size += sum((Path(d) / n).stat().st_size for n in names)
    return files, dirs, size


def main() -> None:
    args_parser = parser(__doc__, quick="the same 303 runs (the script takes under a minute)")
    args_parser.add_argument("--keep", type=Path, default=None, help="keep the study here")
    args = args_parser.parse_args()
    results = Results(__file__, args)
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        path = args.keep or Path(tmp) / "postproc"
        study = build(path)
        run = time_it(lambda: study.run(run_neuron, backend="processes", workers=2, progress=False))
        seconds = results.add("run_303", run).best
        v = study.results("neuron_V", load=True)["neuron_V"].iloc[-1]
        assert np.asarray(v).shape == (10000,)
        study.close()
        files, dirs, size = count(path)
        rfiles, rdirs, rsize = count(path / "runs")
        n = 303
        results.add("study", {"files": files, "folders": dirs, "bytes": size, "vs_pypet": size / PYPET_BYTES})
        results.add("per_run", {"files": rfiles / n, "folders": rdirs / n, "bytes": rsize / n})
        print(f"neuroloom from {Path(nl.__file__).parent}")
        print(f"303 runs in {seconds:.1f} s")
        print(
            f"study: {files} files + {dirs} folders, {size:,} bytes "
            f"({size / PYPET_BYTES:.2f}x pypet's 2.5 MB in 1 file)"
        )
        print(
            f"runs/: {rfiles / n:.2f} files and {rdirs / n:.2f} folders per run, "
            f"{rsize / n:,.0f} bytes per run"
        )
    results.write()


if __name__ == "__main__":
    main()
