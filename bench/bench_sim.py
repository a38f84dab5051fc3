"""Simulator adapter overhead: neuroloom vs hand-written Brian2 and NEST, same network, same work.

The network is the 4,000-neuron current-based LIF benchmark (Vogels & Abbott 2005, Brian2's
CUBA example): 3,200 excitatory / 800 inhibitory neurons, connection probability 0.02, 1 s of
biological time, dt = 0.1 ms, self-sustained (E_L above threshold, no external input).

It is written once as a SONATA circuit (neuroloom.testing.circuits.write_ei_circuit). Then:

- neuroloom: ``neuroloom.sim.brian2.simulate(circuit, None, 1000)`` (reads the SONATA files,
  builds, runs, collects spikes) with the target the adapter picks (cython if available);
- hand-written Brian2 with the same target: reads the same files with h5py (initial voltages,
  edge arrays), then the CUBA script as Brian2's example writes it (``dv/dt = (ge + gi - (v -
  El)) / taum``, method "exact"), connected from those arrays (``Synapses.connect(i=...,
  j=...)``), run, spikes collected as arrays;
- the same pair for NEST (``iaf_psc_exp``, ``nest.Connect`` of arrays, one thread on both sides),
  the hand-written script timed from ``nest.ResetKernel()`` to reading the recorder's events
  (the adapter resets the kernel and returns the spikes, so both sides do that work).

Each run is a fresh Python process (this script with ``--side``) that imports its modules and
does a 10 ms warm-up run of the same network (not timed: loads the compiled Cython code; the
Cython cache is filled before the first timed run), then the timed run from files to spikes.
Runs are interleaved (neuroloom, hand, hand, neuroloom, ...); the tables give the median and
best wall time of ``--repeats`` runs and the median CPU time (less sensitive to other processes
on a shared machine).

``--case config`` (in ``sim_config_case.py``): a SONATA simulation config (300_pointneurons'
types scaled to ``--neurons``) run by ``neuroloom run``'s function, bmtk pointnet and a
hand-written NEST script, all from files to written spikes.

Figures go to ``bench/out/bench_sim.json``. Usage::

    .venv/bin/python bench/bench_sim.py [--case cuba|config|all] [--repeats 2] [--duration 1000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from harness import Clock, Results, Timing, parser, print_table, run_json, verdict

os.environ.setdefault("PYNEST_QUIET", "1")

N_EXC, N_INH, P, DT = 3200, 800, 0.02, 0.1
CUBA = {
    "taum": 20.0,
    "taue": 5.0,
    "taui": 10.0,
    "Vt": -50.0,
    "Vr": -60.0,
    "El": -49.0,
    "t_ref": 5.0,
    "we": 60 * 0.27 / 10,
    "wi": -20 * 4.5 / 10,
}  # mV, as in Brian2's CUBA example


def read_arrays(folder: Path) -> dict[str, Any]:
    """Initial voltages and connectivity read from the SONATA files with h5py, as a script would."""
    v0, edges = {}, {}
    with h5py.File(folder / "nodes.h5", "r") as fh:
        for name in ("exc", "inh"):
            v0[name] = fh[f"nodes/{name}/0/V_m"][()]
    for src in ("exc", "inh"):
        for trg in ("exc", "inh"):
            with h5py.File(folder / f"{src}_to_{trg}.h5", "r") as fh:
                grp = fh[f"edges/{src}_to_{trg}"]
                edges[(src, trg)] = (
                    grp["source_node_id"][()].astype(np.int64),
                    grp["target_node_id"][()].astype(np.int64),
                )
    return {"v0": v0, "edges": edges}


def hand_brian2(folder: Path, duration: float, target: str) -> dict[str, Any]:
    import brian2 as b2

    b2.prefs.codegen.target = target
    clock = Clock()
    arrays = read_arrays(folder)
    c = CUBA
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    ns = {
        "taum": c["taum"] * b2.ms,
        "taue": c["taue"] * b2.ms,
        "taui": c["taui"] * b2.ms,
        "El": c["El"] * b2.mV,
    }
    b2.defaultclock.dt = DT * b2.ms
    groups = {}
    for name, n in (("exc", N_EXC), ("inh", N_INH)):
        g = b2.NeuronGroup(
            n,
            eqs,
            threshold=f"v > {c['Vt']}*mV",
            reset=f"v = {c['Vr']}*mV",
            refractory=c["t_ref"] * b2.ms,
            method="exact",
            namespace=ns,
        )
        g.v = arrays["v0"][name] * b2.mV
        groups[name] = g
    synapses = []
    for (src, trg), (i, j) in arrays["edges"].items():
        var, w = ("ge", c["we"]) if src == "exc" else ("gi", c["wi"])
        s = b2.Synapses(groups[src], groups[trg], on_pre=f"{var} += {w}*mV", delay=DT * b2.ms)
        s.connect(i=i, j=j)
        synapses.append(s)
    monitors = [b2.SpikeMonitor(g) for g in groups.values()]
    net = b2.Network(*groups.values(), *synapses, *monitors)
    run_start = time.perf_counter()
    net.run(duration * b2.ms)
    clock.lap("run", time.perf_counter() - run_start)
    spikes = [(np.asarray(m.i[:]), np.asarray(m.t[:] / b2.ms)) for m in monitors]  # as the adapter collects
    return clock.done(sum(ids.size for ids, _ in spikes))


def hand_nest(folder: Path, duration: float) -> dict[str, Any]:
    import nest

    from neuroloom.testing.circuits import CUBA as PARAMS

    nest.verbosity = nest.VerbosityLevel.ERROR
    clock = Clock()
    nest.ResetKernel()  # a script starts from a fresh kernel, as the adapter does for every run
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": 1})
    arrays = read_arrays(folder)
    pops = {}
    for name, n in (("exc", N_EXC), ("inh", N_INH)):
        pop = nest.Create("iaf_psc_exp", n, params=dict(PARAMS))
        pop.V_m = arrays["v0"][name].tolist()
        pops[name] = pop
    for (src, trg), (i, j) in arrays["edges"].items():
        w = 20.25 if src == "exc" else -112.5
        first_src, first_trg = pops[src][0].global_id, pops[trg][0].global_id
        nest.Connect(
            i + first_src,
            j + first_trg,
            "one_to_one",
            {"weight": np.full(i.size, w), "delay": np.full(i.size, DT)},
        )
    recorder = nest.Create("spike_recorder")
    for pop in pops.values():
        nest.Connect(pop, recorder)
    run_start = time.perf_counter()
    nest.Simulate(duration)
    clock.lap("run", time.perf_counter() - run_start)
    events = recorder.get("events")  # the spikes themselves, as the adapter returns them
    return clock.done(len(events["times"]))


def ours(kind: str, folder: Path, duration: float, target: str) -> dict[str, Any]:
    """The adapter's run of the circuit: files to spikes (a SimulationResult)."""
    config = folder / "circuit_config.json"
    clock = Clock()
    if kind == "brian2":
        from neuroloom.sim import brian2 as adapter

        result = adapter.simulate(config, None, duration, dt=DT, seed=1, target=target)
    else:
        from neuroloom.sim import nest as nest_adapter

        result = nest_adapter.simulate(config, None, duration, dt=DT, seed=1)
    clock.lap("run", result.run_seconds)
    return clock.done(len(result.spikes))


def _side(side: str, folder: Path, duration: float, target: str) -> dict[str, Any]:
    """One side in this fresh process: a warm-up run (untimed; loads compiled code), then the timed run."""
    sim, who = side.split(":")
    if sim == "brian2":
        from neuroloom.sim.brian2 import configure

        configure(target)
        import brian2  # noqa: F401
    else:
        import nest  # noqa: F401
    import neuroloom.sim.brian2
    import neuroloom.sim.nest
    import neuroloom.sonata  # noqa: F401

    def work(span: float) -> dict[str, Any]:
        if who == "ours":
            return ours(sim, folder, span, target)
        return hand_brian2(folder, span, target) if sim == "brian2" else hand_nest(folder, span)

    work(10.0)
    return work(duration)


def bench_cuba(duration: float, repeats: int, folder: Path) -> dict[str, Any]:
    """The CUBA network on each adapter and its hand-written script; print and return the figures."""
    from neuroloom.sim.brian2 import configure
    from neuroloom.testing.circuits import write_ei_circuit

    target = configure("auto")
    t0 = time.perf_counter()
    config = write_ei_circuit(folder, n_exc=N_EXC, n_inh=N_INH, p=P, delay=DT, seed=0)
    print(f"circuit: {N_EXC}+{N_INH} LIF, p={P}, written as SONATA in {time.perf_counter() - t0:.2f} s")
    n_edges = sum(i.size for i, _ in read_arrays(config.parent)["edges"].values())
    print(f"edges: {n_edges:,}; duration {duration:.0f} ms, dt {DT} ms; Brian2 target: {target}")
    print("warm-up (fills the Cython cache; not timed) ...", flush=True)
    run_json(
        [__file__, "--side", "brian2:ours", "--circuit", str(folder), "--duration", "10", "--target", target]
    )
    run_json(
        [__file__, "--side", "brian2:hand", "--circuit", str(folder), "--duration", "10", "--target", target]
    )

    figures: dict[str, Any] = {"target": target, "edges": n_edges}
    for sim in ("brian2", "nest"):
        runs: dict[str, list[dict[str, Any]]] = {"ours": [], "hand": []}
        for repeat in range(repeats):  # interleaved, the order alternating, one fresh process per run
            for who in ("ours", "hand") if repeat % 2 == 0 else ("hand", "ours"):
                args = ["--side", f"{sim}:{who}", "--circuit", str(folder), "--duration", str(duration)]
                runs[who].append(run_json([__file__, *args, "--target", target], what=f"{sim} {who}"))
        label = f"{sim} ({target})" if sim == "brian2" else "nest"
        wall = {w: Timing(tuple(r["seconds"] for r in runs[w])) for w in runs}
        cpu = {w: Timing(tuple(r["cpu"] for r in runs[w])) for w in runs}
        rows = [
            {
                "name": f"{'neuroloom' if w == 'ours' else 'hand'} {label}",
                "median": wall[w].median,
                "best": wall[w].best,
                "cpu median": cpu[w].median,
                "run": float(np.median([r["run"] for r in runs[w]])),
                "spikes": runs[w][-1]["spikes"],
            }
            for w in ("ours", "hand")
        ]
        print_table(
            f"CUBA {N_EXC + N_INH:,} LIF, {duration:.0f} ms on {label} (medians unless best)",
            rows,
            reference=f"hand {label}",
            ratio="median",
        )
        overhead = 100 * (wall["ours"].median / wall["hand"].median - 1)
        cpu_overhead = 100 * (cpu["ours"].median / cpu["hand"].median - 1)
        print(
            f"target overhead < 10 % (medians): wall {overhead:+.1f} %, CPU {cpu_overhead:+.1f} % "
            f"-> {verdict(overhead < 10)}"
        )
        figures[sim] = {
            "neuroloom": wall["ours"].as_dict(),
            "hand": wall["hand"].as_dict(),
            "cpu": {w: cpu[w].as_dict() for w in runs},
            "runs": runs,
            "spikes": {w: runs[w][-1]["spikes"] for w in runs},
            "overhead_pct": overhead,
            "cpu_overhead_pct": cpu_overhead,
        }
    return figures


def main() -> None:
    args_parser = parser(__doc__, quick="CUBA 200 ms; config case 1,000 neurons, 200 ms; one repeat")
    args_parser.add_argument("--repeats", type=int, default=2)
    args_parser.add_argument("--duration", type=float, default=1000.0)
    args_parser.add_argument("--case", choices=["cuba", "config", "all"], default="all")
    args_parser.add_argument("--neurons", type=int, default=10_000, help="config case: internal neurons")
    args_parser.add_argument("--dt", type=float, default=0.1, help="config case: time step (ms)")
    args_parser.add_argument("--tmp", default=None, help="folder for the temporary files")
    args_parser.add_argument("--side", help=argparse.SUPPRESS)  # one run in a fresh process
    args_parser.add_argument("--circuit", help=argparse.SUPPRESS)
    args_parser.add_argument("--target", default="auto", help=argparse.SUPPRESS)
    args = args_parser.parse_args()
    if args.side:
        print(json.dumps(_side(args.side, Path(args.circuit), args.duration, args.target)))
        return
    if args.quick:
        args.duration, args.neurons, args.repeats = 200.0, 1_000, 1
    results = Results(__file__, args)
    with tempfile.TemporaryDirectory(prefix="bench-sim-", dir=args.tmp) as tmp:
        if args.case in ("config", "all"):
            from sim_config_case import bench_config

            results.add("config", bench_config(args.neurons, args.duration, args.dt, args.repeats, Path(tmp)))
        if args.case in ("cuba", "all"):
            results.add("cuba", bench_cuba(args.duration, args.repeats, Path(tmp) / "cuba"))
    results.write()


if __name__ == "__main__":
    main()
