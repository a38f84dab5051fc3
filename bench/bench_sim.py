"""Simulator adapter overhead: neuroloom vs hand-written Brian2 and NEST, same network, same process.

The network is the 4,000-neuron current-based LIF benchmark (Vogels & Abbott 2005, Brian2's
CUBA example): 3,200 excitatory / 800 inhibitory neurons, connection probability 0.02, 1 s of
biological time, dt = 0.1 ms, self-sustained (E_L above threshold, no external input).

It is written once as a SONATA circuit (neuroloom.testing.circuits.write_ei_circuit). Then:

- neuroloom: ``neuroloom.sim.brian2.simulate(circuit, None, 1000)`` (reads the SONATA files,
  builds, runs, collects spikes) with the target the adapter picks (cython if available);
- hand-written Brian2 with the same target: the CUBA script as Brian2's example writes it
  (``dv/dt = (ge + gi - (v - El)) / taum``, method "exact"), connected from the same arrays
  (``Synapses.connect(i=..., j=...)``), timed from the first Brian2 object to the spikes;
- the same pair for NEST (``iaf_psc_exp``, ``nest.Connect`` of arrays), the hand-written
  script timed from ``nest.ResetKernel()`` to reading the recorder's events (the adapter
  resets the kernel and returns the spikes, so both sides do that work).

Warm-up runs (not timed) fill the Cython cache first, so compile time is not counted for
either side. Each timing is the best of ``--repeats``.

``--case config`` (in ``sim_config_case.py``): a SONATA simulation config (300_pointneurons'
types scaled to ``--neurons``) run by ``neuroloom run``'s function, bmtk pointnet and a
hand-written NEST script, all from files to written spikes.

Figures go to ``bench/out/bench_sim.json``. Usage::

    .venv/bin/python bench/bench_sim.py [--case cuba|config|all] [--repeats 2] [--duration 1000] [--quick]
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import Results, Timing, parser, print_table, time_it, verdict

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


def load_arrays(config: Path) -> dict[str, Any]:
    """Connectivity and initial voltages as the hand-written scripts get them (not timed)."""
    from neuroloom.sim.point import load_point_network

    net = load_point_network(config)
    return {
        "v0": {p.name: p.params["V_m"] for p in net.neurons},
        "edges": {(p.source, p.target): (p.source_ids, p.target_ids) for p in net.projections},
    }


def hand_brian2(arrays: dict[str, Any], duration: float, target: str) -> tuple[float, float, int]:
    import brian2 as b2

    b2.prefs.codegen.target = target
    started = time.perf_counter()
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
    count = sum(int(m.num_spikes) for m in monitors)
    end = time.perf_counter()
    return end - started, end - run_start, count


def hand_nest(arrays: dict[str, Any], duration: float) -> tuple[float, float, int]:
    import nest

    from neuroloom.testing.circuits import CUBA as PARAMS

    nest.verbosity = nest.VerbosityLevel.ERROR
    started = time.perf_counter()
    nest.ResetKernel()  # a script starts from a fresh kernel, as the adapter does for every run
    nest.resolution = DT
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
    events = recorder.get("events")  # the spikes themselves, as the adapter returns them
    count = len(events["times"])
    end = time.perf_counter()
    return end - started, end - run_start, count


def ours(kind: str, config: Path, duration: float, target: str) -> Any:
    """The adapter's run of the circuit: files to spikes (a SimulationResult)."""
    if kind == "brian2":
        from neuroloom.sim import brian2 as adapter

        return adapter.simulate(config, None, duration, dt=DT, seed=1, target=target)
    from neuroloom.sim import nest as nest_adapter

    return nest_adapter.simulate(config, None, duration, dt=DT, seed=1)


def bench_cuba(duration: float, repeats: int, folder: Path) -> dict[str, Any]:
    """The CUBA network on each adapter and its hand-written script; print and return the figures."""
    from neuroloom.sim.brian2 import configure
    from neuroloom.testing.circuits import write_ei_circuit

    target = configure("auto")
    t0 = time.perf_counter()
    config = write_ei_circuit(folder, n_exc=N_EXC, n_inh=N_INH, p=P, delay=DT, seed=0)
    print(f"circuit: {N_EXC}+{N_INH} LIF, p={P}, written as SONATA in {time.perf_counter() - t0:.2f} s")
    arrays = load_arrays(config)
    n_edges = sum(i.size for i, _ in arrays["edges"].values())
    print(f"edges: {n_edges:,}; duration {duration:.0f} ms, dt {DT} ms; Brian2 target: {target}")
    print("warm-up (fills the Cython cache; not timed) ...", flush=True)
    ours("brian2", config, 10.0, target)
    hand_brian2(arrays, 10.0, target)

    figures: dict[str, Any] = {"target": target, "edges": n_edges}
    for sim in ("brian2", "nest"):
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(repeats):  # interleaved, so drifts of the machine hit both sides alike
            ran = time_it(lambda sim=sim: ours(sim, config, duration, target))
            mine.append(ran.best)
            by_hand = time_it(
                lambda sim=sim: (
                    hand_brian2(arrays, duration, target) if sim == "brian2" else hand_nest(arrays, duration)
                )
            )
            theirs.append(by_hand.best)
        result, (_, hand_run, hand_spikes) = ran.result, by_hand.result
        label = f"{sim} ({target})" if sim == "brian2" else "nest"
        rows = [
            {
                "name": f"neuroloom {label}",
                "best": min(mine),
                "run": result.run_seconds,
                "spikes": len(result.spikes),
            },
            {"name": f"hand {label}", "best": min(theirs), "run": hand_run, "spikes": hand_spikes},
        ]
        print_table(
            f"CUBA {N_EXC + N_INH:,} LIF, {duration:.0f} ms on {label}",
            rows,
            reference=f"hand {label}",
            ratio="best",
        )
        overhead = 100 * (min(mine) / min(theirs) - 1)
        rates = ", ".join(f"{k} {v:.2f} Hz" for k, v in result.rates().items())
        print(f"rates: {rates}; target overhead < 10 %: {overhead:+.1f} % -> {verdict(overhead < 10)}")
        figures[sim] = {
            "neuroloom": Timing(tuple(mine)).as_dict(),
            "hand": Timing(tuple(theirs)).as_dict(),
            "spikes": {"neuroloom": len(result.spikes), "hand": hand_spikes},
            "overhead_pct": overhead,
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
    args = args_parser.parse_args()
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
