"""Read a pypet trajectory file with neuroloom.pypet (h5py) and with pypet itself; print times and ratio.

pypet writes the file (a post-processing style sweep: an array, a dict and a
scalar result per run) in its own virtualenv (``bench/.venv-pypet``, created
on first use by ``bench/pypet_env.py``). Then the same file is loaded fully
by pypet (``f_load(load_all=2)``, best of ``--repeats``, timed inside the pypet
process) and by ``neuroloom.pypet.read_trajectory`` (best of ``--repeats``,
in this process). Run::

    python bench/bench_pypet_read.py [--runs 300] [--repeats 3] [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import BENCH_DIR, Results, parser, print_table, run_json, time_it
from pypet_env import ensure_pypet_env

from neuroloom.pypet import read_trajectory


def pypet_side(python: Path, *args: str) -> dict[str, float]:
    """Run ``bench/pypet_side.py`` in the pypet venv and return its JSON answer."""
    answer: dict[str, float] = run_json(
        [str(BENCH_DIR / "pypet_side.py"), *args], python=python, what="pypet side"
    )
    return answer


def main() -> int:
    args_parser = parser(__doc__, quick="30 runs, 1 repeat")
    args_parser.add_argument("--runs", type=int, default=300)
    args_parser.add_argument("--repeats", type=int, default=3)
    args = args_parser.parse_args()
    runs, repeats = (30, 1) if args.quick else (args.runs, args.repeats)
    results = Results(__file__, args)
    env = results.add("pypet_env", ensure_pypet_env())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.hdf5"
        written = pypet_side(env.python, "write", str(path), str(runs))
        loaded = pypet_side(env.python, "load", str(path), str(repeats))
        ours = time_it(lambda: read_trajectory(path, "Bench"), repeats)
        if len(ours.result.runs) != loaded["runs"]:
            raise SystemExit(f"run counts differ: neuroloom {len(ours.result.runs)}, pypet {loaded['runs']}")
    print(f"pypet file: {runs} runs, {written['bytes'] / 1e6:.2f} MB, written in {written['seconds']:.1f} s")
    rows = [
        {"name": "pypet f_load(load_all=2)", "best": loaded["seconds"]},
        {"name": "neuroloom.pypet.read_trajectory", "best": ours.best},
    ]
    print_table(
        f"load the whole trajectory (best of {repeats})", rows, reference=rows[0]["name"], ratio="best"
    )
    results.add("written", written)
    results.add("pypet_load", loaded)
    results.add("neuroloom_read", ours)
    results.add("ratio_neuroloom_over_pypet", ours.best / loaded["seconds"])
    results.write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
