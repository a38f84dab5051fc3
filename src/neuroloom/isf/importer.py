"""Import what an in_silico_framework user has into a new neuroloom study.

:func:`import_` (``neuroloom import-isf SOURCE DEST``) takes an ISF database
or a folder holding simrun output folders (found recursively) and builds a
study at ``DEST``. The study is built in a temporary folder next to ``DEST``
and renamed into place only when the whole import succeeded, so a failed
import leaves nothing at ``DEST``.

From a database
    every key is stored under ``("isf", *key)`` in the study's item store with
    a safe codec (never pickle), its ISF metadata kept in the item's metadata
    (``study.metadata(("isf", *key))["isf"]``); a wide ``spike_times`` table
    becomes one run per trial with the text parameter ``sim_trial_index`` and,
    where the ids parse as ``<condition>/<simrun>/<trial>``, ``condition``,
    ``simrun``, ``trial`` and ``stim`` (the condition's text before the first
    ``_``, as the ISF manual derives it).
From simrun folders
    one run per trial (``sim_trial_index``, ``condition``, ``simrun``,
    ``trial``); soma Vm as signal ``v`` of population ``cell`` (node 0), each
    dendritic recording site as signal ``v_dend_<site ID>`` (the sites' section,
    segment, x and soma distance in the item ``("isf", "recording_sites")``);
    spikes detected as ISF's ``spike_detection`` does (upward crossing of
    ``threshold`` mV); synapse and presynaptic cell activations as the per-run
    tables ``synapse_activation`` and ``cell_activation``; each distinct
    ``.param`` file stored once under ``("isf", "param_files", <sha256[:16]>)``,
    each run naming its own in the parameters ``network_model_param`` and
    ``neuron_model_param``.

The runs of each import step are stored in a run batch
(:mod:`neuroloom.study.batches`): a few files for any number of trials.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neuroloom._io.atomic import remove_path, tmp_name
from neuroloom.datastore.importers import add_batch_runs
from neuroloom.datastore.study import Study
from neuroloom.errors import CodecError, NeuroloomError, PickleRefusedError, StudyError
from neuroloom.isf import simrun
from neuroloom.isf.database import ISFDatabase
from neuroloom.isf.database import open as open_database
from neuroloom.store.codecs import choose_codec
from neuroloom.study.batches import RunBatch

ISF_PREFIX = "isf"
SPIKE_TABLE_KEY = "spike_times"
SOMA_VARIABLE = "v"
POPULATION = "cell"
PARAM_KEYS = {"network_model": "network_model_param", "neuron_model": "neuron_model_param"}


class ISFImportError(NeuroloomError):
    """An ISF import failed (the message names the file, key or trial)."""


def import_(
    source: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    allow_pickle: bool = False,
    *,
    threshold: float = 0.0,
) -> Study:
    """Import an ISF database or a folder of simrun folders into a new study at ``dest``.

    Parameters
    ----------
    source
        An ISF database (``ISFDataBase`` or ``ModelDataBase``) or a folder holding
        simrun output folders at any depth.
    dest
        Where the new study goes; must not exist (or be an empty folder).
    allow_pickle
        Load keys ISF stored with a pickle dumper (only for databases you trust).
        The study never stores pickle.
    threshold
        Spike detection threshold in mV for simrun soma traces (ISF's default 0).

    Returns
    -------
    Study
        The new study, opened at ``dest``.

    Raises
    ------
    NeuroloomError
        Naming the file and the key or trial that could not be imported;
        nothing is left at ``dest``.
    """
    src = Path(source)
    target = Path(dest).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StudyError(f"import-isf: {target} exists and is not empty; give a new folder as DEST")
    if not src.exists():
        raise ISFImportError(f"import-isf: {src} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(tmp_name("-" + target.name))
    try:
        study = Study(tmp)
        if _is_database(src):
            import_database(study, open_database(src, allow_pickle=allow_pickle))
        else:
            folders = simrun.find_simrun_folders(src)
            if not folders:
                raise ISFImportError(
                    f"import-isf: {src} is neither an ISF database (no db_state.json, dbcore.pickle or "
                    "sqlitedict.db) nor a folder holding simrun output (*_vm_all_traces.csv + "
                    "simulation_runNNNN_synapses.csv)"
                )
            for folder in folders:
                import_simrun(study, folder, threshold=threshold, tables=False)
            study.consolidate(progress=False)
        _compact(study)
        if target.exists():
            target.rmdir()
        os.rename(tmp, target)
    except BaseException:
        remove_path(tmp)
        raise
    return Study(target)


def _is_database(path: Path) -> bool:
    try:
        ISFDatabase(path)
    except NeuroloomError:
        return False
    return True


def _compact(study: Study) -> None:
    """Fold the catalog's write-ahead log into it and drop free pages before the rename."""
    study.catalog.compact()
    study.catalog.close()


# ----------------------------------------------------------------- database
def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def storable(key: tuple[str, ...], value: Any) -> tuple[Any, dict[str, Any]]:
    """``(value, note)`` a safe codec stores: a tuple/list of equal-length arrays becomes one
    2-D array (rows in order; a DataFrame with columns ``0, 1, ...`` when their dtypes
    differ), anything JSON can hold stays as it is.

    Raises
    ------
    CodecError
        Naming the key and the type when no safe codec stores the value.
    """
    try:
        choose_codec(value)
        return value, {}
    except CodecError:
        pass
    if isinstance(value, (tuple, list)) and value and all(np.ndim(v) == 1 for v in value):
        arrays = [np.asarray(v) for v in value]
        if len({a.size for a in arrays}) == 1 and all(a.dtype.kind in "biuf" for a in arrays):
            kind = f"{type(value).__name__} of {len(arrays)} arrays"
            if len({a.dtype for a in arrays}) == 1:
                return np.stack(arrays), {"converted": f"{kind} -> rows"}
            frame = pd.DataFrame(dict(enumerate(arrays)))  # each array keeps its dtype
            return frame, {"converted": f"{kind} -> columns 0..{len(arrays) - 1}"}
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        raise CodecError(
            f"ISF key {key!r}: no safe codec stores a {type(value).__module__}.{type(value).__name__}; "
            "convert it to arrays, DataFrames or JSON in ISF, or leave it out of the import"
        ) from None
    return json.loads(text), {"converted": f"{type(value).__name__} -> JSON"}


def import_database(study: Study, db: ISFDatabase) -> None:
    """Copy every key of ``db`` into ``study`` under ``("isf", *key)``; a wide
    ``spike_times`` table also becomes one run per trial."""
    for key in db:
        parts = key if isinstance(key, tuple) else (key,)
        meta = _json_safe(db.metadata(key))
        try:
            value = db[key]
        except PickleRefusedError as exc:
            raise PickleRefusedError(
                f"{exc}; to import it: neuroloom import-isf SOURCE DEST --allow-pickle "
                "(or neuroloom.isf.import_(source, dest, allow_pickle=True))"
            ) from None
        where = (ISF_PREFIX, *parts)
        provenance = {"isf": {**meta, "key": list(parts), "source": str(db.path.resolve())}}
        if isinstance(value, Path):
            shutil.copytree(value, study.folder(where), dirs_exist_ok=True, ignore=_isf_files)
            continue
        stored, note = storable(parts, value)
        study.set(where, stored, meta={**provenance, **({"isf_conversion": note} if note else {})})
        if parts[-1] == SPIKE_TABLE_KEY and _is_wide_spike_table(value):
            import_spike_times(study, value)


def _isf_files(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("Loader.json", "metadata.json")]


def _is_wide_spike_table(value: Any) -> bool:
    if not isinstance(value, pd.DataFrame) or value.empty:
        return False
    return all(pd.api.types.is_numeric_dtype(value[c]) for c in value.columns)


def trial_parameters(index: pd.Index) -> pd.DataFrame:
    """``condition``, ``simrun``, ``trial``, ``stim`` of ISF trial ids.

    An empty frame when any id does not parse as ``<condition>/<simrun>/<trial>``.
    """
    ids = [str(i) for i in index]
    parts = [i.strip("/").split("/") for i in ids]
    if not all(len(p) >= 3 and p[-1].isdigit() for p in parts):
        return pd.DataFrame(index=index)
    return pd.DataFrame(
        {
            "condition": ["/".join(p[:-2]) for p in parts],
            "simrun": [p[-2] for p in parts],
            "trial": np.asarray([int(p[-1]) for p in parts], dtype=np.int64),
            "stim": [i.split("_")[0] for i in ids],
        },
        index=index,
    )


def import_spike_times(study: Study, table: pd.DataFrame) -> list[int]:
    """One run per row of ISF's wide ``spike_times`` table (spikes of population ``cell``, node 0)."""
    spikes = table.copy()
    spikes.columns = pd.Index(range(spikes.shape[1]))
    spikes.index = spikes.index.rename("sim_trial_index")
    params = trial_parameters(spikes.index)
    return study.import_spike_table(spikes.join(params))


# ------------------------------------------------------------------ simrun
def _trace_step(vm: pd.DataFrame, where: str) -> tuple[float, float]:
    times = np.asarray(vm.columns, dtype=np.float64)
    steps = np.diff(times)
    if times.size < 2 or not np.allclose(steps, steps.mean(), rtol=1e-6, atol=1e-9):
        raise ISFImportError(f"{where}: the trace times are not evenly spaced; cannot store them as a signal")
    return float(times[0]), float(steps.mean())


def _param_files(study: Study, folder: Path) -> dict[str, str]:
    """Store each distinct ``.param`` file once; returns the run parameters pointing to them."""
    files = simrun.read_param_files(folder)
    out: dict[str, str] = {}
    for name, row in files.iterrows():
        digest = str(row["sha256"])[:16]
        key = (ISF_PREFIX, "param_files", digest)
        if key not in study:
            study.set(key, str(row["content"]), meta={"isf": {"file": str(name), "kind": str(row["kind"])}})
        label = PARAM_KEYS.get(str(row["kind"]), f"{row['kind']}_param")
        out[label] = digest
    return out


def _record_sites(study: Study, folder: Path, sites: pd.DataFrame, sim: str) -> None:
    frame = sites.reset_index().drop(columns="file")
    frame.insert(0, "simrun", sim)
    frame.insert(1, "variable", [f"{SOMA_VARIABLE}_dend_{i:03d}" for i in frame["site_id"]])
    key = (ISF_PREFIX, "recording_sites")
    if key in study:
        frame = pd.concat([study[key], frame], ignore_index=True)
    study.set(key, frame, meta={"isf": {"source": str(folder)}})


def import_simrun(study: Study, folder: Path, *, threshold: float = 0.0, tables: bool = True) -> list[int]:
    """Import one simrun folder: one run per trial (see the module docstring).

    ``tables=False`` leaves the consolidated tables to a later ``study.consolidate()``.
    """
    ids = simrun.trial_ids(folder)
    vm = simrun.read_soma_vm(folder)
    t0, dt = _trace_step(vm, f"simrun folder {folder}: soma Vm")
    sites = simrun.recording_sites(folder)
    dend = {int(sites.loc[s, "site_id"]): simrun.read_dendritic_vm(folder, str(s)) for s in sites.index}
    steps = {
        site: _trace_step(frame, f"simrun folder {folder}: dendritic site {site}")
        for site, frame in dend.items()
    }
    spikes = simrun.detect_spikes(vm, threshold)
    synapses = simrun.read_synapse_activation(folder)
    cells = simrun.read_cell_activation(folder)
    shared = _param_files(study, folder)
    if len(sites):
        _record_sites(study, folder, sites, folder.name)
    points = []
    for trial_id in ids:
        parsed = simrun.parse_trial_id(trial_id)
        points.append({"sim_trial_index": trial_id, **parsed, **shared})
    position = {t: k for k, t in enumerate(ids)}

    def fill(batch: RunBatch, run_of_point: np.ndarray) -> None:
        def runs_of(labels: pd.Series) -> np.ndarray:
            return run_of_point[labels.map(position).to_numpy(np.int64)]

        spike_runs = runs_of(spikes["sim_trial_index"])
        keep = spike_runs >= 0
        batch.add_spikes(POPULATION, spike_runs[keep], np.zeros(int(keep.sum())), spikes["time"][keep])
        for k, run in enumerate(run_of_point.tolist()):
            if run < 0:
                continue
            batch.add_signal(run, POPULATION, SOMA_VARIABLE, [0], t0, dt, vm.iloc[k].to_numpy(), "mV")
            for site_id, frame in dend.items():
                st0, sdt = steps[site_id]
                variable = f"{SOMA_VARIABLE}_dend_{site_id:03d}"
                batch.add_signal(run, POPULATION, variable, [0], st0, sdt, frame.iloc[k].to_numpy(), "mV")
        for name, frame in (("synapse_activation", synapses), ("cell_activation", cells)):
            runs = runs_of(frame["sim_trial_index"])
            rows = frame.loc[runs >= 0].drop(columns="sim_trial_index")
            batch.add_table(name, runs[runs >= 0], rows)

    return add_batch_runs(study, points, fill, tables=tables)


def summary(study: Study) -> Mapping[str, Any]:
    """What an import produced: runs, files and bytes of the study folder, counted after
    closing the study (so the catalog's transient WAL files are not counted)."""
    runs = study.catalog.count()
    study.close()
    files = [Path(d) / f for d, _s, names in os.walk(study.path) for f in names]
    return {"runs": runs, "files": len(files), "bytes": sum(f.stat().st_size for f in files)}
