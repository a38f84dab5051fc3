"""The parameter tree: names, types, units, files, overrides and locking."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import neuroloom as nl
from neuroloom.errors import ParameterError
from neuroloom.params.tree import Namespace, ParamTree, parse_override


def test_add_read_units_and_comments(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("neuron.tau_m", 20.0, unit="ms", comment="membrane time constant")
    study.params["input.rate"] = 5.0
    study.params["net.weights"] = np.array([1.0, 2.0])
    assert study.params.neuron.tau_m == 20.0
    assert study.params["input.rate"] == 5.0
    assert study.params.info("neuron.tau_m").unit == "ms"
    reopened = nl.Study(tmp_path / "s")
    assert reopened.params.info("neuron.tau_m").comment == "membrane time constant"
    np.testing.assert_array_equal(reopened.params.net.weights, [1.0, 2.0])
    assert reopened.params.to_dict()["neuron"] == {"tau_m": 20.0}


def test_bad_names_and_types_are_refused(tmp_path: Path) -> None:
    tree = ParamTree()
    with pytest.raises(ParameterError, match=r"'neuron.cell'.*not a supported"):
        tree.add("neuron.cell", object())
    with pytest.raises(ParameterError, match=r"invalid parameter name"):
        tree.add("neuron..x", 1)
    with pytest.raises(ParameterError, match=r"method of study.params"):
        tree.add("add", 1)
    tree.add("a.b", 1)
    with pytest.raises(ParameterError, match=r"group"):
        tree.add("a", 2)
    with pytest.raises(ParameterError, match=r"'a.b' is a parameter"):
        tree.add("a.b.c", 2)


def test_unknown_parameter_suggests_close_names() -> None:
    ns = Namespace({"input.rate": 5.0, "neuron.tau_m": 20.0})
    assert ns.input.rate == 5.0 and ns["neuron.tau_m"] == 20.0
    assert set(ns.input) == {"rate"} and "input.rate" in ns
    with pytest.raises(ParameterError, match=r"unknown parameter 'input.rat'.*'input.rate'"):
        _ = ns.input.rat
    with pytest.raises(ParameterError, match=r"read-only"):
        ns.x = 1


@pytest.mark.parametrize("suffix", [".toml", ".yaml", ".json"])
def test_load_files_with_overrides(tmp_path: Path, suffix: str) -> None:
    data = {"neuron": {"tau_m": {"value": 20.0, "unit": "ms", "comment": "c"}, "v_th": -50.0}, "n": 10}
    path = tmp_path / f"p{suffix}"
    if suffix == ".toml":
        path.write_text(
            'n = 10\n[neuron]\nv_th = -50.0\ntau_m = { value = 20.0, unit = "ms", comment = "c" }\n'
        )
    elif suffix == ".yaml":
        import yaml

        path.write_text(yaml.safe_dump(data))
    else:
        path.write_text(json.dumps(data))
    tree = nl.load_params(path, overrides=["neuron.tau_m=10", "label=fast"])
    assert tree["neuron.tau_m"] == 10.0 and isinstance(tree["neuron.tau_m"], float)
    assert tree.info("neuron.tau_m").unit == "ms"
    assert tree["neuron.v_th"] == -50.0 and tree["n"] == 10 and tree["label"] == "fast"


def test_override_parsing_and_errors(tmp_path: Path) -> None:
    assert parse_override("a.b=[1, 2]") == ("a.b", (1, 2))
    assert parse_override("a=true") == ("a", True)
    with pytest.raises(ParameterError, match=r"name=value"):
        parse_override("tau_m")
    tree = ParamTree()
    tree.add("tau", 1.0)
    with pytest.raises(ParameterError, match=r"'tau=fast'"):
        tree.override(["tau=fast"])
    bad = tmp_path / "p.toml"
    bad.write_text("[neuron\n")
    with pytest.raises(ParameterError, match=r"cannot parse"):
        nl.load_params(bad)
    (tmp_path / "p.ini").write_text("x=1")
    with pytest.raises(ParameterError, match=r"unknown format"):
        nl.load_params(tmp_path / "p.ini")
    with pytest.raises(ParameterError, match=r"cannot read"):
        nl.load_params(tmp_path / "missing.toml")


def test_tree_is_locked_once_runs_start(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    study.params.add("x", 1.0)
    study.explore(nl.grid(x=[1.0, 2.0]))
    study.params["x"] = 3.0  # not started yet: allowed
    study.run(lambda run: run.params.x, backend="serial", progress=False)
    with pytest.raises(ParameterError, match=r"locked"):
        study.params["x"] = 4.0
    with pytest.raises(ParameterError, match=r"locked"):
        nl.Study(tmp_path / "s").params.add("y", 1)
    assert study.explore(nl.grid(x=[5.0])) == 1  # exploring more is still allowed


def test_set_params_before_runs_replaces_and_after_runs_refuses_a_change(tmp_path: Path) -> None:
    study = nl.Study(tmp_path / "s")
    wanted = ParamTree()
    wanted.add("x", 1.0, unit="ms")
    study.marker.set_params(wanted, source="study.toml")
    assert study.params["x"] == 1.0
    study.explore(nl.grid(x=[1.0, 2.0]))
    study.run(lambda run: run.params.x, backend="serial", progress=False)
    study.marker.set_params(wanted)  # the same values are fine once locked
    changed = ParamTree()
    changed.add("x", 5.0)
    with pytest.raises(ParameterError, match=r"study.toml: parameter 'x' differs"):
        study.marker.set_params(changed, source="study.toml")


def test_a_group_is_found_by_a_unique_suffix_as_pypet_finds_it() -> None:
    """pypet's example 2: ``traj.characters`` is the group ``starwars.characters``; a second
    ``characters`` group makes the short name ambiguous. Inside a group, a suffix works too."""
    tree = ParamTree()
    tree.add("starwars.characters.han_solo", "Harrison Ford")
    tree.add("starwars.characters.luke_skywalker", "Mark Hamill")
    assert dict(tree.characters) == {"han_solo": "Harrison Ford", "luke_skywalker": "Mark Hamill"}
    assert tree["characters"].luke_skywalker == "Mark Hamill"
    assert tree.starwars.luke_skywalker == "Mark Hamill"  # a suffix below the group
    tree.add("spaceballs.characters.dark_helmet", "Rick Moranis")
    with pytest.raises(ParameterError, match=r"ambiguous.*'spaceballs.characters', 'starwars.characters'"):
        _ = tree.characters
    assert tree.starwars.characters.han_solo == "Harrison Ford"
    with pytest.raises(ParameterError, match="unknown parameter 'nobody'"):
        _ = tree.nobody


def _add_attractor(study: nl.Study) -> None:
    """pypet's example 6: the parameters added depend on one added first."""
    study.params.add("diff_name", "diff_lorenz")
    if study.params.diff_name == "diff_lorenz":
        study.params.add("func_params.sigma", 10.0)
    else:
        study.params.add("func_params.a", 0.1)
    study.params.add("steps", 100)


def test_preset_chooses_a_value_before_the_parameter_is_added(tmp_path: Path) -> None:
    """``traj.f_preset_parameter("diff_name", "diff_roessler")`` is ``study.params.preset(...)``."""
    study = nl.Study(tmp_path / "s", seed=1)
    study.params.preset("diff_name", "diff_roessler")
    study.params.preset("steps", 20.0)  # coerced to the default's type
    _add_attractor(study)
    assert study.params.names() == ["diff_name", "func_params.a", "steps"]
    assert study.params.steps == 20 and type(study.params.steps) is int
    study.params.preset("steps", 30)  # already added: set at once
    assert study.params.steps == 30
    study.params.preset("dif_name", "diff_roessler")  # a typo is found when the runs start
    study.explore([{}])
    with pytest.raises(ParameterError, match="'dif_name' were preset but never added"):
        study.run(lambda run: None, backend="serial", progress=False)
    with pytest.raises(ParameterError, match=r"preset of parameter 'x'.*holds a int"):
        study.params.preset("x", "text")
        study.params.add("x", 1)
