"""Trajectories as pypet's own examples write them: what the importer must keep.

Each test edits a copy of a small test file with h5py into the shape one of
pypet's examples leaves behind (example 14's link at the top of the
trajectory, example 2's and 16's trajectory-level results with a comment,
example 22's file written under Python 2).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np

import neuroloom as nl

DATA = Path(__file__).parent / "data"
VERSIONS = "config/environment/{env}/versions"


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / "first_steps.hdf5"
    shutil.copy(DATA / "first_steps.hdf5", path)
    return path


def _environment(traj: h5py.Group) -> str:
    (env,) = list(traj["config/environment"])
    return str(env)


def test_a_link_at_the_top_of_the_trajectory_is_kept(tmp_path: Path) -> None:
    """example_14: ``traj.f_add_link("mylink1", traj.f_get("x"))`` is an HDF5 soft link at the root."""
    path = _copy(tmp_path)
    with h5py.File(path, "a") as h5:
        h5["FirstSteps/mylink1"] = h5py.SoftLink("/FirstSteps/parameters/x")
    study = nl.pypet.import_(path, tmp_path / "s")
    assert study["pypet", "trajectory"]["links"] == {"mylink1": "parameters.x"}


def test_a_trajectory_result_keeps_its_comment(tmp_path: Path) -> None:
    """example_02/16/13: ``traj.f_add_result("summary.z", ..., comment=...)`` outside any run."""
    path = _copy(tmp_path)
    with h5py.File(path, "a") as h5:
        traj = h5["FirstSteps"]
        traj.create_group("results/summary")
        traj.copy(traj["results/runs/run_00000000/z"], "results/summary/z")
        traj["results/summary/z"].attrs["SRVC_INIT_COMMENT"] = np.bytes_(b"all of it")
    study = nl.pypet.import_(path, tmp_path / "s")
    assert study["pypet", "results.summary.z", "z"] == study.run_results(0)["z"]
    assert study.metadata(("pypet", "results.summary.z", "z"))["meta"]["comment"] == "all of it"


def test_a_file_written_under_python_2_imports_with_its_texts(tmp_path: Path) -> None:
    """example_22's saga_0.hdf5: Python 2 ``unicode`` items are text; numpy byte strings are kept.

    Before, the ``unicode`` item came back as bytes and the import died with
    ``TypeError: cannot encode bytes``.
    """
    path = _copy(tmp_path)
    with h5py.File(path, "a") as h5:
        versions = h5["FirstSteps"][VERSIONS.format(env=_environment(h5["FirstSteps"]))]
        versions["Sumatra/data"].attrs["SRVC_COLUMN_data_SCALAR_TYPE"] = np.bytes_(b"unicode")
        versions["numpy/data"].attrs["SRVC_COLUMN_data_SCALAR_TYPE"] = np.bytes_(b"bytes_")
        env = _environment(h5["FirstSteps"])
    study = nl.pypet.import_(path, tmp_path / "s")
    config = study["pypet", "config"]
    from neuroloom.params.values import decode

    prefix = f"config.environment.{env}.versions."
    assert decode(config[prefix + "Sumatra"]["value"]) == "N/A"
    assert decode(config[prefix + "numpy"]["value"]) == np.bytes_(b"1.26.4")


def test_derived_parameters_of_a_run_are_parameters_of_its_view(tmp_path: Path) -> None:
    """example_24: ``traj.f_add_derived_parameter("connections.clusters", ...)`` inside a run; after
    ``traj.v_idx = 0`` pypet reads it as ``traj.clusters``."""
    path = _copy(tmp_path)
    with h5py.File(path, "a") as h5:
        traj = h5["FirstSteps"]
        traj.create_group("derived_parameters/runs/run_00000000/connections")
        traj.copy(traj["parameters/x"], "derived_parameters/runs/run_00000000/connections/clusters")
    study = nl.pypet.import_(path, tmp_path / "s")
    view = study.run_view(0)
    assert view.params.clusters == study.params.x  # the copied parameter's default value
    assert view.results["derived_parameters.connections.clusters"] == view.params.clusters


def test_two_imported_trajectories_merge_as_pypets_f_merge(tmp_path: Path) -> None:
    """example_03 on old files: import both with one seed (``--seed``), then ``nl.merge``."""
    from click.testing import CliRunner

    from neuroloom.cli import main

    a = nl.pypet.import_(DATA / "merged.hdf5", tmp_path / "a", "MergeA", seed=5)
    out = CliRunner().invoke(
        main,
        ["import-pypet", str(DATA / "merged.hdf5"), str(tmp_path / "b"), "--name", "MergeB", "--seed", "5"],
    )
    assert out.exit_code == 0, out.output
    b = nl.Study(tmp_path / "b")
    merged = nl.merge(a, b, into=tmp_path / "m")
    z = {x: v for s in (a, b) for x, v in zip(s.results("z")["x"], s.results("z")["z"])}
    assert len(merged.runs) == len(z) == 3 and merged.seed == 5  # MergeB explores two of its points again
    assert dict(zip(merged.results("z")["x"], merged.results("z")["z"])) == z
