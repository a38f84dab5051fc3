"""neuroloom.network.bionet.swc_reader places synapses on an SWC morphology as bmtk's builder does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("neuron", reason="the SWC reader loads morphologies with NEURON (sim extra)")

from neuroloom.errors import NetworkBuildError
from neuroloom.network.bionet import rand_syn_locations
from neuroloom.network.bionet.swc_reader import SWCReader, get_swc, rotation_matrix, swc_cache

# id type x y z radius parent: a one-point soma, a forked basal dendrite, an apical trunk and an axon
CELL = """# a small test cell
1 1 0 0 0 6 -1
2 3 6 0 0 1.0 1
3 3 30 2 0 0.9 2
4 3 60 20 0 0.7 3
5 3 90 35 5 0.5 4
6 3 60 -15 0 0.7 3
7 3 95 -30 -5 0.5 6
8 4 0 6 0 2.0 1
9 4 1 60 0 1.5 8
10 4 2 140 3 1.2 9
11 4 3 230 5 1.0 10
12 4 -30 260 0 0.6 11
13 4 40 270 0 0.6 11
14 2 0 -6 0 1.0 1
15 2 0 -40 0 0.7 14
16 2 0 -90 0 0.5 15
"""


@pytest.fixture
def swc(tmp_path: Path) -> Path:
    path = tmp_path / "cell.swc"
    path.write_text(CELL)
    return path


def _same_reader(ours: Any, ref: Any) -> None:
    assert ours.n_sections == ref.n_sections and ours.nseg == ref.nseg
    # bmtk's area column repeats the area of NEURON's accessed section; ours is each segment's own
    for name in ("type", "x", "dist", "length", "dist0", "dist1", "sec_id"):
        np.testing.assert_allclose(getattr(ours.seg_props, name), getattr(ref.seg_props, name), err_msg=name)
    for name in ("p0", "p1", "p05"):
        np.testing.assert_allclose(
            getattr(ours.seg_coords, name), getattr(ref.seg_coords, name), err_msg=name
        )
    np.testing.assert_allclose(ours.soma_position, ref.soma_position)


def test_reader_matches_bmtk(swc: Path) -> None:
    bmtk_swc = pytest.importorskip("bmtk.builder.bionet.swc_reader", reason="bmtk is the reference")
    for fix in (False, True):
        ours, ref = SWCReader(swc, rng_seed=4), bmtk_swc.SWCReader(str(swc), rng_seed=4)
        if fix:
            ours.fix_axon()
            ref.fix_axon()
        _same_reader(ours, ref)
        for names, span in [(["soma", "dend", "apic"], [0.0, 1e20]), (["basal", "apical"], [40.0, 150.0])]:
            got, want = ours.choose_sections(names, span, 40), ref.choose_sections(names, span, 40)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_allclose(got[1], want[1])
            for sec_id, x in zip(*got):
                assert ours.get_swc_id(sec_id, x) == ref.get_swc_id(sec_id, x)
                np.testing.assert_allclose(ours.get_coords(sec_id, x), ref.get_coords(sec_id, x))
    cell = {"node_id": 2, "morphology": "cell", "x": 5.0, "z": -3.0, "rotation_angle_yaxis": 1.1}
    cell_pv = dict(cell, node_id=3, model_processing="aibs_perisomatic", rotation_angle_xaxis=0.4)
    for c in (cell, cell_pv):
        _same_reader(
            get_swc(c, morphology_dir=swc.parent), bmtk_swc.get_swc(c, morphology_dir=str(swc.parent))
        )
    for axis in np.eye(3):
        np.testing.assert_allclose(
            rotation_matrix(axis, 0.7), bmtk_swc.rotation_matrix(axis, 0.7), atol=1e-12
        )


def test_areas_are_per_segment_and_cache_is_per_node(swc: Path) -> None:
    reader = SWCReader(swc)
    reader.set_segment_dl(10.0)
    props = reader.seg_props
    assert props.area.size == reader.nseg > reader.n_sections
    assert np.unique(props.area).size > reader.n_sections // 2
    swc_cache.clear()
    cell = {"node_id": 1, "morphology": "cell.swc", "population": "v1"}
    assert get_swc(cell, morphology_dir=swc.parent, use_cache=True) is get_swc(
        cell, morphology_dir=swc.parent, use_cache=True
    )
    row = rand_syn_locations(None, dict(cell, node_id=5), morphology_dir=swc.parent, return_coords=True)
    assert len(row) == 7 and 0 <= row[0] < reader.n_sections and 0.0 <= row[1] <= 1.0


def test_errors_say_what_to_fix(swc: Path) -> None:
    with pytest.raises(NetworkBuildError, match="does not exist; check morphology_dir"):
        get_swc({"node_id": 0, "morphology": "nope.swc"}, morphology_dir=swc.parent)
    with pytest.raises(NetworkBuildError, match="no 'morphology' property"):
        get_swc({"node_id": 0})
    reader = SWCReader(swc)
    with pytest.raises(NetworkBuildError, match="unknown section name 'dendrite'"):
        reader.choose_sections(["dendrite"], [0.0, 1e20])
    with pytest.raises(NetworkBuildError, match="within"):
        reader.choose_sections(["soma"], [500.0, 600.0])
