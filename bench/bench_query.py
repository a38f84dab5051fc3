"""Cross-run queries from disk: neuroloom's study tables vs in_silico_framework's row-wise pandas apply.

1. A study of 18,000 runs (10 values of ``stim`` x 1,800 trials), each storing
   ~5 spikes in 0-300 ms through ``run.record_spikes`` (SONATA spike report per
   run; the coordinator consolidates them into Parquet as runs finish).
2. From a freshly opened study: how many runs have a spike in [245, 265) ms,
   overall and per ``stim`` (``nl.Study(path).filter().trials_with_spike(...)``),
   timed including opening the study; also in a fresh Python process.
3. The same question the ISF way: ``st.apply(lambda x: ((x >= 245) & (x < 265)).any(),
   axis=1).value_counts()`` on the wide spike-time table in memory, overall and
   ``groupby('stim').apply(...)``. The answers are checked to agree.
4. Rates and CV of ISI for 10,000 neurons x 100 runs against elephant
   (``bench_analysis.bench_rates_cv``).

Targets: the query under 50 ms including opening the study, >= 20x faster than the apply.

Usage: python bench/bench_query.py [--runs 18000] [--path DIR] [--keep] [--quick] [--workers N]
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bench_analysis import bench_rates_cv
from harness import Results, parser, run_json, time_it, verdict

import neuroloom as nl

STIMS = ["B1", "B2", "B3", "C1", "C2", "C3", "D1", "D2", "D3", "E2"]
T0, T1 = 245.0, 265.0


def job(run: Any) -> None:
    rng = run.rng()
    n = int(rng.poisson(5))
    run.record_spikes("cell", np.zeros(n, np.int64), np.round(rng.uniform(0.0, 300.0, n), 3))


def build(path: Path, n_runs: int, workers: int | None) -> None:
    study = nl.Study(path, seed=7)
    study.params.add("stim", "B1", comment="stimulated whisker")
    study.params.add("trial", 0)
    per = n_runs // len(STIMS)
    study.explore(nl.grid(stim=STIMS, trial=list(range(per))))
    t = time.perf_counter()
    report = study.run(job, backend="processes", workers=workers, progress=False)
    run_s = time.perf_counter() - t
    t = time.perf_counter()
    manifest = study.consolidate(progress=False)
    cons_s = time.perf_counter() - t
    parts = len(manifest["parts"]["spikes"])
    rows = sum(p["rows"] for p in manifest["parts"]["spikes"])
    print(
        f"stored {report.done} runs through run.record_spikes in {run_s:.1f} s "
        f"({1000 * run_s / max(report.done, 1):.2f} ms/run incl. SONATA files and consolidation); "
        f"final consolidate {cons_s:.2f} s -> {rows} spikes in {parts} Parquet part(s)"
    )
    study.close()


def query(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    study = nl.Study(path)
    view = study.filter()
    overall = view.trials_with_spike(T0, T1)
    per_stim = view.trials_with_spike(T0, T1, by="st_stim")
    study.close()
    return overall, per_stim


def time_query(path: Path, repeat: int = 7) -> Any:
    """:class:`harness.Timing` of :func:`query`, its result ``(overall, per_stim)``."""
    from neuroloom.datastore import consolidate

    # cold in-process cache: every repetition reads the Parquet files
    return time_it(lambda: query(path), repeat, before=consolidate._CACHE.clear)


_FRESH = """
import json, sys, time
t0 = time.perf_counter()
import neuroloom as nl
t1 = time.perf_counter()
s = nl.Study(sys.argv[1]); v = s.filter()
a = v.trials_with_spike(245.0, 265.0); b = v.trials_with_spike(245.0, 265.0, by="st_stim")
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""


def fresh_process(path: Path) -> tuple[float, float]:
    imp, q = run_json(["-c", _FRESH, str(path)], what="the query in a fresh process")
    return float(imp), float(q)


def isf_table(path: Path) -> pd.DataFrame:
    """The ISF ``spike_times`` frame: one row per trial, spike times in columns 0..k (NaN padded)."""
    study = nl.Study(path)
    spikes = study.filter().spikes(params=["stim"])
    runs = study.filter().runs
    study.close()
    spikes = spikes.sort_values(["run", "time"])
    rank = spikes.groupby("run").cumcount()
    wide = spikes.assign(rank=rank).pivot(index="run", columns="rank", values="time")
    wide = wide.reindex(runs.index)
    wide.columns = list(range(wide.shape[1]))
    wide["stim"] = runs["st_stim"].to_numpy()
    out: pd.DataFrame = wide
    return out


def isf_apply(st: pd.DataFrame) -> tuple[float, float, pd.Series, pd.DataFrame]:
    times = st.drop(columns="stim")
    t = time.perf_counter()
    overall = times.apply(lambda x: ((x >= T0) & (x < T1)).any(), axis=1).value_counts()
    t_overall = time.perf_counter() - t

    def fun(part: pd.DataFrame) -> Any:
        return part.apply(lambda x: ((x >= T0) & (x < T1)).any(), axis=1).value_counts()

    t = time.perf_counter()
    per_stim = st.groupby("stim")[list(times.columns)].apply(fun)
    per_stim = per_stim.unstack(fill_value=0) if isinstance(per_stim, pd.Series) else per_stim
    t_stim = time.perf_counter() - t
    return t_overall, t_stim, overall, per_stim


def main() -> None:
    args_parser = parser(__doc__, quick="1,800 runs and a small rates/CV benchmark")
    args_parser.add_argument("--runs", type=int, default=18_000)
    args_parser.add_argument("--path", type=Path, default=None, help="study directory (reused if it exists)")
    args_parser.add_argument("--keep", action="store_true", help="keep the study directory")
    args_parser.add_argument("--workers", type=int, default=None)
    args = args_parser.parse_args()
    results = Results(__file__, args)
    n_runs = 1800 if args.quick else args.runs
    tmp = Path(tempfile.mkdtemp(prefix="bench_query_"))
    path = args.path or tmp / "isf_study"
    try:
        if not (path / "neuroloom.json").exists():
            build(path, n_runs, args.workers)
        timing = results.add("query", time_query(path))
        overall, per_stim = timing.result
        median = timing.median
        imp, fresh_q = fresh_process(path)
        results.add("fresh_process", {"import_s": imp, "query_s": fresh_q})
        print(
            f"\nquery from disk (open study + overall + per stim): best {1000 * timing.best:.1f} ms, "
            f"median {1000 * median:.1f} ms (target < 50 ms: {verdict(median < 0.05)}); "
            f"in a fresh process: {1000 * fresh_q:.1f} ms after importing neuroloom ({1000 * imp:.0f} ms)"
        )
        st = isf_table(path)
        t_overall, t_stim, isf_overall, isf_per_stim = isf_apply(st)
        isf_total = t_overall + t_stim
        results.add(
            "isf_apply", {"overall_s": t_overall, "per_stim_s": t_stim, "speed_up": isf_total / median}
        )
        print(
            f"ISF row-wise apply in memory: overall {t_overall:.3f} s, per stim {t_stim:.3f} s, "
            f"total {isf_total:.3f} s"
        )
        print(
            f"speed-up: {isf_total / median:.0f}x (median query, target >= 20x), "
            f"{isf_total / fresh_q:.0f}x (fresh process)"
        )
        n_hit = int(overall["n_with_spike"].sum())
        assert n_hit == int(isf_overall.get(True, 0)), (n_hit, isf_overall)
        ours = per_stim.set_index("st_stim")["n_with_spike"]
        theirs = isf_per_stim[True]
        assert ours.sort_index().tolist() == theirs.sort_index().astype(int).tolist()
        print(
            f"answers agree: {n_hit} of {int(overall['n_trials'].sum())} runs have a spike in "
            f"[{T0:g}, {T1:g}) ms"
        )
        print(per_stim[["st_stim", "n_with_spike", "n_without_spike"]].to_string(index=False))
    finally:
        if not args.keep and args.path is None:
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nrates and CV of ISI vs elephant (bench_analysis.bench_rates_cv):")
    results.add("rates_cv", bench_rates_cv(1000, 10, 1) if args.quick else bench_rates_cv(10_000, 100, 5))
    results.write()


if __name__ == "__main__":
    main()
