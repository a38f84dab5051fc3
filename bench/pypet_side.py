"""pypet's half of the pypet benches; run with the pypet venv's interpreter (see pypet_env.py).

Usage::

    bench/.venv-pypet/bin/python bench/pypet_side.py write FILE RUNS
    bench/.venv-pypet/bin/python bench/pypet_side.py load FILE REPEATS

Prints one JSON object on its last line: seconds taken (best of REPEATS for
``load``, timed with :func:`harness.time_it`) and the file's size.
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


def main(argv: list[str]) -> int:
    action, path, number = argv[0], Path(argv[1]), int(argv[2])
    out = write(path, number) if action == "write" else load(path, number)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
