"""bmtk's ``bmtk.builder.bionet``: synapse locations on SWC morphologies (needs NEURON).

A script switches its import::

    from neuroloom.network.bionet.swc_reader import get_swc   # was: from bmtk.builder.bionet.swc_reader ...

    def set_synapses(src, trg):
        swc = get_swc(trg, morphology_dir="components/morphologies", use_cache=True)
        sec_ids, seg_xs = swc.choose_sections(["dend", "apic"], [0.0, 1e20], n_sections=1)
        swc_id, swc_dist = swc.get_swc_id(sec_ids[0], seg_xs[0])
        return [sec_ids[0], seg_xs[0], swc_id, swc_dist]
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from neuroloom.network.bionet.swc_reader import SWCReader, get_swc

__all__ = ["SWCReader", "get_swc", "rand_syn_locations"]


def rand_syn_locations(
    src: Mapping[str, Any],
    trg: Mapping[str, Any],
    sections: Sequence[str] = ("soma", "apical", "basal"),
    distance_range: Sequence[float] = (0.0, 1.0e20),
    morphology_dir: str | os.PathLike[str] = "./components/morphologies",
    return_coords: bool = False,
    dL: float | None = None,  # noqa: N803 (bmtk's name)
) -> list[Any]:
    """One random synapse location on ``trg``: ``[section_id, section_x, swc_id, swc_dist]``
    (``+ [x, y, z]`` with ``return_coords``); an ``add_properties`` rule for the
    ``afferent_section_id, afferent_section_pos, afferent_swc_id, afferent_swc_pos`` columns."""
    del src
    swc = get_swc(trg, morphology_dir=morphology_dir, use_cache=True, dL=dL)
    sec_ids, seg_xs = swc.choose_sections(sections, distance_range, n_sections=1)
    sec_id, seg_x = sec_ids[0], seg_xs[0]
    swc_id, swc_dist = swc.get_swc_id(sec_id, seg_x)
    if not return_coords:
        return [sec_id, seg_x, swc_id, swc_dist]
    xyz = swc.get_coords(sec_id, seg_x)
    return [sec_id, seg_x, swc_id, swc_dist, xyz[0], xyz[1], xyz[2]]
