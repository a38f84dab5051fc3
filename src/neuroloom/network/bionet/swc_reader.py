"""Synapse locations on a cell's SWC morphology, as bmtk's ``bmtk.builder.bionet.swc_reader`` picks them.

A bmtk build script that places synapses with ``get_swc(...)`` /
``SWCReader(...).choose_sections(...)`` keeps working with its import switched
to ``neuroloom.network.bionet.swc_reader``. The morphology is read with
NEURON's Import3d (the ``neuron`` package, neuroloom's ``sim`` extra), so
section ids, segment positions and SWC point ids are the ones a biophysical
simulator that loads the same SWC file sees: section ``i`` is the ``i``-th
section of the cell's ``all`` list (soma, axon, dend, apic in file order; the
two stub axon sections last after :meth:`SWCReader.fix_axon`).

Random choices use the reader's own ``numpy.random.RandomState(rng_seed)``
(unseeded by default, as in bmtk), never numpy's global generator, so a
script's other ``np.random`` draws come out as they do with bmtk.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from neuroloom.errors import NetworkBuildError

__all__ = ["SWCReader", "SegmentCoords", "SegmentProps", "get_swc", "rotation_matrix", "swc_cache"]

FloatArray = npt.NDArray[np.float64]

#: section names and their SWC type codes
SEC_TYPE_SWC = {
    "soma": 1,
    "somatic": 1,
    "axon": 2,
    "axonal": 2,
    "dend": 3,
    "basal": 3,
    "apic": 4,
    "apical": 4,
}
_cells = itertools.count()
_INDEX = re.compile(r"\[(\d+)\]")


class SegmentProps(NamedTuple):
    """Per-segment properties of a cell, in section order (arrays of equal length)."""

    type: npt.NDArray[np.int64]
    area: FloatArray
    x: FloatArray
    dist: FloatArray
    length: FloatArray
    dist0: FloatArray
    dist1: FloatArray
    sec_id: npt.NDArray[np.int64]


class SegmentCoords(NamedTuple):
    """Start, end and middle points (3 x nseg arrays) of every segment."""

    p0: FloatArray
    p1: FloatArray
    p05: FloatArray


class _Cell:
    """The object NEURON's Import3d creates a cell's sections in (its ``all`` list keeps their order)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.all: list[Any] = []

    def __str__(self) -> str:
        return self._name


def _neuron() -> Any:
    try:
        from neuron import h
    except ImportError as exc:  # pragma: no cover - the sim extra is installed in CI
        raise NetworkBuildError(
            "reading SWC morphologies for synapse placement needs NEURON: pip install neuron "
            "(or neuroloom's 'sim' extra)"
        ) from exc
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    return h


def rotation_matrix(axis: Sequence[float], theta: float) -> FloatArray:
    """The matrix of a counter-clockwise rotation by ``theta`` radians about ``axis``."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a)
    k = np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])
    # Rodrigues' formula
    out: FloatArray = np.eye(3) + np.sin(theta) * k + (1.0 - np.cos(theta)) * (k @ k)
    return out


def _kind(sec: Any) -> str:
    """``soma``/``axon``/``dend``/``apic`` of a section named ``cell.kind[i]``."""
    return str(sec.name()).split(".")[-1].split("[")[0]


class SWCReader:
    """One cell's SWC morphology loaded into NEURON, with bmtk's synapse-placement methods.

    Parameters
    ----------
    swc_path
        The ``.swc`` file.
    rng_seed
        Seed of this reader's random choices (:meth:`choose_sections`); ``None`` draws fresh entropy.
    """

    sec_type_swc = SEC_TYPE_SWC

    def __init__(self, swc_path: str | os.PathLike[str], rng_seed: int | None = None) -> None:
        self.swc_path = str(swc_path)
        if not Path(self.swc_path).exists():
            raise NetworkBuildError(f"SWC morphology {self.swc_path} does not exist; check morphology_dir")
        self.rng_seed = rng_seed
        self._prng = np.random.RandomState(rng_seed)
        h = _neuron()
        self._reader = h.Import3d_SWC_read()
        self._reader.quiet = 1
        self.hobj = _Cell(f"swccell{next(_cells)}")
        try:
            self._reader.input(self.swc_path)
            h.Import3d_GUI(self._reader, False).instantiate(self.hobj)
        except RuntimeError as exc:
            raise NetworkBuildError(
                f"NEURON could not read the SWC morphology {self.swc_path}: {exc}"
            ) from exc
        self._extra_axon: list[Any] = []
        self._axon_fixed = False
        self._axon_deleted = False
        self._reset()
        self._swc_map: pd.DataFrame | None = None

    def _reset(self) -> None:
        self._sections: list[Any] | None = None
        self._seg_props: SegmentProps | None = None
        self._seg_coords: SegmentCoords | None = None
        self._soma_pos: FloatArray | None = None
        self._nseg: int | None = None

    # ----------------------------------------------------------- sections
    @property
    def sections(self) -> list[Any]:
        """The cell's sections in NEURON's ``all`` order (a section id is an index here)."""
        if self._sections is None:
            self._sections = list(self.hobj.all)
        return self._sections

    @property
    def n_sections(self) -> int:
        """Number of sections."""
        return len(self.sections)

    def get_section(self, section_idx: int) -> Any:
        """The NEURON section with id ``section_idx``."""
        return self.sections[section_idx]

    @property
    def nseg(self) -> int:
        """Number of segments of the cell."""
        if self._nseg is None:
            self._nseg = int(sum(s.nseg for s in self.sections))
        return self._nseg

    def set_segment_dl(self, dl: float) -> None:
        """Split every section into an odd number of segments about ``dl`` µm long."""
        if self._seg_coords is not None:
            raise NetworkBuildError("set_segment_dl must come before segment coordinates are read")
        for sec in self.sections:
            sec.nseg = 1 + 2 * int(sec.L / (2 * dl))
        self._nseg = None
        self._seg_props = None

    def _soma(self) -> Any:
        somas = [s for s in self.sections if _kind(s) == "soma"]
        if not somas:
            raise NetworkBuildError(f"SWC morphology {self.swc_path} has no soma (SWC type 1) point")
        return somas[0]

    @property
    def seg_props(self) -> SegmentProps:
        """Type, area, x, path distance (centre, start, end), length and section id of every segment."""
        if self._seg_props is None:
            h = _neuron()
            h.distance(sec=self._soma())
            rows: list[tuple[int, float, float, float, float, int]] = []
            for sec_id, sec in enumerate(self.sections):
                code = SEC_TYPE_SWC[_kind(sec)[:4]]
                seg_len = sec.L / sec.nseg
                rows.extend((code, seg.area(), seg.x, h.distance(seg), seg_len, sec_id) for seg in sec)
            table = np.array(rows, dtype=np.float64).reshape(-1, 6)
            dist, length = table[:, 3], table[:, 4]
            self._seg_props = SegmentProps(
                type=table[:, 0].astype(np.int64),
                area=table[:, 1],
                x=table[:, 2],
                dist=dist,
                length=length,
                dist0=dist - length / 2.0,
                dist1=dist + length / 2.0,
                sec_id=table[:, 5].astype(np.int64),
            )
        return self._seg_props

    @property
    def seg_coords(self) -> SegmentCoords:
        """3-d start, end and centre of every segment, interpolated along the section's 3-d points."""
        if self._seg_coords is None:
            parts: list[list[FloatArray]] = [[], [], []]
            for sec in self.sections:
                n3d = int(sec.n3d())
                pts = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(n3d)]).reshape(n3d, 3)
                arc = np.array([sec.arc3d(i) for i in range(n3d)]) / sec.L
                centre = (np.arange(sec.nseg) + 0.5) / sec.nseg
                for part, where in zip(parts, (centre - 0.5 / sec.nseg, centre + 0.5 / sec.nseg, centre)):
                    part.append(np.array([np.interp(where, arc, pts[:, d]) for d in range(3)]).reshape(3, -1))
            p0, p1, p05 = (np.concatenate(p, axis=1) if p else np.zeros((3, 0)) for p in parts)
            self._seg_coords = SegmentCoords(p0=p0, p1=p1, p05=p05)
        return self._seg_coords

    @property
    def soma_position(self) -> FloatArray:
        """Mean of the soma's 3-d points."""
        if self._soma_pos is None:
            pts = [
                [sec.x3d(i), sec.y3d(i), sec.z3d(i)]
                for sec in self.sections
                if _kind(sec) == "soma"
                for i in range(int(sec.n3d()))
            ]
            self._soma_pos = np.mean(np.array(pts, dtype=np.float64), axis=0)
        return self._soma_pos

    @property
    def swc_map(self) -> pd.DataFrame:
        """SWC point ``id`` and ``type``, with ``nameindex``: its section's index among those of its type."""
        if self._swc_map is None:
            table = pd.read_csv(
                self.swc_path, sep=r"\s+", names=["id", "type", "x", "y", "z", "r", "pid"], comment="#"
            )[["id", "type"]]
            point2sec = np.array(self._reader.point2sec, dtype=np.int64)[: len(table)]
            secs = self._reader.sections
            nameindex = {int(i): int(secs.object(int(i)).nameindex) for i in np.unique(point2sec)}
            table["nameindex"] = [nameindex[int(i)] for i in point2sec]
            self._swc_map = table
        return self._swc_map

    # -------------------------------------------------------------- axon
    def _drop_axon(self) -> None:
        h = _neuron()
        axon = [s for s in self.hobj.all if _kind(s) == "axon"]
        self.hobj.all = [s for s in self.hobj.all if _kind(s) != "axon"]
        for sec in axon:
            h.delete_section(sec=sec)

    def fix_axon(self) -> None:
        """Replace the axon by two 30 µm, 1 µm wide stub sections (the Allen perisomatic models' axon)."""
        h = _neuron()
        self._drop_axon()
        first = h.Section(name="axon[0]", cell=self.hobj)
        second = h.Section(name="axon[1]", cell=self.hobj)
        for sec in (first, second):
            sec.L, sec.diam = 30.0, 1.0
        first.connect(self._soma()(1.0), 0)
        second.connect(first(1.0), 0)
        self._extra_axon = [first, second]
        self.hobj.all.extend(self._extra_axon)
        h.define_shape()
        self._sections = None
        self._axon_fixed = True

    def delete_axon(self) -> None:
        """Remove the axon."""
        self._drop_axon()
        _neuron().define_shape()
        self._sections = None
        self._axon_deleted = True

    # --------------------------------------------------------- placement
    def find_sections(
        self, section_names: Sequence[str], distance_range: Sequence[float]
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """Segments of the named types overlapping ``distance_range`` (µm from the soma), and their
        probabilities, proportional to the overlapping length."""
        props = self.seg_props
        lo, hi = float(distance_range[0]), float(distance_range[1])
        overlap = np.maximum(0.0, np.minimum(props.dist1, hi) - np.maximum(props.dist0, lo)) / props.length
        try:
            codes = [SEC_TYPE_SWC[name] for name in section_names]
        except KeyError as exc:
            raise NetworkBuildError(
                f"unknown section name {exc.args[0]!r}; use one of {sorted(SEC_TYPE_SWC)}"
            ) from exc
        segs = np.flatnonzero((overlap > 0) & np.isin(props.type, codes))
        weight = props.length[segs] * overlap[segs]
        return segs, weight / weight.sum()

    def choose_sections(
        self, section_names: Sequence[str], distance_range: Sequence[float], n_sections: int = 1
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """``n_sections`` random (section id, x) locations weighted by length (see :meth:`find_sections`)."""
        segs, probs = self.find_sections(section_names, distance_range)
        if segs.size == 0:
            raise NetworkBuildError(
                f"no {list(section_names)} segment of {self.swc_path} lies within {list(distance_range)} µm "
                "of the soma; widen distance_range or add section names"
            )
        chosen = self._prng.choice(segs, n_sections, p=probs)
        return self.seg_props.sec_id[chosen], self.seg_props.x[chosen]

    def get_coords(self, sec_id: int, sec_x: float) -> FloatArray:
        """3-d centre of the segment of section ``sec_id`` nearest ``sec_x``."""
        segs = np.flatnonzero(self.seg_props.sec_id == sec_id)
        nearest = segs[np.argmin(np.abs(sec_x - self.seg_props.x[segs]))]
        return self.seg_coords.p05[:, nearest]

    def get_swc_id(self, sec_id: int, sec_x: float) -> tuple[int, float]:
        """The SWC point id at ``sec_x`` along section ``sec_id``, and the fraction back to it."""
        sec = self.sections[sec_id]
        name = str(sec.name()).split(".")[-1]
        match = _INDEX.search(name)
        nameindex = int(match.group(1)) if match else 0
        table = self.swc_map
        ids = table["id"].to_numpy()[
            (table["type"].to_numpy() == SEC_TYPE_SWC[_kind(sec)])
            & (table["nameindex"].to_numpy() == nameindex)
        ]
        if len(ids) == 1:
            return ids[0], sec_x
        place = max(0.0, sec_x * len(ids) - 1.0)
        index = int(np.ceil(place))
        return ids[index], index - place

    def move_and_rotate(
        self,
        soma_coords: Sequence[float] | None = None,
        rotation_angles: Sequence[float] | None = None,
        inplace: bool = False,
    ) -> SWCReader:
        """Segments rotated about the soma (x, y, z angles in radians), then moved to ``soma_coords``."""
        p0, p1, p05 = (c.copy() for c in self.seg_coords)
        soma = self.soma_position.copy()
        if rotation_angles is not None:
            ax, ay, az = (float(a) for a in rotation_angles)
            rot = (
                rotation_matrix([1, 0, 0], ax)
                @ rotation_matrix([0, 1, 0], ay)
                @ rotation_matrix([0, 0, 1], az)
            )
            centre = soma.reshape(3, 1)
            p0, p1, p05 = (rot @ (p - centre) + centre for p in (p0, p1, p05))
        if soma_coords is not None:
            shift = (np.asarray(soma_coords, dtype=np.float64) - soma).reshape(3, 1)
            p0, p1, p05 = p0 + shift, p1 + shift, p05 + shift
            soma = np.asarray(soma_coords, dtype=np.float64)
        target = self if inplace else self._copy()
        target._seg_props = self.seg_props
        target._swc_map = self._swc_map
        target._seg_coords = SegmentCoords(p0=p0, p1=p1, p05=p05)
        target._soma_pos = soma
        return target

    def _copy(self) -> SWCReader:
        other = SWCReader(self.swc_path, rng_seed=self.rng_seed)
        if self._axon_fixed:
            other.fix_axon()
        if self._axon_deleted:
            other.delete_axon()
        for mine, theirs in zip(self.sections, other.sections):
            theirs.nseg = mine.nseg
        return other


#: readers of the cells seen so far, by population and node id (``get_swc(..., use_cache=True)``)
swc_cache: dict[str, dict[int, SWCReader]] = {}


def _angles(cell: Mapping[str, Any]) -> list[float] | None:
    names = ("rotation_angle_xaxis", "rotation_angle_yaxis", "rotation_angle_zaxis")
    if not any(n in cell for n in names):
        return None
    return [float(cell.get(n, 0.0)) for n in names]


def get_swc(
    cell: Mapping[str, Any],
    morphology_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = False,
    dL: float | None = None,  # noqa: N803 (bmtk's name)
) -> SWCReader:
    """The morphology of a node (its ``morphology`` property), placed at its ``x, y, z`` and rotated by
    its ``rotation_angle_*axis`` properties.

    Nodes with ``model_processing='aibs_perisomatic'`` get the stub axon
    (:meth:`SWCReader.fix_axon`). ``use_cache`` keeps one reader per node.
    """
    population = str(cell.get("population", "default"))
    node_id = int(cell["node_id"])
    if use_cache and node_id in swc_cache.get(population, {}):
        return swc_cache[population][node_id]
    if "morphology" not in cell:
        raise NetworkBuildError(
            f"node {node_id} has no 'morphology' property; add_nodes(morphology='cell.swc')"
        )
    path = str(cell["morphology"])
    if morphology_dir:
        path = os.path.join(morphology_dir, path)
    if not Path(path).exists() and not path.endswith(".swc"):
        path += ".swc"
    swc = SWCReader(path)
    if dL:
        swc.set_segment_dl(dL)
    if cell.get("model_processing", "NULL") == "aibs_perisomatic":
        swc.fix_axon()
    soma = [float(cell.get(c, 0.0)) for c in "xyz"] if any(c in cell for c in "xyz") else None
    swc = swc.move_and_rotate(soma_coords=soma, rotation_angles=_angles(cell))
    if use_cache:
        swc_cache.setdefault(population, {})[node_id] = swc
    return swc
