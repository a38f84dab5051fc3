"""The schema owns the study file: malformed files fail with StudyFileError naming file, section and key.

Issue 11 S10: each case below raised a raw exception or was accepted silently before.
A hypothesis test mutates valid study files (drop keys, change types, swap values) and
asserts that parsing and per-run resolution raise nothing but StudyFileError.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroloom.cli import main
from neuroloom.demos.ei_network import demo_config, write_toml
from neuroloom.errors import StudyFileError
from neuroloom.studyfile import parse_spec
from neuroloom.studyfile.schema import SECTIONS, render_markdown
from neuroloom.studyfile.spec import spec_for_run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "study-file.md"
FILE = Path("/nowhere/s.toml")


def _config() -> dict[str, Any]:
    return demo_config(neurons=100, grid=2, duration=100.0)


def _pop(c: dict[str, Any]) -> dict[str, Any]:
    return c["network"]["populations"]["exc"]  # type: ignore[no-any-return]


def _conn(c: dict[str, Any]) -> dict[str, Any]:
    return c["network"]["connections"][0]  # type: ignore[no-any-return]


S10 = [
    (lambda c: c["study"].update(seed="abc"), r"\[study\] seed = 'abc': give an integer"),
    (lambda c: c["study"].update(workers="two"), r"\[study\] workers = 'two': give an integer"),
    (lambda c: c["network"].update(seed="x"), r"\[network\] seed = 'x': give an integer or a reference"),
    (lambda c: c["simulation"].update(threads="x"), r"\[simulation\] threads = 'x': give an integer"),
    (
        lambda c: _conn(c).update(source=["exc"]),
        r"\[network.connections #1\] source = \['exc'\]: give string",
    ),
    (lambda c: c.update(explore=[{"grid": [1, 2]}]), r"\[explore #1\] grid = \[1, 2\]: give a table"),
    (lambda c: c.update(explore=[{"random": {"input.rate": [1.0, 2.0]}}]), r"\[explore #1\] random needs n"),
    (lambda c: _conn(c).update(p=True), r"\[network.connections #1\] p = True: give a number"),
    (lambda c: _conn(c).update(target=[]), r"\[network.connections #1\] target = \[\]: give name or list"),
    (
        lambda c: _pop(c).update(initial_v=[-50, -70]),
        r"\[network.populations.exc\] initial_v = \[-50, -70\]: give \[low, high\] with low < high",
    ),
    (
        lambda c: c["analysis"].update(t_start=300.0, t_stop=200.0),
        r"\[analysis\] t_start = 300.0 must be < t_stop = 200.0",
    ),
    (lambda c: _conn(c).update(p=1.5), r"p = 1.5: must be <= 1"),
    (lambda c: _pop(c).update(n=0), r"n = 0: must be >= 1"),
    (lambda c: _pop(c).update(n="$nope"), r"n = '\$nope': names no parameter; add 'nope' to \[params\]"),
    (
        lambda c: c.update(explore=[{"grid": {"input.ratee": [1.0]}}]),
        r"explores \['input.ratee'\], which \[params\] does not define",
    ),
    (
        lambda c: c.update(explore=[{"zip": {"input.rate": [1.0], "syn.g": [1.0, 2.0]}}]),
        r"zip: every list needs the same length",
    ),
    (
        lambda c: c["inputs"][0].update(start=50.0, stop=10.0),
        r"\[inputs #1\] start = 50.0 must be < stop = 10.0",
    ),
    (lambda c: c["inputs"][0].pop("rate"), r"\[inputs #1\] a poisson input needs rate"),
    (
        lambda c: c["study"].update(job="jobs.py:f"),
        r"\[study\] job = 'jobs.py:f': a study with a job has no \[network\]",
    ),
    (lambda c: c["network"].update(circuit="c.json"), r"\[network\]: give one of circuit"),
    (
        lambda c: c.update(simulation_config={"run": {"tstop": 5.0}}),
        r"\[simulation_config\] overrides need \[network\] simulation_config",
    ),
]


@pytest.mark.parametrize(("edit", "message"), S10)
def test_malformed_study_files_name_file_section_and_key(edit: Any, message: str) -> None:
    config = copy.deepcopy(_config())
    edit(config)
    with pytest.raises(StudyFileError, match=message) as info:
        parse_spec(config, FILE)
    assert str(info.value).startswith(str(FILE))


def test_cli_prints_a_malformed_study_file_without_traceback_and_exits_2(tmp_path: Path) -> None:
    config = _config()
    config["study"]["workers"] = "two"
    done = CliRunner().invoke(main, ["run", str(write_toml(config, tmp_path / "bad.toml"))])
    assert done.exit_code == 2, done.output
    assert "bad.toml: [study] workers = 'two': give an integer" in done.output
    assert "Traceback" not in done.output


# ---- hypothesis: mutated study files raise StudyFileError or nothing ----

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.just("$input.rate"),
    st.just("$nope"),
    st.lists(st.integers(-2, 2), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys / list positions) into a nested config."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for pos, item in enumerate(value):
            out += _paths(item, (*prefix, pos))
    return out


def _mutate(config: dict[str, Any], data: st.DataObject) -> list[str]:
    done = []
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(config)
        path = data.draw(st.sampled_from(paths))
        parent = config
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["drop", "replace", "swap"]))
        if action == "drop":
            del parent[path[-1]]  # type: ignore[arg-type]
        elif action == "replace":
            parent[path[-1]] = data.draw(ODD_VALUES)  # type: ignore[index]
        else:
            other = data.draw(st.sampled_from(paths))
            holder = config
            for step in other[:-1]:
                holder = holder[step]
            try:
                parent[path[-1]] = copy.deepcopy(holder[other[-1]])  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                continue
        done.append(f"{action} {'.'.join(map(str, path))}")
    return done


SEEN: dict[str, int] = {}


def _job_config() -> dict[str, Any]:
    return {
        "study": {"path": "sq", "job": "jobs.py:square", "seed": 3, "backend": "serial", "workers": 1},
        "params": {"x": 1.0, "y": {"value": 2, "unit": "ms"}},
        "explore": [
            {"grid": {"x": [1.0, 2.0], "y": [1, 2]}},
            {"zip": {"x": [3.0, 4.0], "y": [3, 4]}},
            {"points": [{"x": 5.0}]},
            {"random": {"n": 3, "seed": 1, "x": [0.0, 1.0], "y": {"choice": [1, 2]}}},
        ],
    }


def _network_config() -> dict[str, Any]:
    config = copy.deepcopy(_config())  # demo_config shares dicts (NEURON) between calls
    config["network"]["connections"][0]["p"] = "$conn.p"
    config["params"]["conn"] = {"p": 0.1}
    config["simulation_config"] = {}
    return config


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), job=st.booleans())
def test_mutated_study_files_raise_only_study_file_errors(data: st.DataObject, job: bool) -> None:
    config = _job_config() if job else _network_config()
    config.pop("simulation_config", None)
    mutations = _mutate(config, data)
    try:
        spec = parse_spec(config, FILE)
        params = {"input.rate": 30.0, "syn.g": 5.0, "conn.p": 0.1, "x": 1.0, "y": 2}
        spec_for_run(spec.raw, FILE, params)
        SEEN["accepted"] = SEEN.get("accepted", 0) + 1
    except StudyFileError:
        SEEN["StudyFileError"] = SEEN.get("StudyFileError", 0) + 1
    except Exception as exc:  # pragma: no cover - what the test is for
        raise AssertionError(f"{type(exc).__name__} escaped after {mutations}: {exc}") from exc


def test_docs_page_is_the_one_generated_from_the_schema() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown()
    for section in SECTIONS:
        assert section.header() in DOCS.read_text(encoding="utf-8")
        for key in section.keys:
            assert f"| `{key.name}` |" in render_markdown()


def test_docs_command_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "study-file.md"
    done = CliRunner().invoke(main, ["study-file-docs", str(out)])
    assert done.exit_code == 0, done.output
    assert out.read_text(encoding="utf-8") == render_markdown()
