"""Read the 10,000-neuron reference network with neuroloom and with libsonata; print times and ratios.

Tasks (each timed as the best of several repeats, same process, warm file cache):

1. afferent edges and their ``syn_weight`` for 1,000 random targets;
2. a full column read (``syn_weight`` of every edge);
3. afferent edge counts of every target (libsonata: ``afferent_edges`` of all
   targets, ``target_nodes`` and a bincount, as neurodamus' ``get_counts`` does).

Target: neuroloom within 1.5x of libsonata's time. Run::

    python bench/bench_read.py [--neurons 10000] [--repeats 7] [--quick]
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from harness import Results, parser, print_table, run_json, time_it, verdict


def main() -> None:
    args_parser = parser(__doc__, quick="1,000 neurons, 2 repeats")
    args_parser.add_argument("--neurons", type=int, default=10_000)
    args_parser.add_argument("--repeats", type=int, default=7)
    args = args_parser.parse_args()
    if args.quick:
        args.neurons, args.repeats = 1000, 2
    results = Results(__file__, args)
    import libsonata

    from neuroloom.sonata import open_edges

    folder = Path(tempfile.mkdtemp(prefix="bench-read-"))
    try:
        # build in a child process so this one starts clean (same heap state for both readers)
        code = (
            "import json; from pathlib import Path; from bench_build import build_neuroloom; "
            f"print(json.dumps(build_neuroloom({args.neurons}, Path({str(folder)!r}))))"
        )
        n_edges = int(run_json(["-c", code], what="building the network"))
        path = folder / "v1_v1_edges.h5"
        ours = open_edges(path)["v1_to_v1"]
        lib = libsonata.EdgeStorage(str(path)).open_population("v1_to_v1")
        targets = np.sort(
            np.random.default_rng(0).choice(args.neurons, min(1000, args.neurons), replace=False)
        )
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
        rows = []
        for label, mine, theirs in (
            (f"afferent + syn_weight, {targets.size:,} targets", ours_afferent, lib_afferent),
            ("full syn_weight column", ours_column, lib_column),
            ("afferent_counts, all targets", ours_counts, lib_counts),
        ):
            t_ours = time_it(mine, args.repeats)
            t_lib = time_it(theirs, args.repeats)
            np.testing.assert_allclose(np.asarray(t_ours.result), np.asarray(t_lib.result))  # same answer
            rows.append({"name": label, "neuroloom": t_ours.best, "libsonata": t_lib.best})
        for row in rows:
            row["ratio"] = row["neuroloom"] / row["libsonata"]
        print_table(f"best of {args.repeats}", rows, scale=1e3, unit="ms")
        worst = max(row["ratio"] for row in rows)
        print(f"worst ratio {worst:.2f}x (target <= 1.5x: {verdict(worst <= 1.5)})")
        results.add("network", {"neurons": args.neurons, "edges": n_edges})
        results.add("tasks", rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results.write()


if __name__ == "__main__":
    main()
