"""S3: merge keeps every analysis result, refuses different seeds, carries the network (issue 11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import StudyError


def make(path: Path, xs: list[int], seed: int = 7) -> nl.Study:
    study = nl.Study(path, seed=seed)
    study.params.add("x", 0)
    study.explore(nl.grid(x=xs))
    study.run(lambda run: run.params.x * 2 + run.seed % 2, backend="serial", progress=False)
    return study


def test_merge_keeps_every_analysis_result(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", [0, 1]), make(tmp_path / "b", [1, 2])
    a.add_result("rate", 1.5, params={"x": 0})
    a.add_result("curve", np.arange(3.0), params={"x": 0})
    b.add_result("rate", 2.5, params={"x": 2})
    b.add_result("curve", np.arange(5.0), params={"x": 2})
    b.add_result("fit", {"slope": 2}, params={})
    merged = nl.merge(a, b, into=tmp_path / "m")
    found = {(r.name, r.params.get("x")): r.value for r in merged.get_result()}
    assert sorted(found) == [("curve", 0), ("curve", 2), ("fit", None), ("rate", 0), ("rate", 2)]
    assert found["rate", 0] == 1.5 and found["rate", 2] == 2.5
    np.testing.assert_array_equal(found["curve", 0], np.arange(3.0))
    np.testing.assert_array_equal(found["curve", 2], np.arange(5.0))
    assert found["fit", None] == {"slope": 2}
    assert len(merged.runs) == 3


def test_merge_refuses_a_result_stored_differently_in_both(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", [0]), make(tmp_path / "b", [1])
    a.add_result("rate", 1.5, params={"x": 0})
    b.add_result("rate", 9.5, params={"x": 0})
    with pytest.raises(StudyError, match=r"result 'rate'.*both"):
        nl.merge(a, b, into=tmp_path / "m")
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_merge_keeps_the_comment_of_the_first(tmp_path: Path) -> None:
    """pypet's example 3: the merged trajectory keeps traj1's comment; before, the merged study had none."""
    a, b = make(tmp_path / "a", [0]), make(tmp_path / "b", [1])
    a.comment, b.comment = "I will be increased!", "I am going to be merged"
    assert nl.merge(a, b, into=tmp_path / "m").comment == "I will be increased!"
    a.comment = ""
    assert nl.merge(a, b, into=tmp_path / "m2").comment == "I am going to be merged"


def test_merge_refuses_different_seeds(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", [0, 1], seed=1), make(tmp_path / "b", [2], seed=2)
    with pytest.raises(StudyError, match=r"seed 1.*seed 2"):
        nl.merge(a, b, into=tmp_path / "m")


def test_merged_runs_keep_the_seed_they_used(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", [0, 1]), make(tmp_path / "b", [1, 2])
    seeds: dict[Any, int] = {}
    for s in (a, b):
        seeds.update(zip(s.runs["x"], s.runs["seed"]))
    merged = nl.merge(a, b, into=tmp_path / "m")
    assert dict(zip(merged.runs["x"], merged.runs["seed"])) == seeds


def test_merge_carries_the_network(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a", [0]), make(tmp_path / "b", [1])
    (b.path / "network").mkdir()
    (b.path / "network" / "network.json").write_text('{"nodes": 3}')
    merged = nl.merge(a, b, into=tmp_path / "m")
    assert (merged.path / "network" / "network.json").read_text() == '{"nodes": 3}'
    (a.path / "network").mkdir()
    (a.path / "network" / "network.json").write_text('{"nodes": 4}')
    with pytest.raises(StudyError, match=r"network"):
        nl.merge(a, b, into=tmp_path / "m2")
