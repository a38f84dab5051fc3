"""The config case of bench_sim.py: a SONATA simulation config run three ways on NEST.

The circuit is 300_pointneurons (the SONATA spec's reference circuit, in the public corpus)
scaled up: its five internal node types in the same proportions at ``--neurons`` neurons
(default 10,000), its external virtual population at a third of that, each internal neuron
receiving the reference circuit's mean in-degrees (92 internal, 70 external sources drawn at
random) with weights drawn from the reference circuit's weights of the same edge type, the
reference edge types tables (internal delays 2 ms; external edges without delay, so NEST's
default 1 ms) and node types tables, and Poisson input spikes at 14 Hz (the reference input's
rate) in a SONATA spike file. Written once, then, in one process:

- neuroloom: ``neuroloom.sim.run_config(simulation_config.json)`` (the work of ``neuroloom run
  simulation_config.json``: read config, circuit and input file, build, run, write spikes.h5);
- bmtk pointnet on the same config (``PointNetwork.from_config``, ``PointSimulator.from_config``,
  ``run``), which also writes spikes.h5;
- a hand-written NEST script doing the same work by hand: reads the node and edge files with
  h5py, the types tables with pandas, the dynamics_params JSON, the input spikes; creates the
  neurons per node type, one ``spike_generator`` per virtual node, connects each edge file with
  one ``nest.Connect`` of arrays, simulates, writes spikes.h5 with h5py.

The same work on each side: one NEST thread, the config's dt, a fresh ``nest.ResetKernel()``,
the same input spike file, every internal neuron's spikes recorded and written to spikes.h5
(neither side records anything else). Each run is a fresh Python process (this file run as a
script: ``python sim_config_case.py SIDE FOLDER OUT TSTOP DT``) that imports its modules first,
untimed, then times reading to written spikes; it also reports its CPU seconds (less sensitive
to other processes on a shared machine than wall time) and its build / ``Simulate`` split.
Repeats are interleaved, the order of the sides rotating each repeat, so drifts in the
machine's load hit every side alike; the table gives median and best of each.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
from harness import Clock, Timing, print_table, run_json, verdict

os.environ.setdefault("PYNEST_QUIET", "1")

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "sonata-examples"
REFERENCE = CORPUS / "300_pointneurons"
MODELS = CORPUS / "shared_components" / "nest_models" / "cell_models"


def _reference_edges(file: str, population: str) -> tuple[np.ndarray, np.ndarray]:
    with h5py.File(REFERENCE / "network" / file, "r") as fh:
        grp = fh[f"edges/{population}"]
        return grp["edge_type_id"][()].astype(np.int64), grp["0/syn_weight"][()]


def write_scaled_circuit(folder: Path, neurons: int, tstop: float, dt: float, seed: int = 0) -> Path:
    """Write the scaled circuit, its input spikes and simulation_config.json; return the config."""
    from neuroloom.sonata import write_circuit_config, write_edges, write_nodes, write_spikes

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("internal_node_types.csv", "external_node_types.csv"):
        shutil.copy(REFERENCE / "network" / name, folder / name)
    for name in ("internal_internal_edge_types.csv", "external_internal_edge_types.csv"):
        shutil.copy(REFERENCE / "network" / name, folder / name)
    with h5py.File(REFERENCE / "network" / "internal_nodes.h5", "r") as fh:
        ref_types = fh["nodes/internal/node_type_id"][()].astype(np.int64)
    type_ids = np.sort(ref_types[(np.arange(neurons) * ref_types.size) // neurons])
    n_ext = neurons // 3
    write_nodes(folder / "internal_nodes.h5", {"internal": {"node_type_id": type_ids}})
    write_nodes(folder / "external_nodes.h5", {"external": {"node_type_id": np.full(n_ext, 100, np.int64)}})
    ei = pd.read_csv(folder / "internal_node_types.csv", sep=" ").set_index("node_type_id")["ei"]
    inhibitory = ei.reindex(type_ids).to_numpy() == "i"
    for name, pop, source_size, k_in in (
        ("internal_internal", "internal_to_internal", neurons, 92),
        ("external_internal", "external_to_internal", n_ext, 70),
    ):
        ref_type, ref_weight = _reference_edges(f"{name}_edges.h5", pop)
        trg = np.repeat(np.arange(neurons), k_in)
        src = rng.integers(0, source_size, trg.size)
        if name == "internal_internal":  # edge types 100..103: e->e, e->i, i->e, i->i
            etype = 100 + 2 * inhibitory[src].astype(np.int64) + inhibitory[trg].astype(np.int64)
        else:  # 100: -> e, 101: -> i
            etype = 100 + inhibitory[trg].astype(np.int64)
        weight = np.empty(trg.size)
        for t in np.unique(etype):
            rows = etype == t
            weight[rows] = rng.choice(ref_weight[ref_type == t], rows.sum())
        write_edges(
            folder / f"{name}_edges.h5",
            pop,
            src,
            trg,
            source=pop.split("_to_")[0],
            target="internal",
            source_size=source_size,
            target_size=neurons,
            edge_type_id=etype,
            properties={"syn_weight": weight},
        )
        with h5py.File(folder / f"{name}_edges.h5", "r+") as fh:
            # bmtk reads an index only as node_id_to_range (the spec and libsonata: node_id_to_ranges);
            # without one it indexes in memory, which every reader here does
            del fh[f"edges/{pop}/indices"]
    count = rng.poisson(14.0 * tstop / 1000.0, n_ext)
    ids = np.repeat(np.arange(n_ext), count)
    times = rng.uniform(dt, tstop, ids.size)
    write_spikes(folder / "input_spikes.h5", {"external": (ids, times)})
    write_circuit_config(
        folder / "circuit_config.json",
        [
            {"nodes_file": "internal_nodes.h5", "node_types_file": "internal_node_types.csv"},
            {"nodes_file": "external_nodes.h5", "node_types_file": "external_node_types.csv"},
        ],
        [
            {"edges_file": f"{n}_edges.h5", "edge_types_file": f"{n}_edge_types.csv"}
            for n in ("internal_internal", "external_internal")
        ],
        components={
            "point_neuron_models_dir": str(MODELS),
            "synaptic_models_dir": str(CORPUS / "shared_components" / "nest_models" / "synaptic_models"),
        },
    )
    (folder / "node_sets.json").write_text(json.dumps({"external": {"population": "external"}}))
    config = {
        "manifest": {"$BASE_DIR": str(folder)},
        "run": {"tstop": tstop, "dt": dt},
        "target_simulator": "NEST",
        "network": "$BASE_DIR/circuit_config.json",
        "node_sets_file": "$BASE_DIR/node_sets.json",
        "inputs": {
            "external_spikes": {
                "input_type": "spikes",
                "module": "h5",
                "input_file": "$BASE_DIR/input_spikes.h5",
                "node_set": "external",
            }
        },
        "output": {"output_dir": "$BASE_DIR/output", "spikes_file": "spikes.h5", "log_file": "log.txt"},
    }
    path = folder / "simulation_config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def run_neuroloom(config: Path, out: Path) -> dict[str, Any]:
    """``neuroloom run``'s function: config to spikes.h5 (modules imported by the caller)."""
    from neuroloom.sim import run_config

    clock = Clock()
    run = run_config(config, "nest", output_dir=out)
    clock.lap("build", run.result.build_seconds)
    clock.lap("simulate", run.result.run_seconds)
    ids, _ = run.result.spikes_of("internal")
    return clock.done(int(ids.size))


def run_bmtk(config: Path, out: Path) -> dict[str, Any]:
    """bmtk pointnet on the same config, its output folder moved to ``out``."""
    from bmtk.simulator import pointnet

    raw = json.loads(config.read_text())
    raw["output"]["output_dir"] = str(out)
    out.mkdir(parents=True, exist_ok=True)
    file = out / "bmtk_config.json"
    file.write_text(json.dumps(raw))
    os.chdir(config.parent)  # bmtk resolves the circuit's manifest from the working directory
    clock = Clock()
    conf = pointnet.Config.from_json(str(file))
    network = pointnet.PointNetwork.from_config(conf)
    sim = pointnet.PointSimulator.from_config(conf, network)
    clock.lap("build", time.perf_counter() - clock.wall)
    started = time.perf_counter()
    sim.run()  # Simulate and the spikes file
    clock.lap("simulate", time.perf_counter() - started)
    figures = clock.done(0)
    with h5py.File(out / "spikes.h5", "r") as fh:
        figures["spikes"] = int(fh["spikes/internal/node_ids"].shape[0])
    return figures


def run_by_hand(folder: Path, out: Path, tstop: float, dt: float) -> dict[str, Any]:
    """The hand-written NEST script: files in, spikes.h5 out."""
    import nest

    clock = Clock()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": dt, "local_num_threads": 1})
    with h5py.File(folder / "internal_nodes.h5", "r") as fh:
        type_ids = fh["nodes/internal/node_type_id"][()]
    types = pd.read_csv(folder / "internal_node_types.csv", sep=" ").set_index("node_type_id")
    cells = nest.Create("iaf_psc_alpha", type_ids.size)
    for type_id in np.unique(type_ids):  # one parameter set per node type (nodes sorted by type)
        rows = np.flatnonzero(type_ids == type_id)
        params = json.loads((MODELS / types.loc[type_id, "dynamics_params"]).read_text())
        cells[int(rows[0]) : int(rows[-1]) + 1].set(params)
    with h5py.File(folder / "input_spikes.h5", "r") as fh:
        ids, times = fh["spikes/external/node_ids"][()].astype(np.int64), fh["spikes/external/timestamps"][()]
    with h5py.File(folder / "external_nodes.h5", "r") as fh:
        n_ext = fh["nodes/external/node_type_id"].shape[0]
    gens = nest.Create("spike_generator", n_ext, params={"precise_times": True})
    order = np.lexsort((times, ids))
    bounds = np.searchsorted(ids[order], np.arange(n_ext + 1))
    gens.set([{"spike_times": t} for t in np.split(times[order], bounds[1:-1])])
    first = {"internal": cells[0].global_id, "external": gens[0].global_id}
    for name, source in (("internal_internal", "internal"), ("external_internal", "external")):
        edge_types = pd.read_csv(folder / f"{name}_edge_types.csv", sep=" ").set_index("edge_type_id")
        with h5py.File(folder / f"{name}_edges.h5", "r") as fh:
            grp = fh[f"edges/{source}_to_internal"]
            src, trg = grp["source_node_id"][()].astype(np.int64), grp["target_node_id"][()].astype(np.int64)
            weight, etype = grp["0/syn_weight"][()], grp["edge_type_id"][()]
        syn: dict[str, Any] = {"weight": weight}
        if "delay" in edge_types.columns:
            syn["delay"] = edge_types["delay"].reindex(etype).to_numpy(np.float64)
        nest.Connect(src + first[source], trg + first["internal"], "one_to_one", syn)
    recorder = nest.Create("spike_recorder")
    nest.Connect(cells, recorder)
    clock.lap("build", time.perf_counter() - clock.wall)
    started = time.perf_counter()
    nest.Simulate(tstop)
    clock.lap("simulate", time.perf_counter() - started)
    events = recorder.get("events")
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(out / "spikes.h5", "w") as fh:
        grp = fh.create_group("spikes/internal")
        order = np.argsort(events["times"], kind="stable")
        grp.create_dataset("timestamps", data=np.asarray(events["times"])[order])
        grp.create_dataset("node_ids", data=(np.asarray(events["senders"]) - first["internal"])[order])
    return clock.done(len(events["times"]))


SIDES = ("neuroloom run", "hand NEST", "bmtk pointnet")


def _side_main(argv: list[str]) -> None:
    """One run in this fresh process: ``SIDE FOLDER OUT TSTOP DT``; prints its figures as JSON."""
    side, folder, out, tstop, dt = argv[0], Path(argv[1]), Path(argv[2]), float(argv[3]), float(argv[4])
    import nest  # every side's modules are imported before the clock starts

    nest.verbosity = nest.VerbosityLevel.ERROR
    if side == "neuroloom run":
        import neuroloom.sim.config_run
        import neuroloom.sim.nest
        import neuroloom.sonata  # noqa: F401

        figures = run_neuroloom(folder / "simulation_config.json", out)
    elif side == "bmtk pointnet":
        from bmtk.simulator import pointnet  # noqa: F401

        figures = run_bmtk(folder / "simulation_config.json", out)
    else:
        figures = run_by_hand(folder, out, tstop, dt)
    print(json.dumps(figures))


def _one_run(side: str, folder: Path, repeat: int, tstop: float, dt: float) -> dict[str, Any]:
    out = folder / f"out-{side.split()[0]}-{repeat}"
    started = time.perf_counter()
    args = [str(Path(__file__).resolve()), side, str(folder / "circuit"), str(out), str(tstop), str(dt)]
    figures: dict[str, Any] = run_json(args, what=side)
    figures["process"] = time.perf_counter() - started  # with interpreter start and imports
    figures["load"] = os.getloadavg()[0]
    shutil.rmtree(out, ignore_errors=True)
    return figures


def bench_config(neurons: int, tstop: float, dt: float, repeats: int, folder: Path) -> dict[str, Any]:
    """Write the circuit, time the three sides (interleaved fresh processes), print and return the figures."""
    started = time.perf_counter()
    write_scaled_circuit(folder / "circuit", neurons, tstop, dt)
    print(
        f"config case: 300_pointneurons types at {neurons:,} neurons (+{neurons // 3:,} virtual), "
        f"written in {time.perf_counter() - started:.1f} s; tstop {tstop:.0f} ms, dt {dt} ms; "
        f"{repeats} interleaved repeats, one fresh process per run",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in SIDES}
    for repeat in range(repeats):  # the order rotates, so no side always runs first
        for k in range(len(SIDES)):
            side = SIDES[(repeat + k) % len(SIDES)]
            runs[side].append(_one_run(side, folder, repeat, tstop, dt))
    wall = {s: Timing(tuple(r["seconds"] for r in runs[s])) for s in SIDES}
    cpu = {s: Timing(tuple(r["cpu"] for r in runs[s])) for s in SIDES}
    rows = [
        {
            "name": s,
            "median": wall[s].median,
            "best": wall[s].best,
            "cpu median": cpu[s].median,
            "build": float(np.median([r["build"] for r in runs[s]])),
            "simulate": float(np.median([r["simulate"] for r in runs[s]])),
            "spikes": runs[s][-1]["spikes"],
        }
        for s in SIDES
    ]
    print_table(
        f"SONATA config, {neurons:,} neurons, {tstop:.0f} ms: files to spikes.h5 (medians unless best)",
        rows,
        reference="hand NEST",
        ratio="median",
    )
    ours, hand, bmtk = (wall[s].median for s in SIDES)
    cpu_ours, cpu_hand = cpu["neuroloom run"].median, cpu["hand NEST"].median
    overhead, cpu_overhead = 100 * (ours / hand - 1), 100 * (cpu_ours / cpu_hand - 1)
    print(
        f"target neuroloom <= 1.10 x hand-written NEST (medians): wall {overhead:+.1f} %, "
        f"CPU {cpu_overhead:+.1f} % -> {verdict(ours <= 1.10 * hand)}"
    )
    print(f"target neuroloom not slower than bmtk (medians): {bmtk / ours:.2f}x -> {verdict(ours <= bmtk)}")
    return {
        "neurons": neurons,
        "tstop": tstop,
        "dt": dt,
        "timings": {s: wall[s].as_dict() for s in SIDES},
        "cpu": {s: cpu[s].as_dict() for s in SIDES},
        "runs": runs,
        "overhead_vs_hand_pct": overhead,
        "cpu_overhead_vs_hand_pct": cpu_overhead,
        "speedup_vs_bmtk": bmtk / ours,
    }


if __name__ == "__main__":
    _side_main(sys.argv[1:])
