"""Open a pypet HDF5 file, list its trajectories and read one into a :class:`Trajectory`.

Layout read here (one top-level group per trajectory)::

    /<traj>/overview/info             name, time, timestamp, comment, python, version
    /<traj>/overview/runs             idx, name, time, timestamp, finish_timestamp,
                                      runtime, parameter_summary, completed, ...
    /<traj>/overview/explorations     full names of the explored parameters
    /<traj>/overview/hdf5_settings    complib, complevel, ... (one row)
    /<traj>/{parameters,config,derived_parameters,results}/...   group tree whose
        leaves carry SRVC_LEAF, SRVC_INIT_CLASS_NAME and SRVC_INIT_COMMENT
    .../runs/run_XXXXXXXX/...         what one run added (also <group>/run_XXXXXXXX
                                      for pypet's ``$`` wildcard, and run_set_XXXXX
                                      buckets for the ``$set`` wildcard)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py

from neuroloom.errors import StorageError
from neuroloom.pypet.errors import PypetFormatError, TrajectoryNotFoundError
from neuroloom.pypet.leaves import is_leaf, read_parameter, read_result
from neuroloom.pypet.model import Parameter, Result, Run, Trajectory
from neuroloom.pypet.values import attr, read_table, text

RUN_NAME = re.compile(r"^run_\d{8}$")
RUN_SET = re.compile(r"^run_set_\d{5}$")
BRANCHES = ("parameters", "config", "derived_parameters", "results")


def _open(path: str | Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except FileNotFoundError as exc:
        raise StorageError(f"pypet file {path} does not exist") from exc
    except OSError as exc:
        raise PypetFormatError(f"{path} is not a readable HDF5 file: {exc}") from exc


def _trajectory_names(h5: h5py.File) -> list[str]:
    return [
        name
        for name, group in h5.items()
        if isinstance(group, h5py.Group) and isinstance(group.get("overview/info"), h5py.Dataset)
    ]


def list_trajectories(path: str | Path) -> list[str]:
    """Names of the pypet trajectories stored in ``path``.

    Raises
    ------
    StorageError
        The file does not exist.
    PypetFormatError
        The file is not HDF5 or holds no pypet trajectory.
    """
    with _open(path) as h5:
        names = _trajectory_names(h5)
    if not names:
        raise PypetFormatError(
            f"{path} holds no pypet trajectory (no top-level group with an overview/info table)"
        )
    return names


def _pick(names: list[str], name: str | None, path: str | Path) -> str:
    if name is None:
        if len(names) > 1:
            raise TrajectoryNotFoundError(
                f"{path} holds {len(names)} trajectories ({', '.join(names)}); pass name= to choose one"
            )
        return names[0]
    if name not in names:
        raise TrajectoryNotFoundError(f"{path} has no trajectory {name!r}; it holds: {', '.join(names)}")
    return name


def _link_target(link: h5py.SoftLink, root: str) -> str | None:
    parts = [p for p in link.path.split("/") if p]
    return ".".join(parts[1:]) if len(parts) > 1 and parts[0] == root else None


def _leaves(group: h5py.Group, prefix: str, trajectory: Trajectory) -> Iterator[tuple[str, h5py.Group]]:
    """Yield (full dotted name, leaf group) for every leaf below ``group``.

    Comments of the group nodes passed on the way go to ``trajectory.group_comments``,
    pypet links (HDF5 soft links inside the trajectory) to ``trajectory.links``.
    """
    comment = node_comment(group)
    if comment:
        trajectory.group_comments[prefix] = comment
    root = group.name.split("/")[1]
    for key in group:
        link = group.get(key, getlink=True)
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            target = _link_target(link, root) if isinstance(link, h5py.SoftLink) else None
            if target is not None:
                trajectory.links[f"{prefix}.{key}"] = target
            continue  # the target is read where it lives
        child = group[key]
        if not isinstance(child, h5py.Group):
            continue
        name = f"{prefix}.{key}"
        if is_leaf(child):
            yield name, child
        else:
            yield from _leaves(child, name, trajectory)


def _run_key(name: str) -> tuple[str | None, str]:
    """Split a full name into (run name or None, name within the run)."""
    parts = name.split(".")
    run = next((p for p in parts if RUN_NAME.match(p)), None)
    if run is None:
        return None, name
    kept = [p for p in parts[1:] if p != run and p != "runs" and not RUN_SET.match(p)]
    return run, ".".join(kept)


def _runs(overview: h5py.Group, path: str | Path) -> list[Run]:
    table = overview.get("runs")
    if not isinstance(table, h5py.Dataset):
        raise PypetFormatError(f"{path}: {overview.name}/runs is missing; not a pypet trajectory")
    columns = read_table(table, overview.name)
    runs = []
    for row in range(len(columns.get("idx", []))):

        def cell(key: str, default: Any, row: int = row) -> Any:
            return columns[key][row] if key in columns else default

        runs.append(
            Run(
                index=int(cell("idx", row)),
                name=text(cell("name", "")),
                finished=bool(int(cell("completed", 0))),
                time=text(cell("time", "")),
                timestamp=float(cell("timestamp", 0.0)),
                finish_timestamp=float(cell("finish_timestamp", 0.0)),
                runtime=text(cell("runtime", "")),
                parameter_summary=text(cell("parameter_summary", "")),
                environment_hexsha=text(cell("short_environment_hexsha", "")),
            )
        )
    runs.sort(key=lambda r: r.index)
    return runs


def _settings(overview: h5py.Group) -> dict[str, Any]:
    table = overview.get("hdf5_settings")
    if not isinstance(table, h5py.Dataset):
        return {}
    row = table[0]
    settings: dict[str, Any] = {}
    for key in row.dtype.names or ():
        value = row[key]
        if isinstance(value, bytes):
            settings[key] = text(value)
        elif row.dtype[key].kind == "u" and row.dtype[key].itemsize == 1:
            settings[key] = bool(value)
        else:
            settings[key] = value.item()
    return settings


def _explored(overview: h5py.Group, parameters: dict[str, Parameter]) -> list[str]:
    table = overview.get("explorations")
    if isinstance(table, h5py.Dataset):
        return [text(v) for v in table["explorations"]]
    return [name for name, p in parameters.items() if p.explored]


def _assign(
    trajectory: Trajectory,
    leaf: Parameter | Result,
    branch: str,
    by_name: dict[str, Run],
    path: str | Path,
) -> None:
    run_name, key = _run_key(leaf.name)
    if run_name is not None and run_name in by_name:
        run = by_name[run_name]
        if isinstance(leaf, Result):
            run.results[key] = leaf
        else:
            run.derived_parameters[key] = leaf
        return
    if run_name is not None:
        raise PypetFormatError(
            f"{path}: {leaf.name} belongs to {run_name}, which overview/runs does not list"
        )
    if isinstance(leaf, Result):
        trajectory.results[leaf.name] = leaf
    else:
        {"parameters": trajectory.parameters, "config": trajectory.config}.get(
            branch, trajectory.derived_parameters
        )[leaf.name] = leaf


def _info(overview: h5py.Group, path: str | Path) -> dict[str, Any]:
    table = overview["info"]
    columns = read_table(table, overview.name)
    if not columns or not columns.get("name"):
        raise PypetFormatError(f"{path}: {table.name} is empty")
    return {key: values[0] for key, values in columns.items()}


def read_trajectory(path: str | Path, name: str | None = None, *, allow_pickle: bool = False) -> Trajectory:
    """Read one pypet trajectory from ``path`` with h5py (pypet is not needed).

    Parameters
    ----------
    path
        The pypet HDF5 file.
    name
        Trajectory to read; may be omitted when the file holds exactly one.
    allow_pickle
        Unpickle ``PickleParameter``/``PickleResult`` data. Off by default:
        such an item raises :class:`~neuroloom.errors.PickleRefusedError`
        naming it.

    Returns
    -------
    Trajectory
        Parameters, config, derived parameters and results with values, units
        and comments; explored ranges; one :class:`Run` per run with its
        metadata and the leaves it stored.

    Raises
    ------
    TrajectoryNotFoundError
        ``name`` is not in the file (the message lists the names), or it was
        omitted and the file holds several trajectories.
    PypetFormatError
        The file, or an item in it, is not laid out as pypet writes it, or uses
        a storage this reader does not support (the message names the item).
    PickleRefusedError
        An item is pickled and ``allow_pickle`` is false.
    """
    with _open(path) as h5:
        names = _trajectory_names(h5)
        if not names:
            raise PypetFormatError(f"{path} holds no pypet trajectory")
        chosen = _pick(names, name, path)
        root = h5[chosen]
        overview = root["overview"]
        info = _info(overview, path)
        trajectory = Trajectory(
            name=text(info.get("name", chosen)),
            comment=text(info.get("comment", "")),
            time=text(info.get("time", "")),
            timestamp=float(info.get("timestamp", 0.0)),
            pypet_version=text(info.get("version", "")),
            python_version=text(info.get("python", "")),
            parameters={},
            config={},
            derived_parameters={},
            results={},
            runs=_runs(overview, path),
            explored=[],
            hdf5_settings=_settings(overview),
        )
        by_name = {run.name: run for run in trajectory.runs}
        for branch in BRANCHES:
            group = root.get(branch)
            if not isinstance(group, h5py.Group):
                continue
            for full_name, leaf_group in _leaves(group, branch, trajectory):
                read = read_result if branch == "results" else read_parameter
                leaf = read(leaf_group, full_name, str(path), allow_pickle=allow_pickle)
                _assign(trajectory, leaf, branch, by_name, path)
        _root_links(root, trajectory)
        trajectory.explored = _explored(overview, trajectory.parameters)
    return trajectory


def _root_links(root: h5py.Group, trajectory: Trajectory) -> None:
    """Links made at the top of the trajectory (``traj.f_add_link("mylink", traj.f_get("x"))``)."""
    top = root.name.split("/")[1]
    for key in root:
        link = root.get(key, getlink=True)
        if isinstance(link, h5py.SoftLink):
            target = _link_target(link, top)
            if target is not None:
                trajectory.links[key] = target


def node_comment(group: h5py.Group) -> str:
    """The comment pypet stored on a group node (``""`` when none)."""
    return str(attr(group, "SRVC_INIT_COMMENT") or "")
