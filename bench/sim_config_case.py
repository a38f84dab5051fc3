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

Each timing is the best of ``--repeats`` and covers reading to written spikes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
from harness import Timing, print_table, time_it, verdict

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


def run_neuroloom(config: Path, out: Path) -> tuple[float, int]:
    from neuroloom.sim import run_config

    started = time.perf_counter()
    run = run_config(config, "nest", output_dir=out)
    return time.perf_counter() - started, int((run.result.spikes["population"] == "internal").sum())


def run_bmtk(config: Path, out: Path) -> tuple[float, int]:
    from bmtk.simulator import pointnet

    raw = json.loads(config.read_text())
    raw["output"]["output_dir"] = str(out)
    out.mkdir(parents=True, exist_ok=True)
    file = out / "bmtk_config.json"
    file.write_text(json.dumps(raw))
    cwd = Path.cwd()
    os.chdir(config.parent)  # bmtk resolves the circuit's manifest from the working directory
    try:
        started = time.perf_counter()
        conf = pointnet.Config.from_json(str(file))
        network = pointnet.PointNetwork.from_config(conf)
        sim = pointnet.PointSimulator.from_config(conf, network)
        sim.run()
        seconds = time.perf_counter() - started
    finally:
        os.chdir(cwd)
    with h5py.File(out / "spikes.h5", "r") as fh:
        return seconds, int(fh["spikes/internal/node_ids"].shape[0])


def run_by_hand(folder: Path, out: Path, tstop: float, dt: float) -> tuple[float, int]:
    """The hand-written NEST script: files in, spikes.h5 out."""
    import nest

    started = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.resolution = dt
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
    nest.Simulate(tstop)
    events = recorder.get("events")
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(out / "spikes.h5", "w") as fh:
        grp = fh.create_group("spikes/internal")
        order = np.argsort(events["times"], kind="stable")
        grp.create_dataset("timestamps", data=np.asarray(events["times"])[order])
        grp.create_dataset("node_ids", data=(np.asarray(events["senders"]) - first["internal"])[order])
    return time.perf_counter() - started, len(events["times"])


def bench_config(neurons: int, tstop: float, dt: float, repeats: int, folder: Path) -> dict[str, Any]:
    """Write the circuit, time the three runs (best of ``repeats``), print the table; return the figures."""
    started = time.perf_counter()
    config = write_scaled_circuit(folder / "circuit", neurons, tstop, dt)
    print(
        f"config case: 300_pointneurons types at {neurons:,} neurons (+{neurons // 3:,} virtual), "
        f"written in {time.perf_counter() - started:.1f} s; tstop {tstop:.0f} ms, dt {dt} ms"
    )
    works = {
        "hand NEST": lambda: run_by_hand(folder / "circuit", folder / "hand", tstop, dt),
        "neuroloom run": lambda: run_neuroloom(config, folder / "ours"),
        "bmtk pointnet": lambda: run_bmtk(config, folder / "bmtk"),
    }
    times: dict[str, list[float]] = {name: [] for name in works}
    spikes: dict[str, int] = {}
    for _ in range(repeats):  # interleaved, so drifts of the machine hit every side alike
        for name, work in works.items():
            timing = time_it(work)
            times[name].append(timing.best)
            spikes[name] = timing.result[1]
    timings = {name: Timing(tuple(t)) for name, t in times.items()}
    rows = [{"name": n, "best": t.best, "median": t.median, "spikes": spikes[n]} for n, t in timings.items()]
    print_table(
        f"SONATA config, {neurons:,} neurons, {tstop:.0f} ms: files to written spikes",
        rows,
        reference="hand NEST",
        ratio="best",
    )
    ours, hand, bmtk = (timings[n].best for n in ("neuroloom run", "hand NEST", "bmtk pointnet"))
    overhead = 100 * (ours / hand - 1)
    print(
        f"target neuroloom <= 1.10 x hand-written NEST: {overhead:+.1f} % -> {verdict(ours <= 1.10 * hand)}"
    )
    print(f"target neuroloom not slower than bmtk: {bmtk / ours:.2f}x -> {verdict(ours <= bmtk)}")
    return {
        "neurons": neurons,
        "tstop": tstop,
        "dt": dt,
        "timings": {n: t.as_dict() for n, t in timings.items()},
        "spikes": spikes,
        "overhead_vs_hand_pct": overhead,
        "speedup_vs_bmtk": bmtk / ours,
    }
