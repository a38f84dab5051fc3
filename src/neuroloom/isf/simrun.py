"""Parse in_silico_framework simrun output folders into pandas frames.

A simrun folder (ISF's ``simrun`` writes one per job) holds, for trials
``NNNN``::

    <id>_vm_all_traces.csv                     soma Vm: ``t`` then one column per trial
    <id>_<site>_vm_dend_traces.csv             Vm at a dendritic recording site, same shape
    simulation_runNNNN_synapses.csv            synapse type, id, soma distance, section,
                                               point, dendrite label, activation times
    simulation_runNNNN_presynaptic_cells.csv   cell type, cell id, spike times
    <id>_network_model.param, <id>_neuron_model.param

As ISF's ``load_simrun_general`` does, the trials are the ``NNNN`` of the
synapse files in sorted order, the i-th Vm column belongs to the i-th trial, and
a trial's ``sim_trial_index`` is ``<folder relative to the base>/<NNNN as 6
digits>``; with the default base (the folder's grandparent) that is
``<condition folder>/<simrun folder>/<trial>``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from neuroloom.errors import CorruptItemError, NeuroloomError

SOMA_SUFFIX = "_vm_all_traces.csv"
DEND_SUFFIX = "_vm_dend_traces.csv"
SYNAPSE_FILE = re.compile(r"^simulation_run(\d+)_synapses\.csv$")
CELL_FILE = re.compile(r"^simulation_run(\d+)_presynaptic_cells\.csv$")
_SITE = re.compile(
    r"_ID_(?P<site_id>\d+)_sec_(?P<section>\d+)_seg_(?P<segment>\d+)"
    r"_x_(?P<x>[-+0-9.eE]+)_somaDist_(?P<soma_distance>[-+0-9.eE]+)$"
)
SYNAPSE_COLUMNS = (
    "synapse_type",
    "synapse_ID",
    "soma_distance",
    "section_ID",
    "section_pt_ID",
    "dendrite_label",
)
"""ISF's names of the fixed columns of a synapse activation file."""
CELL_COLUMNS = ("presynaptic_cell_type", "cell_ID")
"""ISF's names of the fixed columns of a presynaptic cell activation file."""
_INT_COLUMNS = frozenset({"synapse_ID", "section_ID", "section_pt_ID", "cell_ID"})


class SimrunError(NeuroloomError):
    """A simrun folder is incomplete or one of its files cannot be parsed."""


def find_simrun_folders(root: str | os.PathLike[str]) -> list[Path]:
    """Every folder below ``root`` (``root`` included) holding simrun output, sorted.

    A simrun folder is one with a ``*_vm_all_traces.csv`` or a
    ``simulation_runNNNN_synapses.csv`` file.
    """
    top = Path(root)
    if not top.is_dir():
        raise SimrunError(f"{top} is not a directory: no simrun folders to read")
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        if any(f.endswith(SOMA_SUFFIX) or SYNAPSE_FILE.match(f) for f in filenames):
            found.append(Path(dirpath))
    return sorted(found)


def _numbered(folder: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    out = {}
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if match:
            out[int(match.group(1))] = entry
    return out


def trial_numbers(folder: str | os.PathLike[str]) -> list[int]:
    """The trial numbers of a simrun folder (from its synapse files), sorted.

    Raises
    ------
    SimrunError
        A trial has a presynaptic cell file but no synapse file (or the reverse).
    """
    path = Path(folder)
    synapses = _numbered(path, SYNAPSE_FILE)
    cells = _numbered(path, CELL_FILE)
    for number in sorted(set(cells) ^ set(synapses)):
        have, missing = (
            (cells[number], "synapses") if number in cells else (synapses[number], "presynaptic_cells")
        )
        raise SimrunError(
            f"simrun folder {path}: trial {number:06d} has {have.name} but no "
            f"simulation_run{number:04d}_{missing}.csv; the trial's output is incomplete"
        )
    return sorted(synapses)


def trial_ids(folder: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> list[str]:
    """The ``sim_trial_index`` of every trial, spelled as ISF spells it.

    Parameters
    ----------
    folder
        The simrun folder.
    base
        The folder the ids are relative to; default the simrun folder's
        grandparent, giving ``<condition folder>/<simrun folder>/<trial>``.
    """
    path = Path(folder).absolute()
    start = Path(base).absolute() if base is not None else path.parent.parent
    relative = os.path.relpath(path, start).replace(os.sep, "/")
    return [f"{relative}/{n:06d}" for n in trial_numbers(path)]


def parse_trial_id(trial_id: str) -> dict[str, str | int]:
    """Split a ``sim_trial_index`` into ``condition``, ``simrun`` and ``trial``.

    ``"C2_evoked/20150815-1530_20240/000003"`` -> ``{"condition": "C2_evoked",
    "simrun": "20150815-1530_20240", "trial": 3}``; deeper ids keep the leading
    folders in ``condition`` (joined with ``/``).
    """
    parts = trial_id.strip("/").split("/")
    if len(parts) < 2 or not parts[-1].isdigit():
        raise SimrunError(
            f"{trial_id!r} is not an ISF sim_trial_index (<condition folder>/<simrun folder>/<trial>)"
        )
    return {"condition": "/".join(parts[:-2]), "simrun": parts[-2], "trial": int(parts[-1])}


def _read_trace_file(path: Path, ids: list[str]) -> pd.DataFrame:
    try:
        header = path.open().readline().rstrip("\n").split("\t")
        data = np.loadtxt(path, skiprows=1, dtype="float64", ndmin=2)
    except (OSError, ValueError) as exc:
        raise SimrunError(f"cannot parse the trace file {path}: {exc} (a ragged or truncated CSV?)") from exc
    if data.shape[1] != len(header):
        raise SimrunError(f"{path}: the header names {len(header)} columns, the rows have {data.shape[1]}")
    if data.shape[1] - 1 != len(ids):
        raise SimrunError(
            f"{path} has {data.shape[1] - 1} trace columns but the folder has {len(ids)} trials "
            "(simulation_runNNNN_synapses.csv files); a trial's output is missing"
        )
    frame = pd.DataFrame(data[:, 1:].T, columns=pd.Index(data[:, 0], name="t"))
    frame.index = pd.Index(ids, name="sim_trial_index")
    return frame


def read_soma_vm(folder: str | os.PathLike[str], base: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Soma Vm of every trial: one row per ``sim_trial_index``, one column per time (ms).

    This is ISF's ``voltage_traces`` frame.
    """
    path = Path(folder)
    files = sorted(path.glob(f"*{SOMA_SUFFIX}"))
    if len(files) != 1:
        raise SimrunError(f"simrun folder {path}: expected one *{SOMA_SUFFIX} file, found {len(files)}")
    return _read_trace_file(files[0], trial_ids(path, base))


def recording_sites(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The dendritic recording sites of a simrun folder, parsed from the file names.

    Returns
    -------
    DataFrame
        Index ``site`` (the label ISF uses as database key, e.g.
        ``apical_..._ID_000_sec_038_seg_032_x_0.929_somaDist_920.7``); columns
        ``file``, ``site_id``, ``section``, ``segment`` (int), ``x``,
        ``soma_distance`` (float).
    """
    rows = []
    for file in sorted(Path(folder).glob(f"*{DEND_SUFFIX}")):
        stem = file.name[: -len(DEND_SUFFIX)]
        label = stem.split("_", 1)[1] if "_" in stem else stem
        match = _SITE.search(label)
        if match is None:
            raise SimrunError(
                f"{file}: cannot read the recording site (ID, sec, seg, x, somaDist) from the file name"
            )
        rows.append({"site": label, "file": str(file), **match.groupdict()})
    frame = pd.DataFrame(
        rows, columns=["site", "file", "site_id", "section", "segment", "x", "soma_distance"]
    )
    frame = frame.astype(
        {
            "site_id": "int64",
            "section": "int64",
            "segment": "int64",
            "x": "float64",
            "soma_distance": "float64",
        }
    )
    return frame.set_index("site")


def read_dendritic_vm(
    folder: str | os.PathLike[str], site: str, base: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Vm at one dendritic recording ``site`` (a label from :func:`recording_sites`).

    Same shape as :func:`read_soma_vm`.
    """
    sites = recording_sites(folder)
    if site not in sites.index:
        raise SimrunError(f"simrun folder {folder}: no recording site {site!r}; sites: {list(sites.index)}")
    return _read_trace_file(Path(str(sites.loc[site, "file"])), trial_ids(folder, base))


def detect_spikes(vm: pd.DataFrame, threshold: float = 0.0) -> pd.DataFrame:
    """Spike times as ISF's ``spike_detection`` finds them by default.

    A spike is at ``t[i]`` when ``v[i-1] < threshold <= v[i]`` (upward crossing).

    Parameters
    ----------
    vm
        Traces: one row per trial, columns the times (as :func:`read_soma_vm`).
    threshold
        Crossing level in mV (ISF's default 0).

    Returns
    -------
    DataFrame
        Long table, one row per spike: ``sim_trial_index``, ``time``.
    """
    values = vm.to_numpy(dtype="float64")
    times = np.asarray(vm.columns, dtype="float64")
    rows, cols = np.nonzero((values[:, :-1] < threshold) & (values[:, 1:] >= threshold))
    return pd.DataFrame({"sim_trial_index": np.asarray(vm.index)[rows], "time": times[cols + 1]})


def _parse_activation_file(path: Path, columns: tuple[str, ...], trial: str) -> pd.DataFrame:
    try:
        lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise SimrunError(f"cannot read {path} (trial {trial}): {exc}") from exc
    width = len(columns) + 1
    fields = [ln.split("\t") for ln in lines]
    bad = next((i for i, f in enumerate(fields) if len(f) != width), None)
    if bad is not None:
        raise SimrunError(
            f"{path} (trial {trial}): data line {bad + 1} has {len(fields[bad])} tab-separated fields, "
            f"expected {width} ({', '.join(columns)}, times); the file is ragged or truncated"
        )
    stamps = [f[-1].strip().rstrip(",") for f in fields]
    counts = np.array([s.count(",") + 1 if s else 0 for s in stamps], dtype=np.int64)
    try:
        times = np.array([t for s in stamps if s for t in s.split(",")], dtype="float64")
        fixed = pd.DataFrame([f[:-1] for f in fields], columns=list(columns))
        fixed = fixed.astype(
            {
                c: ("int64" if c in _INT_COLUMNS else "float64")
                for c in columns
                if c in _INT_COLUMNS or c == "soma_distance"
            }
        )
    except ValueError as exc:
        raise SimrunError(f"{path} (trial {trial}): a value is not a number: {exc}") from exc
    out = fixed.loc[fixed.index.repeat(counts)].reset_index(drop=True)
    out.insert(0, "sim_trial_index", trial)
    out["time"] = times
    return out


def _activations(
    folder: str | os.PathLike[str],
    pattern: re.Pattern[str],
    columns: tuple[str, ...],
    base: str | os.PathLike[str] | None,
) -> pd.DataFrame:
    path = Path(folder)
    ids = trial_ids(path, base)
    files = _numbered(path, pattern)
    parts = [_parse_activation_file(files[n], columns, tid) for n, tid in zip(trial_numbers(path), ids)]
    if not parts:
        return pd.DataFrame(columns=["sim_trial_index", *columns, "time"])
    return pd.concat(parts, ignore_index=True)


def read_synapse_activation(
    folder: str | os.PathLike[str], base: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Every synapse activation of every trial, one row per activation.

    Columns: ``sim_trial_index``, ``synapse_type``, ``synapse_ID``,
    ``soma_distance``, ``section_ID``, ``section_pt_ID``, ``dendrite_label``,
    ``time`` (ISF's names; ISF's own frame is wide, one column per activation).
    """
    return _activations(folder, SYNAPSE_FILE, SYNAPSE_COLUMNS, base)


def read_cell_activation(
    folder: str | os.PathLike[str], base: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Every presynaptic cell spike of every trial, one row per spike.

    Columns: ``sim_trial_index``, ``presynaptic_cell_type``, ``cell_ID``, ``time``.
    """
    return _activations(folder, CELL_FILE, CELL_COLUMNS, base)


def read_param_files(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The ``*.param`` files of a simrun folder (not their ``.TEMPLATE``/``.old`` siblings).

    Returns
    -------
    DataFrame
        Index ``name`` (file name); columns ``kind`` (``network_model``,
        ``neuron_model`` or the name's last ``_`` part), ``sha256``, ``content`` (text).
    """
    rows = []
    for file in sorted(Path(folder).glob("*.param")):
        data = file.read_bytes()
        stem = file.name[: -len(".param")]
        kind = next(
            (k for k in ("network_model", "neuron_model") if stem.endswith(k)), stem.rsplit("_", 1)[-1]
        )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorruptItemError(f"{file} is not UTF-8 text: {exc}") from exc
        rows.append(
            {"name": file.name, "kind": kind, "sha256": hashlib.sha256(data).hexdigest(), "content": text}
        )
    return pd.DataFrame(rows, columns=["name", "kind", "sha256", "content"]).set_index("name")
