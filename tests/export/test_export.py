"""Export of view recordings to neo and NWB, checked by reading back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.export import to_neo, to_nwb


def _job(run: Any) -> None:
    rng = run.rng()
    run.record_spikes("exc", [0, 0, 2], np.sort(rng.uniform(0.0, 90.0, 3)))
    run.record_signal("exc", "v", [2, 0], 0.5, rng.normal(-65.0, 1.0, (20, 2)), "mV")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    s = nl.Study(tmp_path_factory.mktemp("export") / "s", seed=4)
    s.params.add("input.rate", 5.0)
    s.explore(nl.grid(**{"input.rate": [5.0, 10.0]}))
    s.run(_job, backend="serial", progress=False)
    return s


def test_to_neo(study: nl.Study) -> None:
    import quantities as pq

    block = to_neo(study.filter(), t_stop=100.0)
    assert [seg.annotations["input_rate"] for seg in block.segments] == [5.0, 10.0]
    spikes = study.filter().spikes()
    seg = block.segments[1]
    trains = {(t.annotations["population"], t.annotations["node_id"]): t for t in seg.spiketrains}
    want = np.sort(spikes[(spikes["run"] == 1) & (spikes["node_id"] == 0)]["time"].to_numpy())
    np.testing.assert_allclose(trains[("exc", 0)].rescale(pq.ms).magnitude, want)
    assert trains[("exc", 0)].t_stop == 100.0 * pq.ms
    (sig,) = seg.analogsignals
    assert sig.units == pq.mV
    assert sig.sampling_period == 0.5 * pq.ms
    assert sig.array_annotations["node_ids"].tolist() == [0, 2]
    v0 = study.filter(st_input_rate=10.0).population("exc").signal("v", 0)
    np.testing.assert_allclose(sig.magnitude[:, 0], v0, rtol=1e-6)


def test_to_nwb_reads_back(study: nl.Study, tmp_path: Path) -> None:
    from pynwb import NWBHDF5IO

    path = to_nwb(study.filter(st_input_rate=5.0), tmp_path / "out.nwb")
    spikes = study.filter(st_input_rate=5.0).spikes()
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert len(units) == 2
        row = units[units["node_id"] == 0].iloc[0]
        want = np.sort(spikes[spikes["node_id"] == 0]["time"].to_numpy()) / 1000.0
        np.testing.assert_allclose(row["spike_times"], want)
        assert row["population"] == "exc" and row["param_input_rate"] == 5.0
        (name,) = list(nwb.acquisition)
        ts = nwb.acquisition[name]
        assert ts.unit == "mV" and ts.rate == pytest.approx(2000.0)
        assert np.asarray(ts.data).shape == (20, 2)
