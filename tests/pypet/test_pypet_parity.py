"""The workflows pypet's manual documents, done with neuroloom's own API.

Each test is one chapter of the manual: parameters with units and comments,
cartesian and zipped exploration, expanding, grouped per-run results, loading
results of all runs (``f_get_from_runs``), finding runs (``f_find_idx``),
merging, resuming after the process was killed, and a Brian2 network with its
monitors stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, ms, mV

import neuroloom as nl


def multiply(run: nl.Run) -> float:
    """pypet's first example: z = x * y."""
    z = run.params.x * run.params.y
    run.save("z", z, comment="the product of x and y")
    return z


def _first_steps(path: Path) -> nl.Study:
    study = nl.Study(path, seed=42)
    study.params.add("x", 1.0, comment="first factor")
    study.params.add("y", 1.0, comment="second factor")
    return study


def test_parameters_with_units_and_comments(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("neuron.tau_m", 20 * ms, comment="membrane time constant")
    study.params.add("neuron.v_th", -50 * mV, comment="threshold")
    study.params.add("input.rate", 5 * Hz)
    study.params.add("input.n", 100, comment="number of inputs")
    assert study.params.neuron.tau_m == 20 * ms  # pypet: traj.parameters.neuron.tau_m
    assert study.params["tau_m"] == 20 * ms  # natural naming: traj.tau_m
    assert study.params.info("v_th").comment == "threshold"
    reopened = nl.Study(tmp_path / "s")
    assert reopened.params.info("neuron.v_th").unit == "mV" and reopened.params.v_th == -50 * mV


def test_cartesian_and_zipped_exploration_and_expand(tmp_path: Path) -> None:
    study = _first_steps(tmp_path / "s")
    assert study.explore(nl.grid(x=[1.0, 2.0, 3.0], y=[6.0, 7.0])) == 6  # cartesian_product
    runs = study.runs
    assert list(zip(runs["x"], runs["y"])) == [(1, 6), (1, 7), (2, 6), (2, 7), (3, 6), (3, 7)]
    assert study.explore(nl.zip_(x=[10.0, 11.0], y=[1.0, 2.0])) == 2  # f_explore with linked ranges
    assert study.explore(nl.grid(x=[1.0, 4.0], y=[6.0])) == 1  # f_expand: (1, 6) exists already
    study.run(multiply, backend="serial", progress=False)
    assert study.results("z")["z"].tolist() == [6.0, 7.0, 12.0, 14.0, 18.0, 21.0, 10.0, 22.0, 24.0]
    assert [e["kind"] for e in study.explorations] == ["grid", "zip", "grid"]


def test_grouped_results_per_run_and_loading_them_from_all_runs(tmp_path: Path) -> None:
    study = _first_steps(tmp_path / "s")
    study.explore(nl.grid(x=[1.0, 2.0], y=[3.0, 4.0]))

    def job(run: nl.Run) -> None:  # pypet: traj.f_add_result("neuron.$", V=..., nspikes=...)
        v = np.full(3, run.params.x)
        run.save("neuron", V=v, nspikes=int(run.params.y), comment="per-run neuron data")

    study.run(job, backend="serial", progress=False)
    table = study.results("neuron", load=True)  # pypet: traj.f_get_from_runs("neuron", fast_access=True)
    assert table["nspikes"].tolist() == [3, 4, 3, 4]
    assert [v.tolist() for v in table["V"]] == [[1.0] * 3, [1.0] * 3, [2.0] * 3, [2.0] * 3]
    assert study.result_comments()["neuron"] == "per-run neuron data"
    assert study.run_view(3).results["neuron.V"].tolist() == [2.0] * 3  # traj.v_idx = 3


def test_find_idx(tmp_path: Path) -> None:
    study = _first_steps(tmp_path / "s")
    study.explore(nl.grid(x=[1.0, 2.0, 3.0, 4.0], y=[6.0, 7.0, 8.0]))
    # pypet: traj.f_find_idx(["x", "y"], lambda x, y: x == 2 or y == 8)
    found = study.find(lambda x, y: x == 2 or y == 8)
    assert found == [2, 3, 4, 5, 8, 11]
    assert study.find(lambda a, b: a > 3, names=["x", "y"]) == [9, 10, 11]


def test_merging_two_studies(tmp_path: Path) -> None:
    a, b = _first_steps(tmp_path / "a"), _first_steps(tmp_path / "b")
    a.explore(nl.grid(x=[1.0, 2.0], y=[4.0]))
    b.explore(nl.grid(x=[2.0, 3.0], y=[4.0]))  # (2, 4) is in both
    a.run(multiply, backend="serial", progress=False)
    b.run(multiply, backend="serial", progress=False)
    merged = nl.merge(a, b, into=tmp_path / "merged")  # pypet: traj.f_merge(other)
    assert merged.results("z")["z"].tolist() == [4.0, 8.0, 12.0]
    assert merged.runs["x"].tolist() == [1.0, 2.0, 3.0]


SCRIPT = """
import sys, time
from pathlib import Path
import neuroloom as nl

def job(run):
    print("running", run.name)
    while run.index >= 3 and Path(sys.argv[2]).exists():
        time.sleep(0.05)  # the first session is killed while it waits here
    return run.params.x * 2

study = nl.Study(sys.argv[1], seed=7)
study.params.add("x", 0, comment="the explored value")
study.explore({"x": list(range(6))})
study.run(job, backend="processes", workers=1, progress=False, chunk_size=1)
"""


def test_resume_after_a_kill_with_the_plain_script(tmp_path: Path) -> None:
    script, path, block = tmp_path / "sweep.py", tmp_path / "study", tmp_path / "block"
    script.write_text(textwrap.dedent(SCRIPT))
    block.touch()
    command = [sys.executable, str(script), str(path), str(block)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    first = subprocess.Popen(command, env=env)
    try:
        for _ in range(600):  # wait until three runs are recorded, then kill -9
            if (path / "catalog.sqlite").exists() and nl.Study(path).catalog.count("done") >= 3:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the first session did not record three runs")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert nl.Study(path).catalog.count("done") == 3
    block.unlink()
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr  # the same script: declarations are no-ops
    study = nl.Study(path)
    assert study.catalog.count("done") == 6
    assert study.results()["return"].tolist() == [0, 2, 4, 6, 8, 10]
    assert "running run_00000004" in study.run_log(4)


def lif_job(run: nl.Run) -> int:
    """A small Brian2 network; monitors stored as recordings, a summary as a grouped result."""
    from brian2 import Network, NeuronGroup, PopulationRateMonitor, SpikeMonitor, StateMonitor, prefs

    prefs.codegen.target = "numpy"
    group = NeuronGroup(
        10,
        "dv/dt = (I - v) / tau : volt (unless refractory)",
        threshold="v > v_th",
        reset="v = 0*mV",
        refractory=run.params.refractory,
        method="exact",
        name="exc",
        namespace={"I": run.params.I, "tau": run.params.tau, "v_th": run.params.v_th},
    )
    group.v = "rand() * v_th"
    spikes, state, rate = (
        SpikeMonitor(group),
        StateMonitor(group, "v", record=[0, 1]),
        PopulationRateMonitor(group),
    )
    Network(group, spikes, state, rate).run(50 * ms)
    run.record(spikes, state, rate)
    run.save("summary", nspikes=int(spikes.num_spikes), mean_v=np.mean(state.v[:]))
    return int(spikes.num_spikes)


def test_brian2_network_with_monitors_stored(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "lif", seed=3)
    study.params.add("net.I", 20 * mV, comment="drive")
    study.params.add("net.tau", 10 * ms, comment="membrane time constant")
    study.params.add("net.v_th", 15 * mV)
    study.params.add("net.refractory", 2 * ms)
    study.explore(nl.grid(I=[10 * mV, 20 * mV, 30 * mV]))
    study.run(lif_job, backend="serial", progress=False)
    counts = study.results()["return"].tolist()
    assert counts[0] == 0 and 0 < counts[1] < counts[2]  # below threshold: silent
    spikes = study.view.spikes()
    assert spikes.groupby("run").size().reindex([0, 1, 2], fill_value=0).tolist() == counts
    summary = study.results("summary")
    assert summary["nspikes"].tolist() == counts
    assert all(str(v).endswith("V") for v in summary["mean_v"])  # a quantity, not a bare float
    assert study.run_view(2).signals("exc", "v").attrs["unit"] == "mV"
