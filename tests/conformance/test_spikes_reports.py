"""Every spike file and frame (soma / compartment) report of the corpus.

neuroloom reads what libsonata reads (node ids, timestamps, ``sorting``; frame
data, times, node ids, element ids) and what it writes back libsonata reads
the same. Where libsonata cannot read a file (bmtk's string ``sorting``, the
old ``/spikes/gids`` layout, bmtk's ``index_pointer``, float64 frame data) the
values are compared with the file read by hand with h5py, and libsonata's
refusal is asserted so the finding stays visible.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import libsonata
import numpy as np
import pytest

from neuroloom.errors import NeuroloomError
from neuroloom.sonata import read_frame_report, read_spikes, spike_sorting, write_frame_report, write_spikes
from neuroloom.sonata.reports import frame_populations, spike_populations

from .corpus import files, path_of

OLD_SORTING = {"by_gid": "by_id", "by_id": "by_id", "by_time": "by_time", "none": "none"}

# Report populations that break the spec: an empty group (no data, no mapping).
# Rule: a report population holds "data" and "mapping". libsonata lists them and
# fails on reading; neuroloom refuses with the file, the group and the rule.
REPORTS_REFUSED = {
    ("libsonata-data/somas.h5", "soma2"),
    ("libsonata-data/elements.h5", "element1"),
    ("libsonata-data/elements.h5", "element42"),
}


def _raw_spikes(path: Path, pop: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    with h5py.File(path, "r") as fh:
        grp = fh["spikes"] if pop is None else fh[f"spikes/{pop}"]
        ids = grp["node_ids" if "node_ids" in grp else "gids"][()]
        sorting = grp.attrs.get("sorting", "none")
        if isinstance(sorting, bytes):
            sorting = sorting.decode()
        if not isinstance(sorting, str):
            sorting = ("none", "by_id", "by_time")[int(sorting)]
        return ids.astype(np.int64), grp["timestamps"][()], OLD_SORTING[sorting]


def _is_old_layout(path: Path) -> bool:
    with h5py.File(path, "r") as fh:
        return "timestamps" in fh["spikes"]


def _string_sorting(path: Path, pop: str) -> bool:
    with h5py.File(path, "r") as fh:
        value = fh[f"spikes/{pop}"].attrs.get("sorting")
        return isinstance(value, (str, bytes))


@pytest.mark.parametrize("rel", files("spikes"))
def test_spikes_equal_libsonata(rel: str, tmp_path: Path) -> None:
    path = path_of(rel)
    ours = read_spikes(path)
    reader = libsonata.SpikeReader(str(path))
    if _is_old_layout(path):
        # old layout: one population, /spikes/gids + /spikes/timestamps. libsonata
        # misreads the two datasets as two populations named "gids" and "timestamps".
        assert sorted(reader.get_population_names()) == ["gids", "timestamps"]
        (pop,) = spike_populations(path)
        ids, times, sorting = _raw_spikes(path, None)
        named = read_spikes(path, "v1")  # the caller names the population the file does not
        assert set(named["population"]) == {"v1"}
        assert spike_sorting(path, pop) == sorting
        np.testing.assert_array_equal(named["node_id"], ids)
        np.testing.assert_array_equal(named["timestamp"], times)
        _round_trip_spikes(tmp_path, pop, ids, times, sorting)
        return
    assert sorted(spike_populations(path)) == sorted(reader.get_population_names())
    for pop in sorted(reader.get_population_names()):
        sub = ours[ours["population"] == pop]
        ids, times, sorting = _raw_spikes(path, pop)
        if _string_sorting(path, pop):
            # bmtk writes sorting as a string; the spec (and libsonata) want an HDF5 enum
            with pytest.raises(RuntimeError, match="attribute"):
                reader[pop].get_dict()
        else:
            theirs = reader[pop].get_dict()
            ids, times, sorting = (
                theirs["node_ids"].astype(np.int64),
                theirs["timestamps"],
                reader[pop].sorting,
            )
        np.testing.assert_array_equal(sub["node_id"].to_numpy(), ids)
        np.testing.assert_array_equal(sub["timestamp"].to_numpy(), times)
        assert spike_sorting(path, pop) == sorting
        _round_trip_spikes(tmp_path, pop, ids, times, sorting)


def _round_trip_spikes(tmp_path: Path, pop: str, ids: np.ndarray, times: np.ndarray, sorting: str) -> None:
    out = write_spikes(tmp_path / f"{pop}.h5", {pop: (ids, times)}, sorting=sorting)
    back = libsonata.SpikeReader(str(out))[pop]
    assert back.sorting == sorting
    got = back.get_dict()
    order = np.lexsort((times, ids))
    back_order = np.lexsort((got["timestamps"], got["node_ids"]))
    np.testing.assert_array_equal(got["node_ids"][back_order], ids[order])
    np.testing.assert_array_equal(got["timestamps"][back_order], times[order])
    if sorting == "none":  # order kept as given
        np.testing.assert_array_equal(got["node_ids"], ids)


def _raw_report(path: Path, pop: str) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as fh:
        grp = fh[f"report/{pop}"]
        mapping = grp["mapping"]
        ptr = mapping["index_pointers" if "index_pointers" in mapping else "index_pointer"][()]
        return {
            "data": grp["data"][()],
            "node_ids": np.repeat(mapping["node_ids"][()], np.diff(ptr.astype(np.int64))),
            "element_ids": mapping["element_ids"][()],
            "time": mapping["time"][()],
        }


def _libsonata_failure(path: Path, pop: str) -> str | None:
    """Why libsonata cannot read this report population (None when it can)."""
    with h5py.File(path, "r") as fh:
        grp = fh[f"report/{pop}"]
        if "index_pointers" not in grp["mapping"]:
            return "index_pointers"  # bmtk writes the singular index_pointer
        if grp["data"].dtype != np.float32:
            return "Float32"  # libsonata requires float32 frame data
    return None


@pytest.mark.parametrize("rel", files("report"))
def test_reports_equal_libsonata(rel: str, tmp_path: Path) -> None:
    path = path_of(rel)
    reader = libsonata.ElementReportReader(str(path))
    assert sorted(frame_populations(path)) == sorted(reader.get_population_names())
    for pop in sorted(reader.get_population_names()):
        if (rel, pop) in REPORTS_REFUSED:
            with pytest.raises(NeuroloomError) as exc:
                read_frame_report(path, pop)
            text = str(exc.value)
            assert path.name in text and f"/report/{pop}/mapping" in text and "rule" in text, text
            with pytest.raises((libsonata.SonataError, RuntimeError)):
                reader[pop].get()
            continue
        rep = read_frame_report(path, pop)
        frame = rep.to_frame()
        why = _libsonata_failure(path, pop)
        if why is None:
            theirs = reader[pop].get()
            data, pairs, times = np.asarray(theirs.data), np.asarray(theirs.ids), np.asarray(theirs.times)
            nodes, elements = pairs[:, 0], pairs[:, 1]
        else:
            with pytest.raises((libsonata.SonataError, RuntimeError), match=why):
                reader[pop].get()
            raw = _raw_report(path, pop)
            data, nodes, elements = raw["data"], raw["node_ids"], raw["element_ids"]
            tstart, _tstop, dt = raw["time"]
            times = np.cumsum(np.r_[tstart, np.full(data.shape[0] - 1, dt)])  # t += dt
        np.testing.assert_array_equal(frame.to_numpy(), data)
        np.testing.assert_array_equal(frame.columns.get_level_values("node_id"), nodes)
        np.testing.assert_array_equal(frame.columns.get_level_values("element_id"), elements)
        np.testing.assert_array_equal(frame.index.to_numpy(), times)
        # round trip: neuroloom writes it back, libsonata reads the same values
        out = write_frame_report(tmp_path / f"{pop}.h5", {pop: rep})
        back_pop = libsonata.ElementReportReader(str(out))[pop]
        assert back_pop.times == rep.times  # (tstart, tstop, dt) exactly
        back = back_pop.get()
        np.testing.assert_array_equal(np.asarray(back.data), data.astype(np.float32))
        np.testing.assert_array_equal(np.asarray(back.ids), np.column_stack([nodes, elements]))
        np.testing.assert_array_equal(np.asarray(back.times), times)
