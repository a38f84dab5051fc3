"""SONATA spike reports and frame (soma / compartment) reports.

Spike report layout: ``/spikes/<pop>/timestamps`` (float64, ``units``),
``/spikes/<pop>/node_ids`` (uint64), ``sorting`` attribute on the population
group as an HDF5 enum ``{none: 0, by_id: 1, by_time: 2}``.

Frame report layout: ``/report/<pop>/data`` (n_frames x n_elements, ``units``)
and ``/report/<pop>/mapping/{node_ids, index_pointers, element_ids, time}``
(``time`` = ``[tstart, tstop, dt]`` with ``units``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from neuroloom._io.atomic import tmp_name
from neuroloom.errors import SonataFormatError, UnknownPopulationError
from neuroloom.sonata._h5 import attr_text, dataset, np_ranges, open_h5, read_all

SORTING = {"none": 0, "by_id": 1, "by_time": 2}
#: spellings of ``sorting`` other writers use (bmtk's old layout writes ``by_gid``)
SORTING_ALIASES = {"by_gid": "by_id", "by_node_id": "by_id", "time": "by_time", "id": "by_id"}
#: population name of an old-layout file (``/spikes/gids`` + ``/spikes/timestamps``) that names none
OLD_LAYOUT_POPULATION = "default"
SORTING_DTYPE = h5py.enum_dtype(SORTING, basetype=np.uint8)
SpikeArrays = tuple[Sequence[int] | np.ndarray, Sequence[float] | np.ndarray]


def _atomic_h5(path: Path) -> tuple[Path, h5py.File]:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name(".h5"))
    return tmp, h5py.File(tmp, "w")


def _sorted(node_ids: np.ndarray, stamps: np.ndarray, sorting: str) -> tuple[np.ndarray, np.ndarray]:
    """The spikes in the report's order (``by_time``: time, then id; ``by_id``: id, then time)."""
    if sorting == "none":
        return node_ids, stamps
    major, minor = (stamps, node_ids) if sorting == "by_time" else (node_ids, stamps)
    if not np.isnan(stamps).any() and _in_order(major, minor):  # already sorted: no sort of every spike
        return node_ids, stamps
    order = np.lexsort((minor, major))
    return node_ids[order], stamps[order]


def _in_order(major: np.ndarray, minor: np.ndarray) -> bool:
    """True if the pairs ``(major, minor)`` are in ascending (lexicographic) order."""
    if major.size < 2:
        return True
    before, after = major[:-1], major[1:]  # compared, not subtracted (node ids are unsigned)
    if np.any(after < before):
        return False
    return not np.any((after == before) & (minor[1:] < minor[:-1]))


def write_spikes(
    path: str | Path, spikes: Mapping[str, SpikeArrays], *, sorting: str = "by_time", units: str = "ms"
) -> Path:
    """Write a SONATA spike report atomically.

    Parameters
    ----------
    spikes
        ``{population: (node_ids, timestamps)}``.
    sorting
        ``"by_time"`` (default), ``"by_id"`` or ``"none"``; the data are sorted accordingly.
    """
    if sorting not in SORTING:
        raise SonataFormatError(f"sorting must be one of {sorted(SORTING)}, not {sorting!r}")
    path = Path(path)
    tmp, fh = _atomic_h5(path)
    try:
        with fh:
            root = fh.create_group("spikes")
            for pop, (ids, times) in spikes.items():
                node_ids = np.asarray(ids, dtype=np.uint64).ravel()
                stamps = np.asarray(times, dtype=np.float64).ravel()
                if node_ids.size != stamps.size:
                    raise SonataFormatError(
                        f"{path}: population {pop!r} has {node_ids.size} node ids but {stamps.size} times"
                    )
                node_ids, stamps = _sorted(node_ids, stamps, sorting)
                grp = root.create_group(pop)
                grp.attrs.create("sorting", SORTING[sorting], dtype=SORTING_DTYPE)
                ts = grp.create_dataset("timestamps", data=stamps)
                ts.attrs["units"] = units
                grp.create_dataset("node_ids", data=node_ids)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _sorting_of(grp: h5py.Group) -> str:
    for holder in (grp, grp.get("node_ids")):
        if holder is None or "sorting" not in holder.attrs:
            continue
        value = holder.attrs["sorting"]
        if isinstance(value, (bytes, str)):
            text = value.decode() if isinstance(value, bytes) else value
            text = SORTING_ALIASES.get(text, text)
            return text if text in SORTING else "none"
        codes = {v: k for k, v in SORTING.items()}
        return codes.get(int(value), "none")
    return "none"


def _spike_groups(path: Path, fh: h5py.File, wanted: Sequence[str] | None) -> dict[str, h5py.Group]:
    """``{population: group}`` of a spike file, old layout included.

    The old layout (``/spikes/gids`` + ``/spikes/timestamps``, as NEST and bmtk
    accept) has one population: the one the caller names, else the file's
    ``population`` attribute, else :data:`OLD_LAYOUT_POPULATION`.
    """
    root = fh.get("spikes")
    if not isinstance(root, h5py.Group):
        raise SonataFormatError(
            f"{path}: missing group /spikes; rule: a spike report holds /spikes/<population>"
        )
    if "timestamps" in root:
        name = attr_text(root, "population", OLD_LAYOUT_POPULATION) or OLD_LAYOUT_POPULATION
        if wanted is not None and len(wanted) == 1:
            name = wanted[0]
        groups: dict[str, h5py.Group] = {name: root}
    else:
        groups = {k: v for k, v in root.items() if isinstance(v, h5py.Group)}
    if wanted is not None:
        missing = [p for p in wanted if p not in groups]
        if missing:
            raise UnknownPopulationError(f"{path}: no spike population {missing} (found {sorted(groups)})")
        groups = {k: groups[k] for k in wanted}
    return groups


def spike_populations(path: str | Path) -> list[str]:
    """Population names of a spike file (one name for the old ``/spikes/gids`` layout)."""
    path = Path(path)
    with open_h5(path) as fh:
        return sorted(_spike_groups(path, fh, None))


def read_spikes(path: str | Path, populations: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Read a spike report into a DataFrame with columns ``population``, ``node_id``, ``timestamp``.

    Reads neuroloom/libsonata files and bmtk's alike (string ``sorting``; the old
    layout ``/spikes/gids`` + ``/spikes/timestamps`` with no population, which
    is labelled with the one name given in ``populations``, if any).
    """
    path = Path(path)
    frames = []
    wanted = [populations] if isinstance(populations, str) else populations
    with open_h5(path) as fh:
        for pop, grp in _spike_groups(path, fh, wanted).items():
            ts = read_all(dataset(grp, "timestamps")).astype(np.float64)
            ids_name = "node_ids" if "node_ids" in grp else "gids"
            ids = read_all(dataset(grp, ids_name)).astype(np.int64)
            if ts.size != ids.size:
                raise SonataFormatError(
                    f"{path}: {grp.name}/timestamps has {ts.size} values but {ids_name} has {ids.size}"
                )
            frames.append(
                pd.DataFrame(
                    {
                        "population": pd.Categorical.from_codes(
                            np.zeros(ts.size, np.int8), dtype=pd.CategoricalDtype([pop])
                        ),
                        "node_id": ids,
                        "timestamp": ts,
                    }
                )
            )
    if not frames:
        return pd.DataFrame(
            {"population": pd.Categorical([]), "node_id": np.zeros(0, np.int64), "timestamp": np.zeros(0)}
        )
    out = pd.concat(frames, ignore_index=True)
    out["population"] = out["population"].astype("category")
    return out


def spike_sorting(path: str | Path, population: str) -> str:
    """The ``sorting`` of one population of a spike report (``none``, ``by_id``, ``by_time``)."""
    path = Path(path)
    with open_h5(path) as fh:
        (grp,) = _spike_groups(path, fh, [population]).values()
        return _sorting_of(grp)


@dataclass
class FrameReport:
    """One population of a frame report.

    ``data`` is ``(n_frames, n_elements)``; ``index_pointers[i]:index_pointers[i+1]``
    are the columns of ``node_ids[i]``; ``times`` is ``(tstart, tstop, dt)``.
    """

    node_ids: np.ndarray
    data: np.ndarray
    times: tuple[float, float, float]
    element_ids: np.ndarray | None = None
    index_pointers: np.ndarray | None = None
    units: str = "mV"
    time_units: str = "ms"

    def __post_init__(self) -> None:
        self.node_ids = np.asarray(self.node_ids, dtype=np.uint64)
        self.data = np.asarray(self.data)
        if self.data.ndim != 2:
            raise SonataFormatError(f"frame data must be 2-D (frames, elements), got {self.data.shape}")
        n_el = self.data.shape[1]
        if self.index_pointers is None:
            if n_el != self.node_ids.size:
                raise SonataFormatError(
                    f"{n_el} data columns but {self.node_ids.size} node ids; give index_pointers"
                )
            self.index_pointers = np.arange(self.node_ids.size + 1, dtype=np.uint64)
        self.index_pointers = np.asarray(self.index_pointers, dtype=np.uint64)
        if self.element_ids is None:
            self.element_ids = np.zeros(n_el, dtype=np.uint32)
        self.element_ids = np.asarray(self.element_ids, dtype=np.uint32)
        if self.index_pointers.size != self.node_ids.size + 1 or int(self.index_pointers[-1]) != n_el:
            raise SonataFormatError("index_pointers must have len(node_ids)+1 entries ending at n_elements")
        if self.element_ids.size != n_el:
            raise SonataFormatError(f"{self.element_ids.size} element ids for {n_el} data columns")

    @property
    def time_points(self) -> np.ndarray:
        """Frame times, accumulated ``t += dt`` from ``tstart`` as NEURON steps and libsonata reads."""
        tstart, _tstop, dt = self.times
        n = self.data.shape[0]
        steps = np.full(n, dt, dtype=np.float64)
        if n:
            steps[0] = tstart
        return np.cumsum(steps)

    def to_frame(self) -> pd.DataFrame:
        """Data as a DataFrame: index ``time``, columns ``(node_id, element_id)``."""
        assert self.index_pointers is not None and self.element_ids is not None
        counts = np.diff(self.index_pointers.astype(np.int64))
        cols = pd.MultiIndex.from_arrays(
            [np.repeat(self.node_ids.astype(np.int64), counts), self.element_ids.astype(np.int64)],
            names=["node_id", "element_id"],
        )
        return pd.DataFrame(self.data, index=pd.Index(self.time_points, name="time"), columns=cols)


def write_frame_report(
    path: str | Path,
    reports: Mapping[str, FrameReport],
    *,
    compress: bool = False,
    keep_float64: bool = False,
) -> Path:
    """Write a frame report (``{population: FrameReport}``) atomically.

    The data are written as float32, SONATA's type (libsonata reads no other);
    ``keep_float64=True`` keeps float64 data as they are (h5py, bmtk and
    neuroloom read them; libsonata refuses them). ``compress=True`` stores the
    data gzip-compressed (level 1, byte shuffle), which HDF5 readers built
    with zlib decompress transparently.
    """
    packing = {"compression": "gzip", "compression_opts": 1, "shuffle": True} if compress else {}
    path = Path(path)
    tmp, fh = _atomic_h5(path)
    try:
        with fh:
            root = fh.create_group("report")
            for pop, rep in reports.items():
                grp = root.create_group(pop)
                keep = keep_float64 and rep.data.dtype == np.float64
                data = rep.data if keep else rep.data.astype(np.float32, copy=False)
                ds = grp.create_dataset("data", data=data, **(packing if data.size else {}))
                ds.attrs["units"] = rep.units
                mapping = grp.create_group("mapping")
                mapping.create_dataset("node_ids", data=rep.node_ids)
                mapping.create_dataset("index_pointers", data=rep.index_pointers)
                mapping.create_dataset("element_ids", data=rep.element_ids)
                t = mapping.create_dataset("time", data=np.asarray(rep.times, dtype=np.float64))
                t.attrs["units"] = rep.time_units
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def read_frame_report(
    path: str | Path, population: str | None = None, node_ids: Sequence[int] | np.ndarray | None = None
) -> FrameReport:
    """Read one population of a frame report (the only one if ``population`` is ``None``).

    ``node_ids`` restricts the columns read to those nodes. bmtk's singular
    ``index_pointer`` is accepted.
    """
    path = Path(path)
    with open_h5(path) as fh:
        root = fh.get("report")
        if not isinstance(root, h5py.Group):
            raise SonataFormatError(
                f"{path}: missing group /report; not a SONATA frame report (rule: a frame report "
                "holds /report/<population>/data and mapping)"
            )
        names = sorted(root.keys())
        if population is None:
            if len(names) != 1:
                raise UnknownPopulationError(f"{path}: several populations {names}; name one")
            population = names[0]
        if population not in root:
            raise UnknownPopulationError(f"{path}: no report population {population!r} (found {names})")
        grp = root[population]
        mapping = grp.get("mapping")
        if not isinstance(mapping, h5py.Group):
            raise SonataFormatError(
                f"{path}: missing group {grp.name}/mapping; rule: a report population holds "
                "'data' and 'mapping' (node_ids, index_pointers, element_ids, time)"
            )
        ids = read_all(dataset(mapping, "node_ids")).astype(np.uint64)
        ptr_name = "index_pointers" if "index_pointers" in mapping else "index_pointer"
        ptrs = read_all(dataset(mapping, ptr_name)).astype(np.int64)
        elements = read_all(dataset(mapping, "element_ids"))
        time_ds = dataset(mapping, "time")
        times = tuple(float(v) for v in read_all(time_ds)[:3])
        data_ds = dataset(grp, "data")
        if ptrs.size != ids.size + 1 or (ptrs.size and ptrs[-1] > data_ds.shape[1]):
            raise SonataFormatError(f"{path}: {mapping.name}/{ptr_name} does not match node_ids and data")
        if node_ids is not None:
            want = np.isin(ids, np.asarray(node_ids, dtype=np.uint64))
            cols = np_ranges(ptrs[:-1][want], ptrs[1:][want])
            data = data_ds[()][:, cols] if cols.size else np.zeros((data_ds.shape[0], 0), np.float32)
            counts = np.diff(ptrs)[want]
            ids = ids[want]
            ptrs = np.concatenate(([0], np.cumsum(counts)))
            elements = elements[cols]
        else:
            data = read_all(data_ds)
        return FrameReport(
            ids,
            data,
            (times[0], times[1], times[2]),
            elements,
            ptrs,
            units=attr_text(data_ds, "units", "") or "",
            time_units=attr_text(time_ds, "units", "ms") or "ms",
        )


def frame_populations(path: str | Path) -> list[str]:
    """Population names of a frame report."""
    with open_h5(path) as fh:
        root = fh.get("report")
        return sorted(root.keys()) if isinstance(root, h5py.Group) else []
