"""Analysis results: uniqueness, replace, OR queries, values stored as items, results from views."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import neuroloom as nl
from neuroloom.errors import DuplicateResultError, EmptyDataError, QueryError


@pytest.fixture
def study(tmp_path: Path) -> nl.Study:
    s = nl.Study(tmp_path / "s", seed=2)
    s.params.add("rate", 5.0)
    s.explore(nl.grid(rate=[5.0, 10.0]))

    def job(run: Any) -> None:
        k = int(run.params.rate)
        run.record_spikes("exc", np.arange(k) % 3, np.linspace(1.0, 900.0, k))

    s.run(job, backend="serial", progress=False)
    return s


def test_uniqueness_and_replace(study: nl.Study) -> None:
    study.add_result("tuning", 1.5, params={"sheet": "V1", "window": 100})
    with pytest.raises(DuplicateResultError, match="replace=True"):
        study.add_result("tuning", 2.5, params={"window": 100.0, "sheet": "V1"})
    study.add_result("tuning", 2.5, params={"sheet": "V1", "window": 100}, replace=True)
    study.add_result("tuning", 3.5, params={"sheet": "V1", "window": 200})
    found = study.get_result(name="tuning", window=100)
    assert [r.value for r in found] == [2.5]
    assert sorted(r.value for r in study.get_result(name="tuning", window=[100, 200])) == [2.5, 3.5]
    assert [r.value for r in study.get_result(window__gt=150)] == [3.5]


def test_array_and_frame_values_round_trip(study: nl.Study) -> None:
    arr = np.arange(12.0).reshape(3, 4)
    study.add_result("matrix", arr, params={"kind": "a"}, tags=["raw", "big"])
    frame = pd.DataFrame({"a": [1, 2]})
    study.add_result("table", frame)
    again = nl.Study(study.path)
    np.testing.assert_array_equal(again.get_result(name="matrix")[0].value, arr)
    pd.testing.assert_frame_equal(again.get_result(name="table")[0].value, frame)
    assert [r.name for r in again.get_result(tags="raw")] == ["matrix"]
    assert again.get_result(tags=["raw", "other"]) == []


def test_results_from_views_carry_their_parameters(study: nl.Study) -> None:
    for part in study.filter(population="exc").partition_by("st_rate"):
        rates = part.mean_rates(0.0, 1000.0, per="run")
        part.add_result("mean_rate", float(rates["rate"].mean()), tags=["rates"])
    table = study.filter(name="mean_rate").results()
    assert sorted(table["st_rate"]) == [5.0, 10.0]
    assert set(table["population"]) == {"exc"}
    assert study.filter(st_rate=10.0).results()["value"].tolist() == pytest.approx([10.0 / 3])
    with pytest.raises(DuplicateResultError):
        study.filter(st_rate=5.0, population="exc").add_result("mean_rate", 0.0)
    assert study.filter(name="mean_rate").partition_by("st_rate")[0].results()["st_rate"].tolist() == [5.0]


def test_bad_result_queries(study: nl.Study) -> None:
    study.add_result("x", 1, params={"a": 1})
    with pytest.raises(QueryError, match="no result is named 'y'"):
        study.get_result(name="y")
    with pytest.raises(QueryError, match="no stored result has a parameter 'b'"):
        study.get_result(b=1)
    with pytest.raises(QueryError, match="has a dict"):
        study.add_result("x", 1, params={"a": {"nested": 1}})
    with pytest.raises(EmptyDataError, match="selects analysis results only"):
        study.filter(name="x").mean_rates(0, 1)


def test_result_identity_is_exact_for_integers(study: nl.Study) -> None:
    """S4: integers are compared exactly, not as 12-digit floats."""
    study.add_result("fit", 1.0, params={"seed": 123456789012345})
    study.add_result("fit", 2.0, params={"seed": 123456789012346})
    study.add_result("fit", 3.0, params={"seed": 2**70})
    study.add_result("fit", 4.0, params={"seed": 2**70 + 1})
    study.add_result("fit", 5.0, params={"seed": [2**70, 1]})
    study.add_result("fit", 6.0, params={"seed": [2**70 + 1, 1]})
    assert sorted(r.value for r in study.get_result(name="fit")) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    with pytest.raises(DuplicateResultError):  # the same integer, also written as a whole float
        study.add_result("fit", 7.0, params={"seed": 123456789012345.0})


def test_result_identity_uses_the_canonical_float_form(study: nl.Study) -> None:
    """S4: floats are canonicalised as parameter values are (params.values.canonical)."""
    from neuroloom.datastore.results import result_id
    from neuroloom.params.values import canonical

    study.add_result("w", 1.0, params={"x": 0.1 + 0.2})
    with pytest.raises(DuplicateResultError):
        study.add_result("w", 2.0, params={"x": 0.3})
    assert canonical(0.1 + 0.2) == canonical(0.3)
    assert result_id("w", {"x": 0.5}) != result_id("w", {"x": "0.5"})
    assert result_id("w", {"x": True}) != result_id("w", {"x": 1})
    assert result_id("w", {"x": None}) != result_id("w", {"x": "None"})
