"""Reference runs for the simulator tests: the public corpus and bmtk pointnet on NEST.

bmtk runs in a child process (its own NEST kernel), on a copy of the config
whose paths are absolute and whose outputs go to a temporary folder, so the
shared corpus is never written to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np

from neuroloom.sim.sonata_config import read_simulation_config

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
EXAMPLES = CORPUS / "sonata-examples"
INTFIRE = EXAMPLES / "sim_tests" / "intfire"

_BMTK_RUN = """
import sys
from bmtk.simulator import pointnet
config = pointnet.Config.from_json(sys.argv[1])
network = pointnet.PointNetwork.from_config(config)
simulator = pointnet.PointSimulator.from_config(config, network)
simulator.run()
"""


def corpus_file(*parts: str) -> Path:
    """A corpus file; a missing corpus fails the test (it is required reference data)."""
    path = EXAMPLES.joinpath(*parts)
    assert path.exists(), f"{path} is missing: the tests need ../shared/corpus (see its README)"
    return path


def bmtk_pointnet(config: Path, out: Path) -> dict[str, np.ndarray]:
    """Run ``config`` with bmtk pointnet; per population, the spike count of each node."""
    sim = read_simulation_config(config)
    raw = dict(sim.raw)
    raw["network"] = str(sim.circuit_path)
    raw.pop("networks", None)
    raw["output"] = {**raw.get("output", {}), "output_dir": str(out), "log_file": "log.txt"}
    raw.pop("reports", None)
    out.mkdir(parents=True, exist_ok=True)
    file = out / "bmtk_config.json"
    file.write_text(json.dumps(raw))
    # bmtk resolves the circuit's relative manifest from the working directory
    subprocess.run(
        [sys.executable, "-c", _BMTK_RUN, str(file)],
        cwd=sim.circuit_path.parent,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return spike_counts(out / "spikes.h5")


def spike_counts(path: Path, sizes: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """Per population of a SONATA spike file, the spike count of each node (by node id)."""
    out = {}
    with h5py.File(path, "r") as fh:
        for name, grp in fh["spikes"].items():
            ids = grp["node_ids"][()].astype(np.int64)
            size = (sizes or {}).get(name, int(ids.max()) + 1 if ids.size else 0)
            out[name] = np.bincount(ids, minlength=size)
    return out


def nest_by_hand(
    neurons: dict[str, tuple[str, list[dict[str, float]]]],
    edges: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    spikes: dict[str, tuple[np.ndarray, np.ndarray]],
    clamps: list[tuple[str, np.ndarray, float, float, float]],
    tstop: float,
    dt: float,
    record_v: str | None = None,
) -> dict[str, np.ndarray]:
    """A plain NEST script as a bmtk user would write it: per population, spike counts per node.

    ``neurons``: population -> (model, per-node parameter dicts); ``edges``:
    (source, target, source ids, target ids, weights, delays); ``spikes``:
    virtual population -> (ids, times) played by ``spike_generator`` with
    ``precise_times`` (bmtk's setting); ``clamps``: (population, ids, pA,
    start, stop) as ``step_current_generator`` connected with delay ``dt``.
    With ``record_v``, ``out["V_m"]`` holds that population's membrane
    potential, ``(times, nodes)``, sampled every ``dt``.
    """
    import nest

    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = dt
    nodes = {}
    for pop, (model, params) in neurons.items():
        nodes[pop] = nest.Create(model, len(params))
        for node, values in zip(nodes[pop], params):
            node.set(values)
    for pop, (ids, times) in spikes.items():
        size = int(ids.max()) + 1 if ids.size else 0
        nodes[pop] = nest.Create("spike_generator", size, params={"precise_times": True})
        for k in range(size):
            nodes[pop][k].set(spike_times=np.sort(times[ids == k]))
    for source, target, src, trg, weights, delays in edges:
        for s, t, w, d in zip(src, trg, weights, delays):
            nest.Connect(
                nodes[source][int(s)], nodes[target][int(t)], syn_spec={"weight": float(w), "delay": float(d)}
            )
    for pop, ids, amp, start, stop in clamps:
        gen = nest.Create(
            "step_current_generator",
            params={"amplitude_times": [start, stop], "amplitude_values": [amp, 0.0]},
        )
        nest.Connect(gen, nodes[pop][[int(i) for i in ids]], syn_spec={"delay": dt})
    recorders = {}
    for pop in neurons:
        recorders[pop] = nest.Create("spike_recorder")
        nest.Connect(nodes[pop], recorders[pop])
    meter = None
    if record_v is not None:
        meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
        nest.Connect(meter, nodes[record_v])
    nest.Simulate(tstop)
    out = {}
    if meter is not None:
        events = meter.get("events")
        senders = np.asarray(events["senders"]) - nodes[record_v][0].global_id
        order = np.lexsort((senders, events["times"]))
        out["V_m"] = np.asarray(events["V_m"])[order].reshape(-1, len(nodes[record_v]))
    for pop, rec in recorders.items():
        senders = np.asarray(rec.get("events")["senders"], np.int64) - nodes[pop][0].global_id
        out[pop] = np.bincount(senders, minlength=len(nodes[pop]))
    return out


def read_json(path: Path) -> dict[str, float]:
    """A dynamics_params file."""
    return dict(json.loads(path.read_text()))
