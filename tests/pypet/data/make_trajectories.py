"""Write the small pypet trajectory files used by ``tests/pypet`` (run inside the pypet venv).

Run from the repository root::

    python bench/pypet_env.py                     # once: creates bench/.venv-pypet
    bench/.venv-pypet/bin/python tests/pypet/data/make_trajectories.py

Each file is written the way pypet's own examples write theirs (an
``Environment`` running a job over an explored parameter space, post-processing
results added afterwards, merging, several trajectories in one file). The
expected values are dumped beside each file as ``<file>.json`` by
``dump_ground_truth.py``, which loads the files back with pypet itself.

The scripts are ours; they follow the workflows of pypet's manual (first steps,
parameters with comments, post-processing, Brian2 networks, merging).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as spsp

from pypet import (
    ArrayParameter,
    Environment,
    PickleResult,
    SparseParameter,
    SparseResult,
    Trajectory,
    cartesian_product,
)

HERE = Path(__file__).resolve().parent
LOG_CONFIG = None  # no log files next to the data


def _env(name: str, filename: Path, comment: str = "", **kwargs: object) -> Environment:
    # pypet's overview tables only duplicate what the tree holds and cost
    # ~150 kB per file: they are off (the reader never needs them).
    kwargs.setdefault("summary_tables", False)
    kwargs.setdefault("small_overview_tables", False)
    kwargs.setdefault("purge_duplicate_comments", False)
    return Environment(
        trajectory=name,
        filename=str(filename),
        comment=comment,
        add_time=False,
        log_config=LOG_CONFIG,
        report_progress=False,
        overwrite_file=kwargs.pop("overwrite_file", True),
        multiproc=False,
        **kwargs,
    )


# --------------------------------------------------------------------- first steps
def multiply(traj: Trajectory) -> None:
    """z = x * y, one result per run (pypet's first example)."""
    traj.f_add_result("z", traj.x * traj.y, comment="The product of x and y")


def make_first_steps() -> None:
    path = HERE / "first_steps.hdf5"
    env = _env("FirstSteps", path, comment="x times y over a small grid")
    traj = env.trajectory
    traj.f_add_parameter("x", 1.0, comment="First factor")
    traj.f_add_parameter("y", 1.0, comment="Second factor")
    traj.f_explore(cartesian_product({"x": [1.0, 2.0, 3.0], "y": [6.0, 7.0]}))
    env.run(multiply)
    env.disable_logging()


# --------------------------------------------------------------------- data types
def many_results(traj: Trajectory) -> float:
    """A job storing every kind of result pypet's default storage writes without pickling."""
    n = traj.neurons.n
    rate = traj.neurons.rate
    rng = np.random.default_rng(traj.v_idx + 1)
    values = rng.normal(rate, 1.0, size=n)
    traj.f_add_result("scalar", float(values.mean()), comment="Mean of the draw")
    traj.f_add_result("draw", values, comment="One value per neuron")
    traj.f_add_result(
        "stats",
        mean=float(values.mean()),
        count=int(n),
        label=f"run {traj.v_idx}",
        ok=bool(values.mean() > 0),
        comment="Several named items in one result",
    )
    traj.f_add_result("pair", (int(n), float(rate)), comment="A tuple")
    traj.f_add_result("names", ["a", "bb", "ccc"], comment="A list of strings")
    traj.f_add_result("info", {"n": int(n), "rate": float(rate), "tag": "t"}, comment="A dict")
    frame = pd.DataFrame({"neuron": np.arange(n, dtype=np.int64), "value": values, "double": 2 * values})
    traj.f_add_result("table", frame, comment="A DataFrame")
    traj.f_add_result("series", pd.Series(values[:3], name="first3"), comment="A Series")
    matrix = np.arange(6, dtype=np.int32).reshape(2, 3) * (traj.v_idx + 1)
    traj.f_add_result("grid", matrix, comment="A 2-D int32 array")
    # grouped result: one node per run below results.neuron (the `$` wildcard)
    traj.f_add_result("neuron.$", V=values[:2], nspikes=int(n) * 3, comment="Grouped per run")
    traj.f_add_derived_parameter("doubled_rate", 2.0 * rate, comment="Derived per run")
    # `$set` buckets runs by thousands: results.runs.run_set_00000.run_0000000X.bucketed
    traj.f_add_result("runs.$set.$.bucketed", int(n) + 100, comment="In a run_set bucket")
    weights = spsp.csr_matrix(np.eye(3, k=1) * (traj.v_idx + 1))
    traj.f_add_result(SparseResult, "connections", weights, comment="A sparse matrix")
    annotated = traj.f_add_result("annotated", float(rate), comment="Has annotations")
    annotated.v_annotations.unit_hint = "Hz"
    annotated.v_annotations.trial = int(traj.v_idx)
    return float(values.mean())


def post_process(traj: Trajectory, result_list: list[tuple[int, float]]) -> None:
    """Collect what each run returned into one summary DataFrame (post-processing style)."""
    sizes = traj.f_get("neurons.n").f_get_range()
    frame = pd.DataFrame(
        {
            "run": [int(i) for i, _ in result_list],
            "n": [int(sizes[i]) for i, _ in result_list],
            "mean": [float(m) for _, m in result_list],
        }
    )
    traj.f_add_result("summary.means", frame=frame, comment="Means of all runs")


def make_data_types() -> None:
    path = HERE / "data_types.hdf5"
    env = _env("DataTypes", path, comment="Every storable parameter and result type")
    traj = env.trajectory
    traj.f_add_parameter_group("neurons", comment="The population")
    traj.f_add_parameter("neurons.n", 5, comment="Number of neurons")
    traj.f_add_parameter("neurons.rate", 2.5, comment="Mean rate in Hz")
    traj.f_add_parameter("neurons.label", "exc", comment="A string parameter")
    traj.f_add_parameter("neurons.active", True, comment="A bool parameter")
    traj.f_add_parameter("numeric.i32", np.int32(7), comment="A numpy int32")
    traj.f_add_parameter("numeric.f32", np.float32(0.25), comment="A numpy float32")
    traj.f_add_parameter("numeric.cplx", 1.0 + 2.0j, comment="A complex number")
    traj.f_add_parameter("numeric.no_comment", 3)
    traj.f_add_parameter(
        ArrayParameter, "arrays.weights", np.array([0.5, 1.5, 2.5]), comment="An array parameter"
    )
    traj.f_add_parameter(ArrayParameter, "arrays.shape", (2, 3), comment="A tuple parameter")
    traj.f_add_parameter(
        ArrayParameter, "arrays.kernel", np.array([1.0, 0.0]), comment="An explored array parameter"
    )
    traj.f_add_config("seed_base", 42, comment="A config item")
    traj.f_add_parameter(
        SparseParameter, "arrays.sparse", spsp.csc_matrix(np.diag([1.0, 2.0])), comment="Sparse"
    )
    traj.parameters.f_add_link("n_alias", traj.f_get("parameters.neurons.n"))
    # zipped exploration: (n, rate, kernel) move together, three runs
    traj.f_explore(
        {
            "neurons.n": [3, 4, 5],
            "neurons.rate": [1.0, 2.0, 3.0],
            "arrays.kernel": [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0])],
        }
    )
    traj.f_add_derived_parameter("global_scale", 0.5, comment="Derived before the runs")
    env.add_postprocessing(post_process)
    env.run(many_results)
    env.disable_logging()


# --------------------------------------------------------------------- pickle
def pickled(traj: Trajectory) -> None:
    traj.f_add_result(PickleResult, "obj", {"nested": [1, {"a": 2}]}, comment="Pickled")
    traj.f_add_result("plain", traj.a * 2)
    # pandas pickles object (string) columns in its 'fixed' format
    labels = pd.DataFrame({"name": ["a", "b"], "value": [1.0 * traj.a, 2.0]})
    traj.f_add_result("labels", labels, comment="A DataFrame with a string column")


def make_pickled() -> None:
    path = HERE / "pickled.hdf5"
    env = _env("Pickled", path, comment="A result pypet pickles")
    traj = env.trajectory
    traj.f_add_parameter("a", 1)
    traj.f_explore({"a": [1, 2]})
    env.run(pickled)
    env.disable_logging()


# --------------------------------------------------------------------- brian2
def run_network(traj: Trajectory) -> None:
    """A tiny LIF population driven by a constant current; all three monitor kinds stored."""
    import brian2 as b2

    b2.prefs.codegen.target = "numpy"
    b2.start_scope()
    b2.defaultclock.dt = traj.sim.dt
    eqs = "dv/dt = (I - v) / tau : volt (unless refractory)\nI : volt\ntau : second"
    group = b2.NeuronGroup(
        traj.net.N,
        eqs,
        threshold="v > v_th",
        reset="v = 0*mV",
        refractory=traj.net.refrac,
        method="exact",
        namespace={"v_th": traj.net.v_th, "I0": traj.net.I0, "N": traj.net.N},
    )
    group.tau = traj.net.tau
    group.I = "I0 * (1 + 0.5 * i / N)"
    spikes = b2.SpikeMonitor(group)
    states = b2.StateMonitor(group, "v", record=[0, 1])
    rate = b2.PopulationRateMonitor(group)
    net = b2.Network(group, spikes, states, rate)
    net.run(traj.sim.duration)
    from pypet.brian2 import Brian2MonitorResult, Brian2Result

    traj.f_add_result(Brian2MonitorResult, "monitors.spikes", spikes, comment="Spike times")
    traj.f_add_result(Brian2MonitorResult, "monitors.v", states, comment="Membrane voltage")
    traj.f_add_result(Brian2MonitorResult, "monitors.rate", rate, comment="Population rate")
    traj.f_add_result(
        Brian2Result,
        "summary",
        mean_v=np.mean(states.v[:]),
        last_t=states.t[-1],
        n=int(spikes.num_spikes),
        comment="Quantities in a result",
    )


def make_brian2() -> None:
    import brian2 as b2
    from pypet.brian2 import Brian2Parameter

    path = HERE / "brian2_net.hdf5"
    env = _env("Brian2Net", path, comment="A Brian2 network with monitors")
    traj = env.trajectory
    traj.f_add_parameter(Brian2Parameter, "net.tau", 10 * b2.ms, comment="Membrane time constant")
    traj.f_add_parameter(Brian2Parameter, "net.v_th", 15 * b2.mV, comment="Threshold")
    traj.f_add_parameter(Brian2Parameter, "net.I0", 20 * b2.mV, comment="Drive")
    traj.f_add_parameter(Brian2Parameter, "net.refrac", 2 * b2.ms, comment="Refractory period")
    traj.f_add_parameter(Brian2Parameter, "net.C", 281 * b2.pF, comment="Capacitance (unused)")
    traj.f_add_parameter(Brian2Parameter, "net.g", 3.0 * b2.nS / b2.mm**2, comment="Compound unit")
    traj.f_add_parameter("net.N", 4, comment="Neurons")
    traj.f_add_parameter(Brian2Parameter, "sim.dt", 0.1 * b2.ms, comment="Time step")
    traj.f_add_parameter(Brian2Parameter, "sim.duration", 30 * b2.ms, comment="Duration")
    traj.f_explore({"net.I0": [20 * b2.mV, 30 * b2.mV], "net.tau": [10 * b2.ms, 5 * b2.ms]})
    env.run(run_network)
    env.disable_logging()


# --------------------------------------------------------------------- two trajectories
def make_two_trajectories() -> None:
    path = HERE / "two_trajectories.hdf5"
    env = _env("First", path, comment="first of two")
    traj = env.trajectory
    traj.f_add_parameter("x", 1.0, comment="x")
    traj.f_add_parameter("y", 2.0, comment="y")
    traj.f_explore({"x": [1.0, 2.0]})
    env.run(multiply)
    env.disable_logging()
    # the second trajectory is explored and stored but never run: its runs are unfinished
    second = Trajectory("Second", filename=str(path), comment="explored, never run", add_time=False)
    second.f_add_parameter("x", 5.0, comment="x again")
    second.f_add_parameter("y", 3, comment="an int this time")
    second.f_explore({"y": [3, 4, 5]})
    second.f_store()


# --------------------------------------------------------------------- merging
def make_merged() -> None:
    path = HERE / "merged.hdf5"
    for name, xs in (("MergeA", [1.0, 2.0]), ("MergeB", [3.0, 2.0])):
        env = _env(name, path, comment=f"to be merged ({name})", overwrite_file=name == "MergeA")
        traj = env.trajectory
        traj.f_add_parameter("x", 1.0, comment="First factor")
        traj.f_add_parameter("y", 4.0, comment="Second factor")
        traj.f_explore({"x": xs})
        env.run(multiply)
        env.disable_logging()
    left = Trajectory(filename=str(path), add_time=False)
    left.f_load(name="MergeA", load_parameters=2, load_results=1, load_derived_parameters=1)
    right = Trajectory(filename=str(path), add_time=False)
    right.f_load(name="MergeB", load_parameters=2, load_results=1, load_derived_parameters=1)
    # x=2.0 appears in both: remove_duplicates drops it, so three runs remain
    left.f_merge(right, remove_duplicates=True, backup=False, move_data=False, delete_other_trajectory=False)


def _brian2_classes() -> list[type]:
    try:
        from pypet.brian2 import Brian2MonitorResult, Brian2Parameter, Brian2Result
    except ImportError:
        return []
    return [Brian2Parameter, Brian2Result, Brian2MonitorResult]


BRIAN2_CLASSES = _brian2_classes()


def strip_environment_config(path: Path) -> None:
    """Delete ``config.environment`` and ``config.hdf5`` of each trajectory in ``path``, then repack.

    The deletion is pypet's own (``f_delete_item``); ptrepack then drops the freed space.

    Every node of an HDF5 file costs ~1.5 kB of metadata; the environment's
    ~80 config nodes would triple the size of these tiny test files. first_steps
    keeps them, so the reader is still tested on a file exactly as written.
    """
    import subprocess

    import tables

    with tables.open_file(str(path), "r") as h5:
        names = [group._v_name for group in h5.root._f_iter_nodes("Group")]
    for name in names:
        traj = Trajectory(filename=str(path), add_time=False, dynamic_imports=BRIAN2_CLASSES)
        traj.f_load(
            name=name, load_parameters=2, load_results=1, load_derived_parameters=1, load_other_data=1
        )
        for branch in ("config.environment", "config.hdf5"):
            if branch in traj:
                traj.f_delete_item(traj.f_get(branch), recursive=True)
    packed = path.with_suffix(".packed")
    packed.unlink(missing_ok=True)
    ptrepack = Path(sys.executable).with_name("ptrepack")
    subprocess.run(
        [str(ptrepack), "--keep-source-filters", "--chunkshape", "keep", f"{path}:/", f"{packed}:/"],
        check=True,
    )
    packed.replace(path)


MAKERS = {
    "first_steps": make_first_steps,
    "data_types": make_data_types,
    "pickled": make_pickled,
    "brian2_net": make_brian2,
    "two_trajectories": make_two_trajectories,
    "merged": make_merged,
}


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    os.chdir(HERE)
    names = argv or list(MAKERS)
    for name in names:
        MAKERS[name]()
        if name != "first_steps":
            strip_environment_config(HERE / f"{name}.hdf5")
        print(f"wrote {name}.hdf5 ({(HERE / f'{name}.hdf5').stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
