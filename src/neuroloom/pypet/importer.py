"""Turn a pypet trajectory (HDF5) into a neuroloom study: ``nl.pypet.import_(file, dest)``.

What goes where:

- ``parameters.*`` -> the study's parameters, without the ``parameters.``
  prefix (``parameters.net.tau`` -> ``net.tau``), with their comments; Brian2
  quantities keep their unit (pypet's unit text without the ``1. *``: ``second``,
  ``volt``), given back to jobs as Brian2 quantities when Brian2 is installed;
- the explored ranges -> one exploration whose points are pypet's runs, in
  pypet's order (run ``i`` of the trajectory is run ``i`` of the study; if
  the trajectory explores the same point twice, an explored parameter
  ``pypet.run`` keeps the runs apart);
- each run's results -> the run's results under the leaf name pypet gave
  (``results.runs.run_00000002.z`` and ``results.z.run_00000002`` -> ``z``);
  a result with several items is a grouped result (``neuron`` -> ``neuron.V``,
  ``neuron.nspikes``); comments are kept; Brian2 monitor results are also
  recorded as spikes (``SpikeMonitor``) and signals (``StateMonitor``,
  ``PopulationRateMonitor``) of the monitored group;
- each run's derived parameters -> derived parameters of the run: results
  ``derived_parameters.<name>``, and parameters of ``study.run_view(i).params``
  (``traj.v_idx = 3; traj.clusters`` is ``study.run_view(3).params.clusters``);
- finished runs -> done, with pypet's start and finish times; unfinished runs
  stay pending (``study.run(job)`` runs them);
- the trajectory's comment -> ``study.comment``; config, trajectory-level
  results and derived parameters, group comments, links and pypet's run
  metadata -> study items under ``pypet/`` (``study["pypet", "config"]`` ...);
  a trajectory-level result's items are ``study["pypet", "results.<name>", item]``,
  its comment in their metadata (``study.metadata(key)["meta"]["comment"]``).

The study is written in a temporary folder next to ``dest`` and renamed to
``dest`` only when the import succeeded: nothing is left at ``dest`` otherwise.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from neuroloom._io.atomic import tmp_name
from neuroloom.datastore.consolidate import after_record
from neuroloom.datastore.study import Study
from neuroloom.errors import CodecError, NeuroloomError, StudyError
from neuroloom.params.explore import points
from neuroloom.params.tree import Namespace, group_names
from neuroloom.params.values import encode
from neuroloom.pypet.model import Parameter, Quantity, Result, Trajectory
from neuroloom.pypet.reader import read_trajectory
from neuroloom.study.lock import StudyLock
from neuroloom.study.run import Run
from neuroloom.study.worker import Outcome

if TYPE_CHECKING:
    from neuroloom.study.study import StudyCore

PREFIX = "parameters."
DUPLICATE_PARAM = "pypet.run"
MONITOR_ITEMS = {
    "SpikeMonitor": ("i", "t"),
    "StateMonitor": ("t", "record"),
    "PopulationRateMonitor": ("rate", "t"),
}


class PypetImportError(StudyError):
    """A trajectory that cannot become a study (the message says which item and why)."""


def unit_text(unit: str) -> str:
    """pypet's unit text without its leading ``1. *`` (``"1. * volt"`` -> ``"volt"``)."""
    text = unit.strip()
    for lead in ("1. * ", "1.0 * ", "1 * "):
        if text.startswith(lead):
            return text[len(lead) :]
    return "" if text in ("1.", "1", "1.0") else text


def plain(value: Any) -> Any:
    """A value read by :mod:`neuroloom.pypet` as neuroloom stores it: a pypet
    :class:`Quantity` becomes a Brian2 quantity when Brian2 is installed."""
    if isinstance(value, Quantity):
        from neuroloom.params.units import BRIAN2, join

        try:
            return join(value.value, unit_text(value.unit), BRIAN2)
        except (NeuroloomError, ImportError):
            return value.value
    if isinstance(value, np.generic):
        return value.item() if value.dtype in (np.int64, np.float64, np.bool_) else value
    return value


def param_name(name: str) -> str:
    """The study's name of a pypet parameter (``parameters.net.tau`` -> ``net.tau``)."""
    return name[len(PREFIX) :] if name.startswith(PREFIX) else name


def _declare(study: Study, traj: Trajectory, duplicates: bool) -> list[str]:
    """Add every parameter to the study; return the study names of the explored ones."""
    for name, parameter in traj.parameters.items():
        value = plain(parameter.value)
        study.params.add(param_name(name), value, comment=parameter.comment)
    explored = [param_name(n) for n in traj.explored]
    if duplicates:
        study.params.add(
            DUPLICATE_PARAM, 0, comment="pypet run index (the trajectory explores a point twice)"
        )
        explored.append(DUPLICATE_PARAM)
    return explored


def _points(study: Study, traj: Trajectory, duplicates: bool) -> list[dict[str, Any]]:
    out = []
    for k in range(len(traj.runs)):
        point = {}
        for name in traj.explored:
            full = param_name(name)
            point[full] = study.params.plain(full, plain(traj.parameters[name].explored_range[k]))  # type: ignore[index]
        if duplicates:
            point[DUPLICATE_PARAM] = k
        out.append(point)
    return out


def _has_duplicates(traj: Trajectory) -> bool:
    from neuroloom.params.values import canonical

    seen = set()
    for k in range(len(traj.runs)):
        key = tuple(canonical(plain(traj.parameters[n].explored_range[k])) for n in traj.explored)  # type: ignore[index]
        if key in seen:
            return True
        seen.add(key)
    return False


def _save_result(run: Run, name: str, result: Result, allow_pickle: bool) -> None:
    """Save one pypet result leaf as a (grouped) result of ``run``."""
    leaf = name.rsplit(".", 1)[-1]
    items = {k: plain(v) for k, v in result.items.items()}
    if result.monitor_type is not None:
        _record_monitor(run, result)
    if list(items) == [leaf] or (len(items) == 1 and result.monitor_type is None):
        (value,) = items.values()
        _save(run, name, value, result.comment, allow_pickle)
        return
    for member, value in items.items():
        _save(run, f"{name}.{member}", value, "", allow_pickle)
    if result.comment:
        run.comment(name, result.comment)


def _save(
    run: Run, name: str, value: Any, comment: str, allow_pickle: bool, *, derived: bool = False
) -> None:
    store = run.derive if derived else run.save
    try:
        store(name, value, comment=comment)
    except CodecError:
        if not allow_pickle:
            raise PypetImportError(
                f"{run.name}: result {name!r} is a {type(value).__module__}.{type(value).__qualname__} "
                "that no neuroloom codec stores; import with allow_pickle=True (--allow-pickle) to pickle it"
            ) from None
        store(name, value, codec="pickle", comment=comment)


def _ms(value: Any) -> np.ndarray:
    if isinstance(value, Quantity):
        factor = {"second": 1000.0, "": 1000.0}.get(unit_text(value.unit))
        if factor is None:
            raise PypetImportError(f"monitor times in {value.unit!r}, expected seconds")
        return np.asarray(value.value, dtype=np.float64) * factor
    return np.asarray(value, dtype=np.float64) * 1000.0


def _population(result: Result) -> str:
    source = str(result.items.get("source", ""))
    marker = "name='"
    if marker in source:
        return source.rsplit(marker, 1)[1].split("'", 1)[0]
    return str(result.items.get("name", "brian2"))


def _record_monitor(run: Run, result: Result) -> None:
    """Brian2 monitor results as the run's recordings (spikes, signals with units)."""
    from neuroloom.study.monitors import signal_unit

    items, pop = result.items, _population(result)
    if result.monitor_type == "SpikeMonitor" and "i" in items and "t" in items:
        run.record_spikes(pop, np.asarray(items["i"], dtype=np.int64), _ms(items["t"]))
    elif result.monitor_type == "StateMonitor" and "t" in items:
        times, ids = _ms(items["t"]), np.atleast_1d(np.asarray(items.get("record", [0]), dtype=np.int64))
        for variable in items.get("record_variables", []):
            if variable not in items or times.size < 2:
                continue
            values, unit = signal_unit(plain(items[variable]), f"{run.name}: {result.name}")
            data = np.asarray(values, dtype=np.float64)
            data = data.T if data.ndim == 2 and data.shape[0] == ids.size else data
            run.record_signal(pop, variable, ids, times, data, unit, dtype=np.float64)
    elif result.monitor_type == "PopulationRateMonitor" and "rate" in items and "t" in items:
        times = _ms(items["t"])
        if times.size >= 2:
            values, unit = signal_unit(plain(items["rate"]), f"{run.name}: {result.name}")
            run.record_signal(pop, "rate", [0], times, values, unit, dtype=np.float64)


def _write_runs(study: Study, traj: Trajectory, explored: list[str], allow_pickle: bool) -> None:
    """Record every finished pypet run as a done run with its results."""
    defaults = study.params.values()
    groups = group_names(defaults)
    specs = {int(row[0]): row for row in study.catalog.pending()}
    table = study.runs
    outcomes: list[Outcome] = []
    with StudyLock(study.path, "importing a pypet trajectory"):
        session = study.catalog.begin_session("pypet-import", socket.gethostname(), os.getpid(), {})
        try:
            for k, prun in enumerate(traj.runs):
                if not prun.finished:
                    continue
                spec = specs[k]
                params = dict(defaults)
                values = table.loc[k]
                params.update({n: values[n] for n in explored})
                run = Run(study.path, study.id, study.seed, k, str(spec[1]), Namespace(params, groups))
                for name, result in prun.results.items():
                    _save_result(run, name, result, allow_pickle)
                for name, derived in prun.derived_parameters.items():
                    value = plain(derived.value)
                    _save(
                        run, f"derived_parameters.{name}", value, derived.comment, allow_pickle, derived=True
                    )
                run.save("pypet.run_time", prun.time)
                run.save("pypet.runtime", prun.runtime)
                start, end = float(prun.timestamp), float(prun.finish_timestamp or prun.timestamp)
                outcomes.append(
                    Outcome(k, True, start, end, socket.gethostname(), os.getpid(), None, run.results())
                )
            study.catalog.record(outcomes, session)
        finally:
            study.catalog.end_session(session)
        after_record(study.catalog, outcomes)


def _json_items(values: Mapping[str, Parameter]) -> dict[str, Any]:
    return {
        name: {"value": encode(plain(p.value)), "comment": p.comment, "class": p.class_name}
        for name, p in values.items()
    }


def _store_extras(study: StudyCore, traj: Trajectory, allow_pickle: bool) -> None:
    """Trajectory-level items under ``pypet/``: config, results, derived parameters, metadata."""
    study["pypet", "trajectory"] = {
        "name": traj.name,
        "comment": traj.comment,
        "time": traj.time,
        "timestamp": traj.timestamp,
        "pypet_version": traj.pypet_version,
        "python_version": traj.python_version,
        "explored": list(traj.explored),
        "group_comments": dict(traj.group_comments),
        "links": dict(traj.links),
        "runs": [
            {"name": r.name, "finished": r.finished, "time": r.time, "runtime": r.runtime} for r in traj.runs
        ],
    }
    study["pypet", "config"] = _json_items(traj.config)
    if traj.derived_parameters:
        study["pypet", "derived_parameters"] = _json_items(traj.derived_parameters)
    for name, result in traj.results.items():
        meta = {"comment": result.comment} if result.comment else None
        for item, value in result.items.items():
            key = ("pypet", name, item)
            try:
                study.set(key, plain(value), meta=meta)
            except CodecError:
                if not allow_pickle:
                    raise PypetImportError(
                        f"trajectory result {name!r} item {item!r} ({type(value).__name__}) has no neuroloom "
                        "codec; import with allow_pickle=True (--allow-pickle) to keep it pickled"
                    ) from None
                study.set(key, plain(value), codec="pickle", meta=meta)


def _build(path: Path, traj: Trajectory, allow_pickle: bool, seed: int | None) -> None:
    study = Study(path, seed=seed)
    try:
        duplicates = _has_duplicates(traj)
        explored = _declare(study, traj, duplicates)
        study.comment = traj.comment
        if traj.runs:
            study.explore(points(_points(study, traj, duplicates)) if explored else [{}])
        study.marker.lock_params()
        _write_runs(study, traj, explored, allow_pickle)
        _store_extras(study, traj, allow_pickle)
    finally:
        study.close()


def import_(
    file: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    name: str | None = None,
    *,
    allow_pickle: bool = False,
    seed: int | None = None,
) -> Study:
    """Import trajectory ``name`` of pypet file ``file`` as a new study at ``dest``.

    Parameters
    ----------
    file
        The pypet HDF5 file.
    dest
        Folder of the new study; must not exist (or be empty).
    name
        The trajectory (needed when the file holds several; the error lists them).
    allow_pickle
        Read items pypet pickled (pickles can run code: only for trusted files).
    seed
        Seed of the new study (random when omitted).

    Returns
    -------
    Study
        The imported study.

    Raises
    ------
    TrajectoryNotFoundError
        If ``name`` is missing or ambiguous.
    PypetImportError
        If ``dest`` is in use or an item cannot be stored; nothing is written at ``dest``.
    """
    target = Path(dest).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise PypetImportError(f"import-pypet: {target} exists and is not empty; choose a new folder")
    traj = read_trajectory(Path(file), name, allow_pickle=allow_pickle)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.with_name(tmp_name("-" + target.name))
    try:
        _build(work, traj, allow_pickle, seed)
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Study(target)
