"""Parameter exploration: neuroloom.Study against pypet, in one run of this script.

Work: a trivial job (``return x * y``) over a grid of 1,000 and 10,000 runs with
neuroloom (serial and processes backends) and pypet (1,000 runs, serial and
multiprocessing); 100,000 and 1,000,000 runs with neuroloom alone (``--big``);
and a job storing a 1,000-float array (1,000 runs, both tools). For each case
it prints the per-run time (the job itself costs ~1 µs, so this is the
runner's overhead), the total time, the size on disk and the time to load all
results back (a fresh open plus one table of every run's result; "again" is a
second load, which for large scalar tables reads the Parquet copy in tables/).

pypet needs numpy < 2, so it runs in its own virtual environment
(``bench/.pypet-venv``, created on first use with ``pip install pypet "numpy<2"
tables``) as a subprocess; if that fails the script says why and goes on.

Usage::

    python bench/bench_explore.py               # 1k and 10k runs, pypet at 1k
    python bench/bench_explore.py --big         # also 100k and 1M runs (neuroloom serial)
    python bench/bench_explore.py --no-pypet
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import neuroloom as nl
from neuroloom.study.run import Run

HERE = Path(__file__).resolve().parent
PYPET_VENV = HERE / ".pypet-venv"


def disk_size(path: Path) -> int:
    from neuroloom._io.atomic import tree_size

    return tree_size(path)


def human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def trivial(run: Run) -> float:
    return run.params.x * run.params.y


def array_job(run: Run) -> None:
    run.save("trace", np.full(1000, run.params.x * run.params.y))


def grid_for(n: int) -> Any:
    ys = 10 if n >= 10 else 1
    return nl.grid(x=[float(i) for i in range(n // ys)], y=[float(j) for j in range(ys)])


def bench_neuroloom(n: int, backend: str, workers: int, job: Any, result: str, root: Path) -> dict[str, Any]:
    path = root / f"nl-{backend}-{n}-{result}"
    t0 = time.perf_counter()
    study = nl.Study(path, seed=1)
    study.params.add("x", 0.0)
    study.params.add("y", 0.0)
    study.explore(grid_for(n))
    t_explore = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = study.run(job, backend=backend, workers=workers, progress=False)
    t_run = time.perf_counter() - t1
    assert report.done == n, report
    study.close()
    t2 = time.perf_counter()
    again = nl.Study(path)
    table = again.results(result)
    if result == "trace":
        total = sum(float(np.asarray(h).sum()) for h in table[result])
        assert total > 0
    t_load = time.perf_counter() - t2
    assert len(table) == n
    extra = {}
    if result == "return":  # large scalar tables are reread from tables/results/*.parquet
        t3 = time.perf_counter()
        assert len(again.results(result)) == n
        extra["reload_s"] = time.perf_counter() - t3
    again.close()
    out = {
        "tool": "neuroloom",
        "backend": f"{backend}" + (f" x{workers}" if backend != "serial" else ""),
        "job": result,
        "runs": n,
        "explore_s": t_explore,
        "run_s": t_run,
        "per_run_ms": 1000 * t_run / n,
        "total_s": t_explore + t_run,
        "disk": disk_size(path),
        "load_s": t_load,
        **extra,
    }
    shutil.rmtree(path, ignore_errors=True)
    return out


PYPET_SCRIPT = r"""
import json, os, sys, time
import numpy as np
from pypet import Environment, Trajectory, cartesian_product

n, multiproc, job_kind, path = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4]

def trivial(traj):
    traj.f_add_result("z", traj.x * traj.y)

def array_job(traj):
    traj.f_add_result("trace", np.full(1000, traj.x * traj.y))

ys = 10
t0 = time.perf_counter()
env = Environment(trajectory="bench", filename=path, overwrite_file=True, log_config=None,
                  multiproc=multiproc, ncores=2, use_pool=True, freeze_input=True,
                  report_progress=False)
traj = env.trajectory
traj.f_add_parameter("x", 0.0)
traj.f_add_parameter("y", 0.0)
xs, yv = [float(i) for i in range(n // ys)], [float(j) for j in range(ys)]
traj.f_explore(cartesian_product({"x": xs, "y": yv}))
t_explore = time.perf_counter() - t0
t1 = time.perf_counter()
env.run(trivial if job_kind == "z" else array_job)
t_run = time.perf_counter() - t1
env.disable_logging()
t2 = time.perf_counter()
traj = Trajectory("bench", add_time=False)
traj.f_load(filename=path, load_parameters=2, load_results=2)
values = traj.f_get_from_runs(job_kind, fast_access=True)
assert len(values) == n, len(values)
t_load = time.perf_counter() - t2
print(json.dumps({"explore_s": t_explore, "run_s": t_run, "load_s": t_load, "disk": os.path.getsize(path)}))
"""


def pypet_python() -> tuple[Path | None, str]:
    """The venv's python, creating the venv if needed; or (None, why not)."""
    python = PYPET_VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", "import pypet, tables"], capture_output=True, text=True)
        if check.returncode == 0:
            return python, ""
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PYPET_VENV)], check=True, capture_output=True)
            (PYPET_VENV / ".gitignore").write_text("*\n")  # never commit the benchmark's venv
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pypet", "numpy<2", "tables"],
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"cannot create {PYPET_VENV}: {exc}"
    if done.returncode != 0:
        return None, f"pip install pypet 'numpy<2' tables failed: {done.stderr.strip()[-400:]}"
    return python, ""


def bench_pypet(python: Path, n: int, multiproc: bool, job: str, root: Path) -> dict[str, Any] | str:
    script = root / "pypet_bench.py"
    script.write_text(PYPET_SCRIPT)
    path = root / f"pypet-{n}-{int(multiproc)}-{job}.hdf5"
    done = subprocess.run(
        [str(python), str(script), str(n), "1" if multiproc else "0", job, str(path)],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=root,
    )
    if done.returncode != 0:
        return f"pypet failed: {done.stderr.strip()[-600:]}"
    data = json.loads(done.stdout.strip().splitlines()[-1])
    path.unlink(missing_ok=True)
    return {
        "tool": "pypet",
        "backend": "multiproc x2" if multiproc else "serial",
        "job": "return" if job == "z" else "trace",
        "runs": n,
        "explore_s": data["explore_s"],
        "run_s": data["run_s"],
        "per_run_ms": 1000 * data["run_s"] / n,
        "total_s": data["explore_s"] + data["run_s"],
        "disk": data["disk"],
        "load_s": data["load_s"],
    }


def show(row: dict[str, Any]) -> None:
    print(
        f"{row['tool']:<10} {row['backend']:<14} {row['job']:<7} {row['runs']:>9,} runs  "
        f"{row['per_run_ms']:8.3f} ms/run  run {row['run_s']:8.2f} s  explore {row['explore_s']:6.2f} s  "
        f"disk {human(row['disk']):>10}  load {row['load_s']:6.3f} s"
        + (f" (again {row['reload_s']:.3f} s)" if "reload_s" in row else ""),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--big", action="store_true", help="also 100,000 and 1,000,000 runs (neuroloom)")
    parser.add_argument("--no-pypet", action="store_true", help="skip pypet")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    rows: list[dict[str, Any]] = []
    print(f"neuroloom {nl.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, work in {root}")
    try:
        for n in (1000, 10000):
            for backend in ("serial", "processes"):
                rows.append(bench_neuroloom(n, backend, args.workers, trivial, "return", root))
                show(rows[-1])
        for backend in ("serial", "processes"):
            rows.append(bench_neuroloom(1000, backend, args.workers, array_job, "trace", root))
            show(rows[-1])
        if not args.no_pypet:
            python, why = pypet_python()
            if python is None:
                print(f"pypet skipped: {why}")
            else:
                for multiproc, job in ((False, "z"), (True, "z"), (False, "trace")):
                    row = bench_pypet(python, 1000, multiproc, job, root)
                    if isinstance(row, str):
                        print(row)
                    else:
                        rows.append(row)
                        show(row)
        if args.big:
            for n in (100_000, 1_000_000):
                rows.append(bench_neuroloom(n, "serial", args.workers, trivial, "return", root))
                show(rows[-1])
    finally:
        shutil.rmtree(root, ignore_errors=True)

    def find(tool: str, backend: str, job: str, n: int) -> dict[str, Any] | None:
        for r in rows:
            if r["tool"] == tool and r["backend"].startswith(backend) and r["job"] == job and r["runs"] == n:
                return r
        return None

    print("\nratios (pypet / neuroloom, higher = neuroloom faster):")
    for pb, nb, job in (
        ("serial", "serial", "return"),
        ("multiproc", "processes", "return"),
        ("serial", "serial", "trace"),
    ):
        p, q = find("pypet", pb, job, 1000), find("neuroloom", nb, job, 1000)
        if p and q:
            print(
                f"  1,000 runs {job:<6} {pb:>9} vs {nb:<9}: "
                f"per run x{p['per_run_ms'] / q['per_run_ms']:.1f}, "
                f"load x{p['load_s'] / q['load_s']:.1f}, disk x{p['disk'] / q['disk']:.2f}"
            )
    base = find("neuroloom", "serial", "return", 1000)
    if base:
        print("flatness (neuroloom serial per-run time relative to 1,000 runs):")
        for n in (10_000, 100_000, 1_000_000):
            r = find("neuroloom", "serial", "return", n)
            if r:
                print(
                    f"  {n:>9,} runs: {r['per_run_ms']:.3f} ms/run "
                    f"= x{r['per_run_ms'] / base['per_run_ms']:.2f}"
                )
    targets = find("neuroloom", "serial", "return", 10_000)
    if targets:
        print(f"target <= 0.5 ms/run at 10,000 runs serial: {targets['per_run_ms']:.3f} ms/run")
    big = find("neuroloom", "serial", "return", 1_000_000)
    if big:
        print(
            f"target 1,000,000 runs < 15 min: {big['total_s'] / 60:.1f} min; "
            f"load < 5 s: {big['load_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
