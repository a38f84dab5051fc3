"""S14: ``filter(st_shape=(3, 4))`` matches a tuple parameter (issue 11)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import neuroloom as nl


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> nl.Study:
    s = nl.Study(tmp_path_factory.mktemp("t") / "s", seed=1)
    s.params.add("shape", (1, 1))
    s.params.add("k", 0)
    s.explore(nl.grid(shape=[(3, 4), (5, 6), (3, 5)], k=[0, 1]))

    def job(run: Any) -> None:
        n = run.params.shape[0]
        run.record_spikes("exc", np.zeros(n, dtype=int), np.linspace(1.0, 10.0, n))

    s.run(job, backend="serial", progress=False)
    return s


def test_filter_by_one_tuple(study: nl.Study) -> None:
    runs = study.filter(st_shape=(3, 4)).runs
    assert len(runs) == 2
    assert set(map(tuple, runs["st_shape"])) == {(3, 4)}


def test_filter_by_any_of_several_tuples(study: nl.Study) -> None:
    runs = study.filter(st_shape=[(3, 4), (5, 6)]).runs
    assert sorted(set(map(tuple, runs["st_shape"]))) == [(3, 4), (5, 6)]
    assert len(runs) == 4


def test_filter_tuple_not_equal_and_combined(study: nl.Study) -> None:
    runs = study.filter(st_shape__ne=(3, 4), st_k=1).runs
    assert sorted(map(tuple, runs["st_shape"])) == [(3, 5), (5, 6)]
    assert len(study.filter(st_shape=(9, 9)).runs) == 0
