"""Quantities as parameters, the richer parameter values, refusals that change nothing,
idempotent declarations on a locked tree, and the one naming rule."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import quantities as pq
import scipy.sparse
from brian2 import Quantity, ms, mV, nF, nS, pF, second, siemens, volt

import neuroloom as nl
from neuroloom.errors import ExplorationError, ParameterError, StudyError
from neuroloom.params.tree import ParamTree, resolve
from neuroloom.params.units import join, split
from neuroloom.params.values import canonical, decode, encode


def test_split_and_join_keep_brian2_values_exactly() -> None:
    for value in (
        281 * pF,
        20 * ms,
        np.arange(300) * 0.0001 * second,
        2 * siemens / 1,
        0 * mV,
        7.73938807 * mV,
    ):
        magnitude, unit, library = split(value)
        assert library == "brian2" and unit
        back = join(magnitude, unit, library)
        assert np.array_equal(np.asarray(back), np.asarray(value))
        assert back.dim == value.dim
    assert split(281 * pF) == (281.0, "pF", "brian2")
    assert split(3 * mV, "volt").magnitude == pytest.approx(0.003)
    with pytest.raises(ParameterError, match="cannot express"):
        split(3 * mV, "ms")
    assert join(1.5, "1. * volt", "brian2") == 1.5 * volt  # pypet's unit text reads too
    with pytest.raises(ParameterError, match="not a unit expression"):
        join(1.0, "__import__('os')", "brian2")


def test_quantities_package_round_trip() -> None:
    magnitude, unit, library = split(3 * pq.mV)
    assert (magnitude, unit, library) == (3.0, "mV", "quantities")
    assert join(magnitude, unit, library) == 3 * pq.mV


def test_quantity_parameters_are_value_plus_unit_and_jobs_get_quantities(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.add("net.C", 281 * pF, comment="capacitance")
    study.params.add("net.g", 2 * nS)
    info = study.params.info("net.C")
    assert (info.value, info.unit, info.comment, info.library) == (281.0, "pF", "capacitance", "brian2")
    marker = json.loads((study.path / "neuroloom.json").read_text())
    assert marker["params"]["net.C"] == {
        "value": 281.0,
        "unit": "pF",
        "comment": "capacitance",
        "library": "brian2",
    }
    assert 281 * pF == study.params.net.C
    study.explore(nl.grid(C=[100 * pF, 0.2 * nF]))  # quantities in any unit of the dimension

    def job(run: nl.Run) -> float:
        assert isinstance(run.params.net.C, Quantity)
        run.save("q", run.params.net.C * 2)
        run.save("trace", np.arange(3.0) * mV)
        return float(run.params.net.C / pF)

    study.run(job, backend="serial", progress=False)
    assert study.results()["return"].tolist() == pytest.approx([100.0, 200.0])
    assert study.runs["net.C"].tolist() == pytest.approx([100.0, 200.0])  # stored in the parameter's unit
    doubled = study.results("q")["q"].tolist()
    assert all(isinstance(q, Quantity) for q in doubled)
    assert [float(q / pF) for q in doubled] == pytest.approx([200.0, 400.0])
    trace = study.results("trace", load=True)["trace"].iloc[0]
    assert isinstance(trace, Quantity) and np.array_equal(np.asarray(trace / mV), [0.0, 1.0, 2.0])
    plain = nl.Study(tmp_path / "s")
    plain.explore({"C": [300 * pF]})
    plain.run(lambda run: float(run.params.net.C), backend="serial", progress=False, quantities=False)
    assert plain.results()["return"].iloc[-1] == 300.0  # opt-out: the number in pF


def test_quantity_for_a_parameter_without_unit_is_refused(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1.0)
    with pytest.raises(ParameterError, match="has no unit"):
        study.explore({"x": [1 * mV]})
    study.params.add("v", 1 * mV)
    with pytest.raises(ParameterError, match="is in mV"):
        study.explore({"v": [1 * ms]})
    assert len(study.runs) == 0


def test_unstorable_value_changes_nothing_and_study_stays_usable(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("a", 1)
    before = (study.path / "neuroloom.json").read_bytes()
    for bad in (object(), {"k": object()}, {1: 2}, np.zeros(200_000)):
        with pytest.raises(ParameterError, match="'b"):
            study.params.add("b", bad)
    with pytest.raises(ParameterError):
        study.params.update({"c": 1, "d": object()})  # all or nothing
    assert study.params.names() == ["a"]
    assert (study.path / "neuroloom.json").read_bytes() == before
    study.params.add("b", 2)
    assert study.explore({"b": [3, 4]}) == 2


@pytest.mark.parametrize(
    "value",
    [
        [1, 2.5, "x"],
        {"a": 1, "b": [1.5, None]},
        None,
        (1, (2, 3)),
        np.arange(6, dtype=np.int32).reshape(2, 3),
        np.float32(0.25),
        1 + 2j,
        scipy.sparse.csr_matrix(np.eye(3)),
    ],
)
def test_richer_parameter_values_round_trip(value: object, tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("p.v", value)
    again = nl.Study(tmp_path / "s").params.values()["p.v"]
    assert type(again) is type(value)
    assert canonical(again) == canonical(value)


def test_canonical_hashing_of_containers() -> None:
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})
    assert canonical([1, 2]) != canonical((1, 2))
    assert canonical(None) != canonical("None")
    assert decode(json.loads(json.dumps(encode({"a": (1, None)})))) == {"a": (1, None)}


def test_list_dict_and_none_values_are_explored_and_filterable(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("net.layers", [10, 20])
    study.params.add("net.opts", None)
    study.explore(nl.grid(layers=[[10, 20], [5]], opts=[None, {"mode": "fast"}]))
    study.explore({"layers": [[5]]})  # same point as an existing one: not added twice
    assert len(study.runs) == 4
    study.run(lambda run: len(run.params.layers), backend="serial", progress=False)
    assert study.find(lambda layers, opts: opts is None and layers == [5]) == [2]
    assert study.runs["net.opts"].tolist()[1] == {"mode": "fast"}
    with pytest.raises(ExplorationError, match="list"):
        study.explore({"layers": [3]})


def test_same_declaration_on_a_locked_tree_is_a_no_op(tmp_path: Path) -> None:
    def script() -> nl.Study:
        study = nl.Study(tmp_path / "s", seed=3)
        study.params.add("net.C", 281 * pF, comment="capacitance")
        study.params.add("n", 3)
        study.params.update({"opts": {"a": 1}})
        study.explore({"n": [1, 2]})
        study.run(lambda run: run.params.n, backend="serial", progress=False)
        return study

    script()
    study = script()  # the same script again: nothing to do, no error
    assert study.catalog.counts()["done"] == 2 and len(study.runs) == 2
    with pytest.raises(ParameterError, match=r"281.0 pF.*282.0 pF"):
        study.params.add("net.C", 282 * pF, comment="capacitance")
    with pytest.raises(ParameterError, match="comment 'other'"):
        study.params.add("n", 3, comment="other")
    with pytest.raises(ParameterError, match="it is new"):
        study.params.add("m", 1)
    assert study.params.info("net.C").value == 281.0


def test_overwrite_starts_afresh_and_never_deletes_other_folders(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1)
    study.explore({"x": [1, 2]})
    fresh = nl.Study(tmp_path / "s", overwrite=True)
    assert len(fresh.runs) == 0 and fresh.params.names() == []
    other = tmp_path / "data"
    other.mkdir()
    (other / "precious.txt").write_text("keep")
    with pytest.raises(StudyError, match="not a neuroloom study"):
        nl.Study(other, overwrite=True)
    db = nl.Database(tmp_path / "db")
    db["k"] = 1
    with pytest.raises(StudyError, match="not a neuroloom study"):
        nl.Study(tmp_path / "db", overwrite=True)
    assert (other / "precious.txt").read_text() == "keep" and nl.Database(tmp_path / "db")["k"] == 1


def test_one_naming_rule() -> None:
    names = ["net.connections.R_ee", "net.connections.R_ei", "a.I", "b.I"]
    assert resolve("R_ee", names) == "net.connections.R_ee"
    assert resolve("connections.R_ee", names) == "net.connections.R_ee"
    with pytest.raises(ParameterError, match=r"ambiguous.*'a.I', 'b.I'"):
        resolve("I", names)
    with pytest.raises(ParameterError, match="did you mean"):
        resolve("R_eee", names)
    tree = ParamTree()
    tree.add("net.connections.R_ee", 1.0)
    assert tree["R_ee"] == 1.0 and tree.info("R_ee").name == "net.connections.R_ee"


def test_short_names_everywhere_in_a_study(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("net.connections.R_ee", 1.0)
    study.params.add("stim.I", 0.5)
    study.params.add("noise.I", 0.1)
    study.explore({"R_ee": [1.0, 2.0]})
    with pytest.raises(ParameterError, match=r"cannot explore 'I'.*ambiguous.*'noise.I', 'stim.I'"):
        study.explore({"I": [1.0]})
    with pytest.raises(ParameterError, match="cannot explore 'R_e'") as err:
        study.explore({"R_e": [1.0]})
    assert "did you mean" in str(err.value)
    study.run(lambda run: run.params.R_ee + run.params["stim.I"], backend="serial", progress=False)
    assert study.find(lambda R_ee: R_ee > 1.5) == [1]  # noqa: N803 - pypet-style name
    assert study.filter(st_R_ee=2.0).runs.index.tolist() == [1]
    with pytest.raises(ParameterError, match="ambiguous"):
        study.filter(st_I=0.5)
