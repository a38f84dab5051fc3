"""Read the 10,000-neuron reference network with neuroloom and with libsonata; print times and ratios.

Tasks (each timed as the best of several repeats, same process, warm file cache):

1. afferent edges and their ``syn_weight`` for 1,000 random targets;
2. a full column read (``syn_weight`` of every edge);
3. afferent edge counts of every target (libsonata: ``afferent_edges`` of all
   targets, ``target_nodes`` and a bincount, as neurodamus' ``get_counts`` does).

Target: neuroloom within 1.5x of libsonata's time. Run::

    python bench/bench_read.py [--neurons 10000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def best_of(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--neurons", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    import libsonata

    from neuroloom.sonata import open_edges

    folder = Path(tempfile.mkdtemp(prefix="bench-read-"))
    try:
        # build in a child process so this one starts clean (same heap state for both readers)
        here = str(Path(__file__).parent)
        code = (
            f"import sys; sys.path.insert(0, {here!r}); from bench_build import build_neuroloom; "
            f"from pathlib import Path; print(build_neuroloom({args.neurons}, Path({str(folder)!r})))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        n_edges = int(done.stdout.strip().splitlines()[-1])
        path = folder / "v1_v1_edges.h5"
        ours = open_edges(path)["v1_to_v1"]
        lib = libsonata.EdgeStorage(str(path)).open_population("v1_to_v1")
        targets = np.sort(np.random.default_rng(0).choice(args.neurons, 1000, replace=False))
        all_ids = np.arange(args.neurons)

        def ours_afferent() -> np.ndarray:
            return ours.get(ours.afferent_edges(targets), "syn_weight")["syn_weight"].to_numpy()

        def lib_afferent() -> np.ndarray:
            return np.asarray(lib.get_attribute("syn_weight", lib.afferent_edges(targets)))

        def ours_column() -> np.ndarray:
            return ours.get(None, "syn_weight")["syn_weight"].to_numpy()

        def lib_column() -> np.ndarray:
            return np.asarray(lib.get_attribute("syn_weight", lib.select_all()))

        def ours_counts() -> np.ndarray:
            return ours.afferent_counts(all_ids).to_numpy()

        def lib_counts() -> np.ndarray:
            nodes = lib.target_nodes(lib.afferent_edges(all_ids))
            return np.bincount(nodes, minlength=args.neurons)

        print(f"network: {args.neurons:,} neurons, {n_edges:,} edges")
        worst = 0.0
        for label, mine, theirs in (
            ("afferent + syn_weight, 1,000 targets", ours_afferent, lib_afferent),
            ("full syn_weight column", ours_column, lib_column),
            ("afferent_counts, all targets", ours_counts, lib_counts),
        ):
            t_ours, r_ours = best_of(mine, args.repeats)
            t_lib, r_lib = best_of(theirs, args.repeats)
            np.testing.assert_allclose(np.asarray(r_ours), np.asarray(r_lib))  # same answer
            ratio = t_ours / t_lib
            worst = max(worst, ratio)
            print(
                f"{label:<40} neuroloom {t_ours * 1e3:8.2f} ms   libsonata {t_lib * 1e3:8.2f} ms   "
                f"ratio {ratio:5.2f}x"
            )
        print(f"worst ratio {worst:.2f}x (target <= 1.5x)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
