"""``study.run_view(i)``: one run's results as pypet's ``traj.v_idx = i`` shows them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neuroloom as nl


def _neuron(run: nl.Run) -> None:
    run.save("neuron", V=np.full(3, run.params.I), nspikes=int(run.params.I * 10), comment="V and spikes")
    run.save("z", 2 * run.params.I)


def test_a_grouped_result_is_read_by_its_group_name(tmp_path: Path) -> None:
    """pypet's example 13: ``traj.results.neuron.crun.V`` is ``study.run_view(1).results["neuron"]["V"]``;
    before, ``results["neuron"]`` was a KeyError (only ``"neuron.V"`` worked)."""
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("neuron.I", 0.0)
    study.explore(nl.grid(I=[0.5, 1.0]))
    study.run(_neuron, backend="serial", progress=False)
    results = study.run_view(1).results
    assert set(results["neuron"]) == {"V", "nspikes"} and results["neuron"]["nspikes"] == 10
    np.testing.assert_array_equal(results["neuron"]["V"], results["neuron.V"])
    assert results["z"] == 2.0 and sorted(results) == ["neuron.V", "neuron.nspikes", "z"]
    with pytest.raises(KeyError, match=r"run_00000001 has no result 'neuro'; it has neuron\.V"):
        results["neuro"]


def _with_derived(run: nl.Run) -> float:
    run.derive("connections.p_in", run.params.I / 4, comment="computed in the run")
    return float(run.params.clusters)


def test_derived_parameters_are_parameters_of_the_run_view(tmp_path: Path) -> None:
    """pypet: ``traj.v_idx = 1; traj.clusters`` reads a derived parameter of run 1 by natural naming;
    before, ``study.run_view(1).params`` had only the declared parameters."""
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("neuron.I", 0.0)
    study.params.derive("connections.clusters", lambda p: int(p.I * 4))
    study.explore(nl.grid(I=[0.5, 1.0]))
    study.run(_with_derived, backend="serial", progress=False)
    params = nl.Study(tmp_path / "s").run_view(1).params
    assert (params.clusters, params.p_in, params["connections.p_in"], params.I) == (4, 0.25, 0.25, 1.0)
    assert study.results("p_in")["connections.p_in"].tolist() == [0.125, 0.25]  # still results too
    assert sorted(study.run_view(0).results) == ["connections.clusters", "connections.p_in", "return"]
