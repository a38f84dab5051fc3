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
(``bench/.venv-pypet``, made by ``pypet_env.ensure_pypet_env``) as a subprocess
(``pypet_side.py explore``); if that fails the script says why and goes on.
Figures go to ``bench/out/bench_explore.json``.

Usage::

    python bench/bench_explore.py               # 1k and 10k runs, pypet at 1k
    python bench/bench_explore.py --quick       # 100 and 1,000 runs, pypet at 100
    python bench/bench_explore.py --big         # also 100k and 1M runs (neuroloom serial)
    python bench/bench_explore.py --no-pypet
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from harness import Results, parser, run_json, time_it

import neuroloom as nl
from neuroloom._io.atomic import tree_size
from neuroloom.study.run import Run

Row = dict[str, Any]


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


def _explore(path: Path, n: int) -> nl.Study:
    study = nl.Study(path, seed=1)
    study.params.add("x", 0.0)
    study.params.add("y", 0.0)
    study.explore(grid_for(n))
    return study


def _load(path: Path, result: str, n: int) -> nl.Study:
    again = nl.Study(path)
    table = again.results(result)
    if result == "trace":
        total = sum(float(np.asarray(h).sum()) for h in table[result])
        assert total > 0
    assert len(table) == n
    return again


def bench_neuroloom(n: int, backend: str, workers: int, job: Any, result: str, root: Path) -> Row:
    path = root / f"nl-{backend}-{n}-{result}"
    explored = time_it(lambda: _explore(path, n))
    study = explored.result
    ran = time_it(lambda: study.run(job, backend=backend, workers=workers, progress=False))
    assert ran.result.done == n, ran.result
    study.close()
    loaded = time_it(lambda: _load(path, result, n))
    again = loaded.result
    extra = {}
    if result == "return":  # large scalar tables are reread from tables/results/*.parquet
        extra["reload_s"] = time_it(lambda: again.results(result)).best
    again.close()
    out = {
        "tool": "neuroloom",
        "backend": f"{backend}" + (f" x{workers}" if backend != "serial" else ""),
        "job": result,
        "runs": n,
        "explore_s": explored.best,
        "run_s": ran.best,
        "per_run_ms": 1000 * ran.best / n,
        "total_s": explored.best + ran.best,
        "disk": tree_size(path),
        "load_s": loaded.best,
        **extra,
    }
    shutil.rmtree(path, ignore_errors=True)
    return out


def pypet_python() -> tuple[Path | None, str]:
    """The pypet virtualenv's python (created on first use); or (None, why not)."""
    from pypet_env import ensure_pypet_env

    try:
        return ensure_pypet_env().python, ""
    except (RuntimeError, OSError) as exc:
        return None, str(exc)[-400:]


def bench_pypet(python: Path, n: int, multiproc: bool, job: str, root: Path) -> Row | str:
    path = root / f"pypet-{n}-{int(multiproc)}-{job}.hdf5"
    try:
        data = run_json(
            ["pypet_side.py", "explore", str(path), str(n), "1" if multiproc else "0", job],
            python=python,
            timeout=3600,
            what="pypet",
        )
    except RuntimeError as exc:
        return str(exc)[-600:]
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


def show(row: Row) -> None:
    print(
        f"{row['tool']:<10} {row['backend']:<14} {row['job']:<7} {row['runs']:>9,} runs  "
        f"{row['per_run_ms']:8.3f} ms/run  run {row['run_s']:8.2f} s  explore {row['explore_s']:6.2f} s  "
        f"disk {human(row['disk']):>10}  load {row['load_s']:6.3f} s"
        + (f" (again {row['reload_s']:.3f} s)" if "reload_s" in row else ""),
        flush=True,
    )


def neuroloom_cases(sizes: tuple[int, ...], big: bool, workers: int, root: Path) -> list[Row]:
    """The trivial job at each size and the array job at the first, both backends.

    ``big``: also the trivial job at 100,000 and 1,000,000 runs, serial.
    """
    cases = [(n, backend, trivial, "return") for n in sizes for backend in ("serial", "processes")]
    cases += [(sizes[0], backend, array_job, "trace") for backend in ("serial", "processes")]
    if big:
        cases += [(n, "serial", trivial, "return") for n in (100_000, 1_000_000)]
    rows = []
    for n, backend, job, result in cases:
        rows.append(bench_neuroloom(n, backend, workers, job, result, root))
        show(rows[-1])
    return rows


def pypet_cases(n: int, root: Path) -> list[Row]:
    """pypet at ``n`` runs: trivial job serial and multiprocessing, array job serial."""
    python, why = pypet_python()
    if python is None:
        print(f"pypet skipped: {why}")
        return []
    rows = []
    for multiproc, job in ((False, "z"), (True, "z"), (False, "trace")):
        row = bench_pypet(python, n, multiproc, job, root)
        if isinstance(row, str):
            print(row)
        else:
            rows.append(row)
            show(row)
    return rows


def find(rows: list[Row], tool: str, backend: str, job: str, n: int) -> Row | None:
    for r in rows:
        if r["tool"] == tool and r["backend"].startswith(backend) and r["job"] == job and r["runs"] == n:
            return r
    return None


def print_ratios(rows: list[Row], n: int) -> None:
    """pypet / neuroloom at ``n`` runs, per backend and job."""
    print("\nratios (pypet / neuroloom, higher = neuroloom faster):")
    for pb, nb, job in (
        ("serial", "serial", "return"),
        ("multiproc", "processes", "return"),
        ("serial", "serial", "trace"),
    ):
        p, q = find(rows, "pypet", pb, job, n), find(rows, "neuroloom", nb, job, n)
        if p and q:
            print(
                f"  {n:,} runs {job:<6} {pb:>9} vs {nb:<9}: "
                f"per run x{p['per_run_ms'] / q['per_run_ms']:.1f}, "
                f"load x{p['load_s'] / q['load_s']:.1f}, disk x{p['disk'] / q['disk']:.2f}"
            )


def print_targets(rows: list[Row], base_n: int) -> None:
    """Flatness of the per-run time against ``base_n`` runs, and the targets."""
    base = find(rows, "neuroloom", "serial", "return", base_n)
    if base:
        print(f"flatness (neuroloom serial per-run time relative to {base_n:,} runs):")
        for n in sorted({r["runs"] for r in rows if r["runs"] > base_n}):
            r = find(rows, "neuroloom", "serial", "return", n)
            if r:
                print(
                    f"  {n:>9,} runs: {r['per_run_ms']:.3f} ms/run "
                    f"= x{r['per_run_ms'] / base['per_run_ms']:.2f}"
                )
    targets = find(rows, "neuroloom", "serial", "return", 10_000)
    if targets:
        print(f"target <= 0.5 ms/run at 10,000 runs serial: {targets['per_run_ms']:.3f} ms/run")
    big = find(rows, "neuroloom", "serial", "return", 1_000_000)
    if big:
        print(
            f"target 1,000,000 runs < 15 min: {big['total_s'] / 60:.1f} min; "
            f"load < 5 s: {big['load_s']:.2f} s"
        )


def main() -> None:
    args_parser = parser(__doc__, quick="100 and 1,000 runs, pypet at 100")
    args_parser.add_argument("--big", action="store_true", help="also 100,000 and 1,000,000 runs (neuroloom)")
    args_parser.add_argument("--no-pypet", action="store_true", help="skip pypet")
    args_parser.add_argument("--workers", type=int, default=2)
    args = args_parser.parse_args()
    sizes = (100, 1000) if args.quick else (1000, 10_000)
    results = Results(__file__, args)
    root = Path(tempfile.mkdtemp(prefix="bench-explore-"))
    print(f"neuroloom {nl.__version__}, numpy {np.__version__}, work in {root}")
    try:
        rows = neuroloom_cases(sizes, args.big, args.workers, root)
        if not args.no_pypet:
            rows += pypet_cases(sizes[0], root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results.add("rows", rows)
    print_ratios(rows, sizes[0])
    print_targets(rows, sizes[0])
    results.write()


if __name__ == "__main__":
    main()
