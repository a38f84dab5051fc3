"""Explorations: designs, ids, extension without duplicates, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import ExplorationError, ParameterError


def test_grid_rightmost_fastest_and_linked_axes() -> None:
    g = nl.grid(a=[1, 2], b=[10, 20, 30])
    assert g.points()[:4] == [{"a": 1, "b": 10}, {"a": 1, "b": 20}, {"a": 1, "b": 30}, {"a": 2, "b": 10}]
    linked = nl.grid(nl.zip_(a=[1, 2], b=[10, 20]), c=[0, 1])
    assert linked.size == 4
    assert [(p["a"], p["b"]) for p in linked.points()] == [(1, 10), (1, 10), (2, 20), (2, 20)]
    assert [p["c"] for p in linked.points()] == [0, 1, 0, 1]
    with pytest.raises(ExplorationError, match=r"'a' appears on two axes"):
        nl.grid(nl.zip_(a=[1], b=[2]), a=[3])


def test_zip_points_random() -> None:
    with pytest.raises(ExplorationError, match=r"unequal lengths \('a' has 3, 'b' has 2\)"):
        nl.zip_(a=[1, 2, 3], b=[1, 2])
    with pytest.raises(ExplorationError, match=r"point 1 sets"):
        nl.points([{"a": 1}, {"b": 2}])
    with pytest.raises(ExplorationError, match=r"'a'.*list, range or array"):
        nl.zip_(a=5)
    r1 = nl.random(50, seed=3, x=(0.0, 1.0), k=[1, 2, 3], z=lambda rng, n: rng.normal(size=n))
    r2 = nl.random(50, seed=3, z=lambda rng, n: rng.normal(size=n), k=[1, 2, 3], x=(0.0, 1.0))
    assert r1.points() == r2.points()
    assert all(0 <= x < 1 for x in r1.columns["x"]) and set(r1.columns["k"]) <= {1, 2, 3}
    assert nl.random(50, seed=4, x=(0.0, 1.0)).columns["x"] != r1.columns["x"]
    import scipy.stats

    assert len(nl.random(5, seed=1, x=scipy.stats.norm(0, 1)).columns["x"]) == 5
    with pytest.raises(ExplorationError, match=r"not a distribution"):
        nl.random(3, seed=1, x="gauss")


def test_explore_extends_without_duplicates(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("a", 0.0)
    study.params.add("b", 1)
    assert study.explore(nl.grid(a=[1, 2], b=[1, 2])) == 4
    # same points (ints on a float parameter are the same point), plus new ones
    assert study.explore(nl.grid(a=[1.0, 2, 3], b=[1, 2])) == 2
    assert study.explore({"a": [0.1 + 0.2], "b": [1]}) == 1
    assert study.explore([{"a": 0.3, "b": 1}]) == 0  # 0.1+0.2 and 0.3 are the same point
    runs = study.runs
    assert list(runs.index) == list(range(7))
    assert runs["name"].iloc[6] == "run_00000006"
    assert runs["id"].is_unique
    assert [e["added"] for e in study.explorations] == [4, 2, 1, 0]
    assert nl.Study(tmp_path / "s").explorations[0]["kind"] == "grid"


def test_ids_depend_on_defaults_and_exploring_new_parameters(tmp_path: Path) -> None:
    s1, s2 = nl.Study(tmp_path / "s1"), nl.Study(tmp_path / "s2")
    for s, default in ((s1, 1.0), (s2, 2.0)):
        s.params.add("a", 0.0)
        s.params.add("b", default)
        s.explore(nl.grid(a=[1.0]))
    assert s1.runs["id"].iloc[0] != s2.runs["id"].iloc[0]
    # exploring b at its default value is the same point as not exploring it
    assert s1.explore(nl.zip_(a=[1.0], b=[1.0])) == 0
    assert s1.explore(nl.zip_(a=[1.0], b=[5.0])) == 1
    runs = s1.runs
    assert list(runs["b"]) == [1.0, 5.0]  # the first run shows b's default


def test_explore_bad_input(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("input.rate", 5.0)
    with pytest.raises(ParameterError, match=r"'input.rat'.*did you mean 'input.rate'"):
        study.explore(nl.grid(**{"input.rat": [1.0]}))
    with pytest.raises(ExplorationError, match=r"'input.rate'.*'fast'"):
        study.explore(nl.grid(**{"input.rate": [1.0, "fast"]}))
    with pytest.raises(ExplorationError, match=r"cannot explore a int"):
        study.explore(3)  # type: ignore[arg-type]
    assert len(study.runs) == 0


def test_array_and_tuple_parameters(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("w", np.zeros(2))
    study.params.add("shape", (1, 2))
    study.explore(nl.zip_(w=[np.ones(2), np.arange(2.0)], shape=[(3, 4), (5, 6)]))
    study.run(lambda run: float(run.params.w.sum()) + sum(run.params.shape), backend="serial", progress=False)
    res = study.results("return")
    assert list(res["return"]) == [9.0, 12.0]
    assert res["shape"].iloc[1] == (5, 6)
    np.testing.assert_array_equal(res["w"].iloc[1], [0.0, 1.0])
