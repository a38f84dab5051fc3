"""Analysis speed: neuroloom.analysis against elephant and against in_silico_framework's pandas idiom.

1. Rates and CV of ISI for 10,000 neurons x 100 runs (Poisson, 1 s): neuroloom on
   the spikes table vs elephant called per spike train, as users do
   (``mean_firing_rate`` and ``cv(isi(train))`` on ``neo.SpikeTrain`` objects).
   Elephant runs on a sample of runs and is extrapolated linearly to all of
   them unless ``--full`` is given; values are compared on the sample.
2. The ISF question "how many trials have a spike in [245, 265) ms", overall
   and per ``stim``, on 18,000 trials x ~5 spikes in memory: neuroloom's
   ``trials_with_spike`` vs the row-wise ``DataFrame.apply`` from the ISF manual.
3. ``plot.manylines`` of 18,000 voltage traces (density mode) with mean ± std.

Usage: python bench/bench_analysis.py [--quick] [--full]
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from harness import Results, parser, time_it

from neuroloom import plot
from neuroloom.analysis import cv_isi, from_wide_times, mean_rates, trials_with_spike


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best time of ``repeat`` calls and the last result."""
    timing = time_it(fn, repeat)
    return timing.best, timing.result


def poisson_table(n_neurons: int, n_runs: int, t_stop: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rates = rng.uniform(1.0, 10.0, n_neurons)  # Hz, fixed per neuron
    counts = rng.poisson(np.tile(rates, n_runs) * t_stop / 1000.0)
    train = np.repeat(np.arange(n_runs * n_neurons), counts)
    return pd.DataFrame(
        {
            "run": (train // n_neurons).astype(np.int64),
            "population": pd.Categorical.from_codes(np.zeros(len(train), np.int8), pd.Index(["exc"])),
            "node_id": (train % n_neurons).astype(np.int64),
            "time": rng.uniform(0.0, t_stop, len(train)),
        }
    )


def bench_rates_cv(n_neurons: int, n_runs: int, elephant_runs: int) -> dict[str, float]:
    import elephant.statistics as es
    import neo
    import quantities as pq

    t_stop = 1000.0
    spikes = poisson_table(n_neurons, n_runs, t_stop)
    print(f"\n[1] rates and CV: {n_neurons} neurons x {n_runs} runs, {len(spikes):,} spikes")
    t_rate, rates = timed(lambda: mean_rates(spikes, 0.0, t_stop, neurons={"exc": n_neurons}))
    t_cv, cvs = timed(lambda: cv_isi(spikes, neurons={"exc": n_neurons}))
    ours = t_rate + t_cv
    print(f"  neuroloom mean_rates           {t_rate:8.3f} s")
    print(f"  neuroloom cv_isi               {t_cv:8.3f} s")

    sample = spikes[spikes["run"] < elephant_runs].sort_values(["run", "node_id", "time"])

    def build() -> list[neo.SpikeTrain]:
        bounds = np.searchsorted(
            (sample["run"] * n_neurons + sample["node_id"]).to_numpy(),
            np.arange(elephant_runs * n_neurons + 1),
        )
        times = sample["time"].to_numpy()
        return [
            neo.SpikeTrain(times[a:b] * pq.ms, t_start=0 * pq.ms, t_stop=t_stop * pq.ms)
            for a, b in itertools.pairwise(bounds)
        ]

    t_build, trains = timed(build)

    def run_elephant() -> tuple[np.ndarray, np.ndarray]:
        rate = np.array([float(es.mean_firing_rate(t).rescale(pq.Hz).magnitude) for t in trains])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = np.array([es.cv(es.isi(t.magnitude)) if len(t) > 2 else np.nan for t in trains])
        return rate, cv

    t_eleph, (e_rate, e_cv) = timed(run_elephant)
    scale = n_runs / elephant_runs
    ours_sample = rates[rates["run"] < elephant_runs]
    cv_sample = cvs[cvs["run"] < elephant_runs]
    assert np.allclose(ours_sample["rate"].to_numpy(), e_rate), "rates differ from elephant"
    assert np.allclose(cv_sample["cv"].to_numpy(), e_cv, equal_nan=True), "CVs differ from elephant"
    label = "" if scale == 1 else f" (measured on {elephant_runs} runs, x{scale:g})"
    print(f"  elephant, building SpikeTrains {t_build * scale:8.3f} s{label}")
    print(f"  elephant rate + cv per train   {t_eleph * scale:8.3f} s{label}")
    print(f"  values equal on {len(trains):,} trains: yes")
    print(
        f"  ratio elephant / neuroloom:    {t_eleph * scale / ours:8.1f}x (calls only), "
        f"{(t_eleph + t_build) * scale / ours:.1f}x (with SpikeTrain building)"
    )
    return {
        "neurons": n_neurons,
        "runs": n_runs,
        "neuroloom_rates_s": t_rate,
        "neuroloom_cv_s": t_cv,
        "elephant_build_s": t_build * scale,
        "elephant_calls_s": t_eleph * scale,
        "elephant_runs_measured": elephant_runs,
        "ratio_calls": t_eleph * scale / ours,
    }


def isf_tables(n_trials: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stims = np.array(["B1", "B2", "B3", "C1", "C2", "C3", "D1", "D2", "D3", "E2"])
    stim = stims[np.arange(n_trials) % len(stims)]
    n_spikes = rng.poisson(5.0, n_trials)
    width = int(n_spikes.max())
    times = rng.uniform(0.0, 300.0, (n_trials, width))
    times[np.arange(width)[None, :] >= n_spikes[:, None]] = np.nan
    times = np.sort(times, axis=1)  # NaN padding goes last
    index = [f"{s}_evoked/20150817-1856_{i}/{i:06d}" for i, s in enumerate(stim)]
    wide = pd.DataFrame(times, index=pd.Index(index, name="sim_trial_index"))
    wide["stim"] = wide.index.str.split("_").str[0]
    return wide


def bench_isf(n_trials: int) -> dict[str, float]:
    wide = isf_tables(n_trials)
    cols = [c for c in wide.columns if c != "stim"]
    print(f"\n[2] ISF question on {n_trials:,} trials, {int(wide[cols].notna().sum().sum()):,} spikes")

    def isf_overall() -> pd.Series:
        return wide[cols].apply(lambda x: ((x >= 245) & (x < 265)).any(), axis=1).value_counts()

    def isf_per_stim() -> pd.DataFrame:
        def fun(st: pd.DataFrame) -> pd.Series:
            return st[cols].apply(lambda x: ((x >= 245) & (x < 265)).any(), axis=1).value_counts()

        return wide.groupby("stim").apply(fun).unstack(fill_value=0)

    t_isf, isf = timed(isf_overall)
    t_isf_stim, isf_stim = timed(isf_per_stim)
    t_conv, (spikes, runs) = timed(lambda: from_wide_times(wide))
    t_ours, ours = timed(lambda: trials_with_spike(spikes, 245.0, 265.0, runs=runs), repeat=5)
    t_ours_stim, ours_stim = timed(
        lambda: trials_with_spike(spikes, 245.0, 265.0, by="st_stim", runs=runs), repeat=5
    )
    assert int(ours["n_with_spike"].iloc[0]) == int(isf.get(True, 0))
    assert int(ours["n_without_spike"].iloc[0]) == int(isf.get(False, 0))
    assert ours_stim.set_index("st_stim")["n_with_spike"].to_dict() == isf_stim[True].to_dict()
    print(f"  trials with a spike: {int(ours['n_with_spike'].iloc[0])} of {n_trials} (same answer as ISF)")
    print(f"  ISF row-wise apply, overall    {t_isf * 1000:9.1f} ms")
    print(f"  ISF row-wise apply, per stim   {t_isf_stim * 1000:9.1f} ms")
    print(f"  neuroloom, overall             {t_ours * 1000:9.1f} ms   ratio {t_isf / t_ours:6.1f}x")
    print(
        f"  neuroloom, per stim            {t_ours_stim * 1000:9.1f} ms"
        f"   ratio {t_isf_stim / t_ours_stim:6.1f}x"
    )
    print(f"  (one-off wide -> long conversion {t_conv * 1000:.1f} ms, done by views on disk later)")
    return {
        "trials": n_trials,
        "isf_overall_s": t_isf,
        "isf_per_stim_s": t_isf_stim,
        "neuroloom_overall_s": t_ours,
        "neuroloom_per_stim_s": t_ours_stim,
        "conversion_s": t_conv,
    }


def bench_manylines(n_traces: int, n_samples: int) -> dict[str, float]:
    rng = np.random.default_rng(2)
    traces = -65.0 + np.cumsum(rng.normal(0.0, 0.5, (n_traces, n_samples)), axis=1, dtype=np.float64)
    print(f"\n[3] manylines: {n_traces:,} traces x {n_samples} samples")

    def draw() -> None:
        fig = plot.manylines(traces, dt=300.0 / n_samples)
        fig.savefig("/dev/null", format="png", dpi=80)

    seconds, _ = timed(draw)
    print(f"  density + mean ± std, rendered to PNG   {seconds:6.2f} s (ISF manual: 76 s on a cluster)")
    return {"traces": n_traces, "samples": n_samples, "seconds": seconds}


def main() -> None:
    args_parser = parser(__doc__)
    args_parser.add_argument("--full", action="store_true", help="run elephant on every run, not a sample")
    args = args_parser.parse_args()
    results = Results(__file__, args)
    n_neurons, n_runs = (1000, 10) if args.quick else (10_000, 100)
    elephant_runs = n_runs if args.full else max(1, n_runs // 20)
    results.add("rates_cv", bench_rates_cv(n_neurons, n_runs, elephant_runs))
    results.add("isf_trials_with_spike", bench_isf(1800 if args.quick else 18_000))
    results.add("manylines", bench_manylines(1800 if args.quick else 18_000, 1500))
    results.write()


if __name__ == "__main__":
    main()
