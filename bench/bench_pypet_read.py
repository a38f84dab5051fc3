"""Read a pypet trajectory file with neuroloom.pypet (h5py) and with pypet itself; print times and ratio.

pypet writes the file (a post-processing style sweep: an array, a dict and a
scalar result per run) in its own virtualenv (``bench/.venv-pypet``, created
on first use by ``bench/pypet_env.py``). Then the same file is loaded fully
by pypet (``f_load(load_all=2)``, best of ``--repeats``, timed inside the pypet
process) and by ``neuroloom.pypet.read_trajectory`` (best of ``--repeats``,
in this process). Run::

    python bench/bench_pypet_read.py [--runs 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from pypet_env import ensure_pypet_env  # noqa: E402

from neuroloom.pypet import read_trajectory  # noqa: E402


def pypet_side(python: str, *args: str) -> dict[str, float]:
    """Run ``bench/pypet_side.py`` in the pypet venv and return its JSON answer."""
    done = subprocess.run(
        [python, str(BENCH / "pypet_side.py"), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"pypet side failed:\n{done.stderr[-3000:]}")
    answer: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    python = str(ensure_pypet_env()["python"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.hdf5"
        written = pypet_side(python, "write", str(path), str(args.runs))
        loaded = pypet_side(python, "load", str(path), str(args.repeats))
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            traj = read_trajectory(path, "Bench")
            best = min(best, time.perf_counter() - start)
        if len(traj.runs) != loaded["runs"]:
            raise SystemExit(f"run counts differ: neuroloom {len(traj.runs)}, pypet {loaded['runs']}")
    size_mb = written["bytes"] / 1e6
    print(f"pypet file: {args.runs} runs, {size_mb:.2f} MB, written in {written['seconds']:.1f} s")
    print(f"pypet f_load(load_all=2):      {loaded['seconds']:.3f} s")
    print(f"neuroloom.pypet.read_trajectory: {best:.3f} s")
    print(f"ratio neuroloom/pypet: {best / loaded['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
