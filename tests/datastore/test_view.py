"""Views: filters, partitions, tables and accessors against values computed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.analysis import trials_with_spike
from neuroloom.errors import EmptyDataError, ParameterError, QueryError


def _job(run: Any) -> None:
    rng = run.rng()
    n = int(rng.integers(0, 8))
    run.record_spikes("exc", rng.integers(0, 4, n), rng.uniform(0.0, 300.0, n))
    m = int(rng.integers(0, 3))
    run.record_spikes("inh", rng.integers(0, 2, m), rng.uniform(0.0, 300.0, m))
    run.record_signal("exc", "v", [3, 1], 1.0, rng.normal(-60.0, 2.0, (30, 2)), "mV")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    s = nl.Study(tmp_path_factory.mktemp("views") / "s", seed=11)
    s.params.add("stim", "B1")
    s.params.add("input.rate", 5.0)
    s.params.add("tau", 10.0)
    s.explore(nl.grid(stim=["B1", "C2", "D3"], **{"input.rate": [5.0, 10.0, 20.0]}))
    s.run(_job, backend="serial", progress=False)
    return s


def _all_spikes(study: nl.Study) -> pd.DataFrame:
    """Ground truth read straight from the SONATA files of each run."""
    from neuroloom.sonata.reports import read_spikes
    from neuroloom.study.run import run_folder

    frames = []
    runs = study.runs
    for idx in runs.index:
        f = read_spikes(run_folder(study.path, idx) / "spikes.h5")
        f["run"] = idx
        f["st_stim"] = runs.loc[idx, "stim"]
        f["st_input.rate"] = runs.loc[idx, "input.rate"]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True).rename(columns={"timestamp": "time"})
    out["population"] = out["population"].astype(str)
    return out


def test_spikes_match_the_run_files(study: nl.Study) -> None:
    truth = _all_spikes(study)
    got = study.filter().spikes()
    assert list(got.columns[:4]) == ["run", "population", "node_id", "time"]
    key = ["run", "population", "node_id", "time"]
    a = got.assign(population=got["population"].astype(str)).sort_values(key).reset_index(drop=True)
    b = truth.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        a[[*key, "st_stim", "st_input.rate"]], b[[*key, "st_stim", "st_input.rate"]], check_dtype=False
    )


def test_filters_st_lists_comparisons_and_chaining(study: nl.Study) -> None:
    runs = study.runs
    assert study.filter(st_stim="C2").runs.index.tolist() == runs.index[runs["stim"] == "C2"].tolist()
    v = study.filter(st_input_rate__gt=5).filter(st_stim=["B1", "D3"])
    want = runs[(runs["input.rate"] > 5) & runs["stim"].isin(["B1", "D3"])].index.tolist()
    assert v.runs.index.tolist() == want
    assert (
        study.filter(**{"st_input.rate__le": 10.0, "st_stim__ne": "B1"}).runs.index.tolist()
        == runs[(runs["input.rate"] <= 10) & (runs["stim"] != "B1")].index.tolist()
    )
    assert len(study.filter(st_rate__in=[5.0, 20.0])) == 6
    assert len(study.filter(st_tau=10.0)) == 9  # unexplored parameter: its default
    assert len(study.filter(st_tau=11.0)) == 0
    assert (
        study.filter(st_input_rate=0.1 + 0.2 + 4.7).runs.index.tolist()
        == runs.index[runs["input.rate"] == 5.0].tolist()
    )
    exc = study.filter(population="exc", st_stim="B1").spikes()
    assert len(exc) > 0  # a subset check passes on an empty table: require rows
    assert set(exc["population"].astype(str)) == {"exc"}
    assert set(exc["st_stim"]) == {"B1"}
    truth = _all_spikes(study)
    assert len(exc) == ((truth["population"] == "exc") & (truth["st_stim"] == "B1")).sum()


def test_views_are_immutable(study: nl.Study) -> None:
    v = study.filter(st_stim="B1")
    narrower = v.filter(st_input_rate=5.0)
    assert len(v) == 3 and len(narrower) == 1


def test_unknown_names_are_errors(study: nl.Study) -> None:
    with pytest.raises(ParameterError, match="no parameter 'stimm'"):
        study.filter(st_stimm="B1")
    with pytest.raises(QueryError, match="no population 'ecx'"):
        study.filter(population="ecx")
    with pytest.raises(QueryError, match="unknown operator"):
        study.filter(st_stim__like="B")
    with pytest.raises(QueryError, match="no stored result has a parameter 'window'"):
        study.filter(window=5)


def test_empty_view_analysis_is_an_error(study: nl.Study) -> None:
    with pytest.raises(EmptyDataError, match="holds no spikes"):
        study.filter(st_tau=11.0).mean_rates(0, 300)
    with pytest.raises(EmptyDataError):
        study.filter(st_tau=11.0).trials_with_spike(0, 300)


def test_partition_by(study: nl.Study) -> None:
    parts = study.filter().partition_by("st_stim")
    assert [p.runs["st_stim"].unique().tolist() for p in parts] == [["B1"], ["C2"], ["D3"]]
    parts = study.filter().partition_by(except_=["st_stim"])
    assert len(parts) == 3
    assert [sorted(p.runs["st_stim"]) for p in parts] == [["B1", "C2", "D3"]] * 3
    assert {p.runs["st_input.rate"].iloc[0] for p in parts} == {5.0, 10.0, 20.0}
    assert [p.populations for p in study.filter().partition_by("population")] == [["exc"], ["inh"]]


def test_trials_with_spike_matches_the_analysis_function(study: nl.Study) -> None:
    fast = study.filter().trials_with_spike(100, 200, by="st_stim")
    truth = _all_spikes(study)
    slow = trials_with_spike(truth, 100, 200, by="st_stim", runs=study.filter().runs)
    key = ["population", "st_stim"]
    a = fast.sort_values(key).reset_index(drop=True)
    b = slow.assign(population=slow["population"].astype(str)).sort_values(key).reset_index(drop=True)
    for col in ("n_trials", "n_with_spike", "n_without_spike"):
        assert a[col].tolist() == b[col].tolist()
    assert a["n_trials"].sum() == 2 * len(study.runs)


def test_view_analysis_counts_silent_runs(study: nl.Study) -> None:
    rates = study.filter(population="exc").mean_rates(0, 300, per="run", by="st_stim")
    assert set(rates["st_stim"]) == {"B1", "C2", "D3"}
    truth = _all_spikes(study)
    exc = truth[truth["population"] == "exc"]
    assert rates["count"].sum() == len(exc)


def test_population_accessors(study: nl.Study) -> None:
    truth = _all_spikes(study)
    idx = int(truth.loc[truth["population"] == "exc", "run"].iloc[0])
    row = study.runs.loc[idx]
    pv = study.filter(st_stim=row["stim"], st_input_rate=row["input.rate"]).population("exc")
    trains = pv.spike_trains([3, 0, 1])
    for nid, train in zip([3, 0, 1], trains):
        want = np.sort(
            truth[(truth["run"] == idx) & (truth["population"] == "exc") & (truth["node_id"] == nid)]["time"]
        )
        np.testing.assert_allclose(train, want)
    assert isinstance(pv.spike_trains(3), np.ndarray)
    assert pv.signal_ids("v").tolist() == [1, 3]
    v3, v1 = pv.signal("v", [3, 1])
    assert v1.shape == v3.shape
    traces = study.filter(st_stim=row["stim"], st_input_rate=row["input.rate"]).signals("exc", "v")
    np.testing.assert_allclose(traces.loc[(idx, 3)].to_numpy(), v3)
    assert traces.attrs["unit"] == "mV"
    with pytest.raises(QueryError, match="pass run="):
        study.filter().population("exc").spike_trains(0)
    with pytest.raises(EmptyDataError, match="no network"):
        pv.positions()


def test_spikes_as_arrow_and_dask(study: nl.Study) -> None:
    v = study.filter(st_stim="C2")
    arrow = v.spikes(format="arrow")
    frame = v.spikes()
    assert arrow.num_rows == len(frame)
    dask = v.spikes(format="dask").compute()
    assert len(dask) == len(frame)
    assert sorted(dask["time"]) == pytest.approx(sorted(frame["time"]))


def test_network_positions(tmp_path: Path) -> None:
    from neuroloom.sonata.nodes import write_nodes

    s = nl.Study(tmp_path / "net")
    s.params.add("x", 1)
    s.explore(nl.grid(x=[1]))
    s.run(lambda run: run.record_spikes("exc", [0, 2], [1.0, 2.0]), backend="serial", progress=False)
    (s.path / "network").mkdir()
    xs = np.array([0.0, 10.0, 20.0])
    write_nodes(
        s.path / "network" / "nodes.h5",
        {"exc": {"node_type_id": 100, "x": xs, "y": xs * 2, "layer": np.array(["L2", "L4", "L5"])}},
    )
    pv = s.filter().population("exc")
    pos = pv.positions([2, 0])
    assert pos["x"].tolist() == [20.0, 0.0] and pos["y"].tolist() == [40.0, 0.0]
    assert "layer" in pv.annotations().columns
