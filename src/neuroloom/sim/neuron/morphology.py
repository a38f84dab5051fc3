"""Load a morphology (SWC or hoc) into NEURON sections grouped by section type.

Section types follow NEURON's names for SWC types: ``soma`` (1), ``axon``
(2), ``dend`` (3, basal) and ``apic`` (4, apical). SWC files go through
NEURON's own Import3d reader; hoc files are executed and every section they
create is typed by its name (``soma``, ``axon``, ``dend``/``basal``,
``apic``/``apical``; in_silico_framework's labels ``Soma``, ``Dendrite``,
``ApicalDendrite``, ``AIS``/``Myelin`` map the same way).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from neuroloom.errors import SimulationError

__all__ = ["Morphology", "load_morphology"]

SECTION_TYPES = ("soma", "axon", "dend", "apic")
_counter = itertools.count()
_HOC_TYPES = [
    (re.compile(r"soma", re.I), "soma"),
    (re.compile(r"apic|apical", re.I), "apic"),
    (re.compile(r"axon|ais|myelin|node", re.I), "axon"),
    (re.compile(r"dend|basal", re.I), "dend"),
]


class _Holder:
    """The Python object Import3d instantiates sections into."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __str__(self) -> str:
        return self._name


@dataclass
class Morphology:
    """Sections of one cell by type, with their path distance from the soma."""

    path: Path
    sections: dict[str, list[Any]]
    holder: Any = field(default=None, repr=False)

    @property
    def soma(self) -> Any:
        """The first soma section."""
        return self.sections["soma"][0]

    def all_sections(self) -> list[Any]:
        """Every section, soma first."""
        return [s for t in self.sections for s in self.sections[t]]

    def discretize(self, max_segment_length: float) -> None:
        """Set ``nseg`` of each section: odd and with segments no longer than ``max_segment_length`` µm."""
        for sec in self.all_sections():
            n = max(1, math.ceil(float(sec.L) / max_segment_length))
            sec.nseg = n + 1 - n % 2

    def lengths(self, section_type: str) -> npt.NDArray[np.float64]:
        """Lengths (µm) of the sections of one type, in order."""
        return np.array([float(s.L) for s in self.sections.get(section_type, [])], dtype=np.float64)

    def distance(self, section: Any, x: float) -> float:
        """Path distance (µm) from the soma's centre to ``section(x)``."""
        from neuron import h

        return float(h.distance(self.soma(0.5), section(x)))

    def section_at(self, section_type: str, distance: float) -> tuple[Any, float]:
        """The section of ``section_type`` and position ``x`` at ``distance`` µm from the soma.

        Among several sections at that distance the first (in file order) is taken.
        """
        from neuron import h

        for sec in self.sections.get(section_type, []):
            d0 = float(h.distance(self.soma(0.5), sec(0)))
            d1 = float(h.distance(self.soma(0.5), sec(1)))
            if d0 <= distance <= d1 and d1 > d0:
                return sec, (distance - d0) / (d1 - d0)
        reach = max((self.distance(s, 1.0) for s in self.sections.get(section_type, [])), default=0.0)
        raise SimulationError(
            f"no {section_type!r} section of {self.path} reaches {distance} µm from the soma "
            f"(the furthest point is at {reach:.1f} µm)"
        )


def _from_swc(path: Path) -> Morphology:
    from neuron import h

    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    try:
        reader.input(str(path))
        holder = _Holder(f"nlcell{next(_counter)}")
        h.Import3d_GUI(reader, False).instantiate(holder)
    except RuntimeError as exc:
        raise SimulationError(f"NEURON could not read the SWC morphology {path}: {exc}") from exc
    sections = {t: list(getattr(holder, t, [])) for t in SECTION_TYPES}
    return Morphology(path, {t: s for t, s in sections.items() if s}, holder)


def _from_hoc(path: Path) -> Morphology:
    from neuron import h

    before = {s.name() for s in h.allsec()}
    if not h.load_file(1, str(path)):
        raise SimulationError(f"NEURON could not execute the hoc morphology {path}")
    sections: dict[str, list[Any]] = {}
    for sec in h.allsec():
        name = sec.name()
        if name in before:
            continue
        for pattern, kind in _HOC_TYPES:
            if pattern.search(name):
                sections.setdefault(kind, []).append(sec)
                break
        else:
            raise SimulationError(
                f"section {name!r} of {path} has no recognised type; name sections soma/axon/dend/apic"
            )
    return Morphology(path, sections)


def load_morphology(path: str | Path) -> Morphology:
    """Read an SWC (``.swc``) or hoc (``.hoc``) morphology into NEURON."""
    p = Path(path)
    if not p.is_file():
        raise SimulationError(f"morphology file {p} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".swc":
        morph = _from_swc(p)
    elif suffix == ".hoc":
        morph = _from_hoc(p)
    else:
        raise SimulationError(f"morphology {p}: unsupported format {suffix!r}; use .swc or .hoc")
    if "soma" not in morph.sections:
        raise SimulationError(f"morphology {p} has no soma section")
    return morph
