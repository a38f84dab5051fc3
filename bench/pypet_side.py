"""pypet's half of the pypet benches; run with the pypet venv's interpreter (see pypet_env.py).

Usage::

    bench/.venv-pypet/bin/python bench/pypet_side.py write FILE RUNS
    bench/.venv-pypet/bin/python bench/pypet_side.py load FILE REPEATS
    bench/.venv-pypet/bin/python bench/pypet_side.py explore FILE RUNS MULTIPROC JOB

Prints one JSON object on its last line: seconds taken (best of REPEATS for
``load``, timed with :func:`harness.time_it`) and the file's size. ``explore``
is ``bench_explore.py``'s half: a grid of RUNS runs of a trivial job (JOB
``z``: ``x * y``; ``trace``: a 1,000-float array), with multiprocessing on two
cores if MULTIPROC is 1; it prints the explore, run and load times.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from harness import time_it


def job(traj):  # type: ignore[no-untyped-def]
    """A post-processing style run: an array, a dict and a scalar per run."""
    rng = np.random.default_rng(traj.v_idx)
    values = rng.normal(traj.x, 1.0, size=100)
    traj.f_add_result("trace", values, comment="100 samples")
    traj.f_add_result("stats", {"mean": float(values.mean()), "n": 100}, comment="summary")
    traj.f_add_result("z", traj.x * traj.y, comment="product")


def write(path: Path, runs: int) -> dict[str, float]:
    from pypet import Environment, cartesian_product

    start = time.perf_counter()
    env = Environment(
        trajectory="Bench",
        filename=str(path),
        add_time=False,
        log_config=None,
        report_progress=False,
        overwrite_file=True,
    )
    traj = env.trajectory
    traj.f_add_parameter("x", 1.0, comment="x")
    traj.f_add_parameter("y", 1.0, comment="y")
    side = int(np.ceil(np.sqrt(runs)))
    grid = cartesian_product({"x": [float(v) for v in range(side)], "y": [float(v) for v in range(side)]})
    traj.f_explore({k: v[:runs] for k, v in grid.items()})
    env.run(job)
    env.disable_logging()
    return {"seconds": time.perf_counter() - start, "bytes": path.stat().st_size}


def load(path: Path, repeats: int) -> dict[str, float]:
    from pypet import Trajectory

    def load_all() -> Trajectory:
        traj = Trajectory(filename=str(path), add_time=False)
        traj.f_load(name="Bench", load_all=2, force=True)
        return traj

    timing = time_it(load_all, repeats)
    return {"seconds": timing.best, "runs": len(timing.result), "bytes": path.stat().st_size}


def product_job(traj):  # type: ignore[no-untyped-def]
    traj.f_add_result("z", traj.x * traj.y)


def array_job(traj):  # type: ignore[no-untyped-def]
    traj.f_add_result("trace", np.full(1000, traj.x * traj.y))


def explore(path: Path, runs: int, multiproc: bool, job_kind: str) -> dict[str, float]:
    """Explore a grid of ``runs`` runs (ten values of y), run, then load every result back."""
    from pypet import Environment, Trajectory, cartesian_product

    def build() -> Environment:
        env = Environment(
            trajectory="bench",
            filename=str(path),
            overwrite_file=True,
            log_config=None,
            multiproc=multiproc,
            ncores=2,
            use_pool=True,
            freeze_input=True,
            report_progress=False,
        )
        traj = env.trajectory
        traj.f_add_parameter("x", 0.0)
        traj.f_add_parameter("y", 0.0)
        ys = 10 if runs >= 10 else 1
        xs, yv = [float(i) for i in range(runs // ys)], [float(j) for j in range(ys)]
        traj.f_explore(cartesian_product({"x": xs, "y": yv}))
        return env

    made = time_it(build)
    env = made.result
    ran = time_it(lambda: env.run(product_job if job_kind == "z" else array_job))
    env.disable_logging()

    def load_all() -> int:
        traj = Trajectory("bench", add_time=False)
        traj.f_load(filename=str(path), load_parameters=2, load_results=2)
        return len(traj.f_get_from_runs(job_kind, fast_access=True))

    loaded = time_it(load_all)
    assert loaded.result == runs, loaded.result
    return {"explore_s": made.best, "run_s": ran.best, "load_s": loaded.best, "disk": path.stat().st_size}


def main(argv: list[str]) -> int:
    action, path, number = argv[0], Path(argv[1]), int(argv[2])
    if action == "explore":
        out = explore(path, number, argv[3] == "1", argv[4])
    else:
        out = write(path, number) if action == "write" else load(path, number)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
